package dev.moat.cli;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code moat token create}: one-time agent registration tokens. */
@Command(name = "token", description = "Agent registration tokens.", subcommands = TokenCommands.Create.class)
final class TokenCommands {
  @Command(name = "create", description = "Create a one-time registration token for an agent of a pool.")
  static final class Create implements Runnable {
    @Option(names = "--pool", required = true, description = "The pool the agent will serve.") String pool;

    @Option(names = "--ttl", defaultValue = "PT1H", description = "How long the token is valid (ISO-8601, e.g. PT1H).")
    Duration ttl;

    @Option(names = "--label", description = "A label the agent may serve (repeatable; default: its pool's labels, or any).")
    List<String> labels = List.of();

    @Override
    public void run() {
      var token = new ApiClient(Target.resolve()).post("/api/v1/tokens", Map.of("pool", pool, "ttlSeconds", ttl.toSeconds(), "labels", labels));
      System.out.println(token.path("token").asString());
    }
  }
}
