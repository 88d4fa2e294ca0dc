package dev.moat.dist;

import dev.moat.agent.Agent;
import dev.moat.agent.AgentConfig;
import dev.moat.agent.PoolFile;
import dev.moat.agent.PoolSettings;
import dev.moat.agent.PoolTier;
import dev.moat.sandbox.SandboxTier;
import dev.moat.cli.CliException;
import dev.moat.cli.Target;
import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.BwrapTier;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code moat agent}: runs an agent in the foreground until SIGTERM or SIGINT. */
@Command(name = "agent", description = "Run an agent that claims jobs and runs each in a fresh bwrap sandbox.")
final class AgentCommand implements Callable<Integer> {
  @Option(names = "--server", description = "Server URL (default: the one in $MOAT_DATA_DIR/credentials.json).") String server;

  @Option(names = "--token", description = "One-time registration token (only for the first start).") String token;

  @Option(names = "--name", description = "Agent name (default: host name).") String name;

  @Option(names = "--labels", split = ",", defaultValue = "linux", description = "Labels this agent serves.") List<String> labels;

  @Option(names = "--capacity", defaultValue = "1", description = "Jobs run at once.") int capacity;

  @Option(names = "--data-dir", description = "Agent state (default: $MOAT_DATA_DIR/agent).") Path dataDir;

  @Option(names = "--work-dir", description = "Where workspaces are made (default: under the temp directory).") Path workDir;

  @Option(names = "--pool", description = "Pool file: tier (bwrap|oci), image, limits (memory, pids, cpu, disk), egress (none|filtered with allow). "
      + "Default: bwrap with 2GiB, 512 pids, 2 CPUs when root, unbounded otherwise.") Path poolFile;

  @Option(names = "--images", description = "Image store for oci pools (default: $MOAT_DATA_DIR/images).") Path images;

  @Override
  public Integer call() throws Exception {
    var settings = BwrapSettings.defaults();
    var available = BwrapTier.probe(settings);
    if (!available.available()) throw new CliException(CliException.UNAVAILABLE, "the bwrap sandbox does not work here: " + available.reason());
    PoolSettings pool = null;
    if (poolFile != null) {
      try {
        pool = PoolFile.read(poolFile);
      } catch (IllegalArgumentException e) {
        throw new CliException(CliException.USAGE, e.getMessage());
      }
    }
    Path data = dataDir != null ? dataDir : Target.dataDir().resolve("agent");
    URI url = URI.create(server != null ? server : Target.resolve().url());
    String agentName = name != null ? name : java.net.InetAddress.getLocalHost().getHostName();
    Path work = workDir != null ? workDir : AgentConfig.defaultWorkRoot(data);
    var config = new AgentConfig(url, data, work, agentName, labels, capacity, Optional.ofNullable(token), Duration.ofSeconds(10),
        pool == null ? Optional.empty() : pool.image(), pool == null ? Optional.empty() : pool.diskBytes());
    SandboxTier tier = pool == null ? new BwrapTier(settings)
        : PoolTier.create(pool, images != null ? images : Target.dataDir().resolve("images"), settings.scratchRoot());
    var removed = tier.removeLeftovers();
    if (!removed.isEmpty()) System.out.println("moat agent: removed what a crashed agent left: " + removed);
    var agent = Agent.start(config, tier);
    var stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.close();
      stopped.countDown();
    }));
    System.out.println("moat agent " + agent.id() + " polling " + url);
    stopped.await();
    return 0;
  }
}
