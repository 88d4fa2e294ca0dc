package dev.moat.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code moat} command line. This class holds the client commands, which talk HTTP to a server;
 * the application jar adds {@code server}, {@code agent} and {@code up} on top ({@link #commandLine}).
 */
@Command(
    name = "moat",
    mixinStandardHelpOptions = true,
    version = "moat 0.1.0",
    description = "Moat: secure self-hosted CI.",
    subcommands = {
      RepoCommands.class,
      RunCommands.Trigger.class,
      RunCommands.Runs.class,
      RunCommands.Run.class,
      RunCommands.Logs.class,
      RunCommands.Cancel.class,
      HoldCommands.Approve.class,
      HoldCommands.Reject.class,
      HoldCommands.Audit.class,
      UserCommands.class,
      SecretCommands.class,
      EnvCommands.class,
      AdminCommands.class,
      TokenCommands.class,
      OidcCommands.class,
      HookCommands.class,
      StatsCommand.class
    })
public final class Moat implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (see --help)");
  }

  /** A command line with the exit-code contract: CliException codes, 2 for usage errors. */
  public static CommandLine commandLine() {
    var cl = new CommandLine(new Moat());
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      if (e instanceof CliException c) {
        line.getErr().println("moat: " + c.getMessage());
        return c.exitCode();
      }
      throw e;
    });
    cl.setParameterExceptionHandler((e, args) -> {
      var line = e.getCommandLine();
      line.getErr().println("moat: " + e.getMessage());
      line.getErr().println("Try '" + line.getCommandSpec().qualifiedName() + " --help'.");
      return CliException.USAGE;
    });
    return cl;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
