package dev.moat.dist;

import dev.moat.cli.CliException;
import dev.moat.cli.Target;
import dev.moat.common.secret.MasterKey;
import dev.moat.engine.placement.PolicyException;
import dev.moat.server.MoatServer;
import dev.moat.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code moat server}: runs the orchestrator in the foreground until SIGTERM or SIGINT. */
@Command(name = "server", description = "Run the orchestrator (data in $MOAT_DATA_DIR, default ~/.moat).")
final class ServerCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "8480", description = "Port to listen on (0 picks one).") int port;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on.") String host;

  @Option(names = "--hold-ttl", defaultValue = "PT72H",
      description = "How long a held run waits for approval before it expires (ISO-8601, e.g. PT72H).")
  Duration holdTtl;

  @Option(names = "--allow-self-approval", description = "Let the author of a held change approve it (off by default).")
  boolean allowSelfApproval;

  @Option(names = "--policy", paramLabel = "FILE", description = "Placement policy (YAML): the weakest sandbox tier per "
      + "trust tier, and the pools. Default: trusted on bwrap, known and unknown need oci, any pool at its agents' tier.")
  Path policy;

  @Option(names = "--master-key", paramLabel = "FILE", description = "A master key file (mode 0600, v<n>:<base64>) that "
      + "seals secrets; repeat it during a key rotation (the highest version seals, the others only open). Else "
      + "$MOAT_MASTER_KEY (keys separated by ','). Without any, secrets are off (their routes answer 503).")
  List<Path> masterKeyFiles = new ArrayList<>();

  /** The configuration these options give; a bad value is a usage error (exit 2). */
  ServerConfig config() {
    try {
      var d = ServerConfig.defaults(Target.dataDir(), port).withAddress(host, port).withHolds(holdTtl, allowSelfApproval)
          .withMasterKeys(masterKeys(masterKeyFiles, System.getenv("MOAT_MASTER_KEY")));
      return policy == null ? d : d.withPolicy(policy);
    } catch (IllegalArgumentException e) {
      throw new CliException(CliException.USAGE, e.getMessage());
    }
  }

  /** The keys in {@code files}, or else in {@code env} (comma-separated); none: an empty list. */
  static List<MasterKey> masterKeys(List<Path> files, String env) {
    List<MasterKey> keys = new ArrayList<>();
    for (Path f : files) {
      try {
        keys.add(MasterKey.read(f));
      } catch (IOException e) {
        throw new IllegalArgumentException(e.getMessage());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("master key file " + f + ": " + e.getMessage());
      }
    }
    if (keys.isEmpty() && env != null && !env.isBlank()) {
      for (String k : env.split(",")) {
        try {
          keys.add(MasterKey.parse(k));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("MOAT_MASTER_KEY: " + e.getMessage());
        }
      }
    }
    return keys;
  }

  @Override
  public Integer call() throws Exception {
    var config = config();
    if (policy != null && !Files.isReadable(policy)) {
      System.err.println("moat server: cannot read the placement policy " + policy);
      return 2;
    }
    MoatServer server;
    try {
      server = MoatServer.start(config);
    } catch (PolicyException e) {
      System.err.println("moat server: the placement policy " + policy + " is not valid:\n" + e.getMessage());
      return 2;
    } catch (IllegalStateException e) {
      System.err.println("moat server: " + e.getMessage());
      return 2;
    }
    var stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    System.out.println("moat server listening on " + server.url() + "; data in " + config.dataDir());
    stopped.await();
    return 0;
  }
}
