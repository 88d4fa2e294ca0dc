package dev.moat.dist;

import dev.moat.cli.Target;
import dev.moat.server.MoatServer;
import dev.moat.server.ServerConfig;
import java.time.Duration;
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

  @Override
  public Integer call() throws Exception {
    var config = ServerConfig.defaults(Target.dataDir(), port).withAddress(host, port).withHolds(holdTtl, allowSelfApproval);
    var server = MoatServer.start(config);
    var stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    System.err.println("moat server listening on " + server.url() + "; data in " + config.dataDir());
    stopped.await();
    return 0;
  }
}
