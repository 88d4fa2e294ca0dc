package dev.moat.dist;

import dev.moat.cli.Target;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code moat down}: stops the server and agent that {@code moat up} started. */
@Command(name = "down", description = "Stop the server and agent started by 'moat up'.")
final class DownCommand implements Callable<Integer> {
  @Override
  public Integer call() throws InterruptedException {
    for (String name : new String[] {"agent", "server"}) {
      boolean stopped = Daemon.in(Target.dataDir(), name).stop();
      System.out.println(name + (stopped ? " stopped" : " was not running"));
    }
    return 0;
  }
}
