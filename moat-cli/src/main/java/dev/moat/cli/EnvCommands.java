package dev.moat.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code moat env create|ls|rm}: environments, the secret scopes they bind and their protection rules (admin). */
@Command(name = "env", description = "Manage environments: bound secret scopes and protection rules (admin).",
    subcommands = {EnvCommands.Create.class, EnvCommands.Ls.class, EnvCommands.Rm.class})
final class EnvCommands {
  /** {@code 30s}, {@code 5m}, {@code 1h} or an ISO-8601 duration. */
  static Duration duration(String text) {
    var m = java.util.regex.Pattern.compile("([0-9]{1,6})([smh])").matcher(text);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    }
    try {
      return Duration.parse(text);
    } catch (java.time.format.DateTimeParseException e) {
      throw new CliException(CliException.USAGE, "bad duration '" + text + "': use e.g. 30s, 5m or 1h");
    }
  }

  @Command(name = "create", description = "Create an environment. Jobs opt in with environment: NAME.")
  static final class Create implements Runnable {
    @Parameters(index = "0", description = "Name (its own scope env:NAME is always bound).") String name;

    @Option(names = "--scope", description = "Another scope it binds: global, repo:NAME (only for jobs of that repo) or env:NAME. Repeatable.")
    java.util.List<String> scopes = new ArrayList<>();

    @Option(names = "--branch", description = "A branch glob jobs must come from (* within a segment, ** across). Repeatable; none: any.")
    java.util.List<String> branches = new ArrayList<>();

    @Option(names = "--min-trust", defaultValue = "trusted", description = "Weakest run trust tier: trusted, known or unknown (default trusted).")
    String minTrust;

    @Option(names = "--reviewers", defaultValue = "0", description = "0, or 1: a maintainer approves the run before its jobs start.")
    int reviewers;

    @Option(names = "--wait", defaultValue = "0s", description = "Wait timer once a job is queued, e.g. 30s.") String wait;

    @Override
    public void run() {
      var body = new LinkedHashMap<String, Object>();
      body.put("name", name);
      body.put("scopes", scopes);
      body.put("branches", branches);
      body.put("minTrust", minTrust);
      body.put("reviewers", reviewers);
      body.put("waitSeconds", duration(wait).toSeconds());
      JsonNode env = new ApiClient(Target.resolve()).post("/api/v1/environments", body);
      System.out.println("created environment " + env.path("name").asString());
    }
  }

  @Command(name = "ls", aliases = "list", description = "List environments.")
  static final class Ls implements Runnable {
    @Option(names = "--json") boolean json;

    @Override
    public void run() {
      JsonNode list = new ApiClient(Target.resolve()).get("/api/v1/environments");
      if (json) {
        RunCommands.printJson(list);
        return;
      }
      var table = new Table("NAME", "SCOPES", "BRANCHES", "MIN-TRUST", "REVIEWERS", "WAIT");
      for (JsonNode e : list) {
        var scopes = new ArrayList<String>(java.util.List.of("env:" + e.path("name").asString()));
        e.path("scopes").forEach(s -> scopes.add(s.asString()));
        var branches = new ArrayList<String>();
        e.path("branches").forEach(b -> branches.add(b.asString()));
        table.row(e.path("name").asString(), String.join(",", scopes), branches.isEmpty() ? "*" : String.join(",", branches),
            e.path("minTrust").asString(), e.path("reviewers").asInt(), e.path("waitSeconds").asLong() + "s");
      }
      table.print(System.out);
    }
  }

  @Command(name = "rm", description = "Remove an environment; jobs bound to it get no secrets any more.")
  static final class Rm implements Runnable {
    @Parameters(index = "0", description = "Name.") String name;

    @Override
    public void run() {
      new ApiClient(Target.resolve()).delete("/api/v1/environments/" + name);
      System.out.println("removed environment " + name);
    }
  }
}
