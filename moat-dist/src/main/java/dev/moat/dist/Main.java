package dev.moat.dist;

import dev.moat.cli.Moat;

/** Entry point of the Moat jar: the client CLI plus {@code server}, {@code agent}, {@code up}, {@code down} and {@code image}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    var cl = Moat.commandLine();
    cl.addSubcommand("server", new ServerCommand());
    cl.addSubcommand("agent", new AgentCommand());
    cl.addSubcommand("up", new UpCommand());
    cl.addSubcommand("down", new DownCommand());
    cl.addSubcommand("image", new ImageCommands());
    int code = cl.execute(args);
    if (code != 0 || !isDaemon(args)) System.exit(code);
  }

  private static boolean isDaemon(String[] args) {
    return args.length > 0 && (args[0].equals("server") || args[0].equals("agent"));
  }
}
