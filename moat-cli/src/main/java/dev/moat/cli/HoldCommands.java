package dev.moat.cli;

import java.util.LinkedHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code moat approve|reject RUN_ID} for held runs, and {@code moat audit}. Exit 3 when the caller may not. */
final class HoldCommands {
  private HoldCommands() {}

  private static void decide(long id, String action, String comment, boolean json) {
    var body = new LinkedHashMap<String, Object>();
    if (comment != null) body.put("comment", comment);
    JsonNode run = new ApiClient(Target.resolve()).post("/api/v1/runs/" + id + "/" + action, body);
    if (json) RunCommands.printJson(run);
    else System.out.println("run " + id + " " + run.path("status").asString());
  }

  @Command(name = "approve", description = "Approve a held run: its jobs are queued (maintainer).")
  static final class Approve implements Runnable {
    @Parameters(index = "0", description = "Run id.") long id;

    @Option(names = "--comment", description = "Why, for the audit log.") String comment;

    @Option(names = "--json") boolean json;

    @Override
    public void run() {
      decide(id, "approve", comment, json);
    }
  }

  @Command(name = "reject", description = "Reject a held run: its jobs are cancelled (maintainer).")
  static final class Reject implements Runnable {
    @Parameters(index = "0", description = "Run id.") long id;

    @Option(names = "--comment", description = "Why, for the audit log.") String comment;

    @Option(names = "--json") boolean json;

    @Override
    public void run() {
      decide(id, "reject", comment, json);
    }
  }

  @Command(name = "audit", description = "Show the audit log, all of it or one run's (maintainer).")
  static final class Audit implements Runnable {
    @Option(names = "--run", description = "Only this run's events.") Long run;

    @Option(names = "--json") boolean json;

    @Override
    public void run() {
      JsonNode events = new ApiClient(Target.resolve()).get("/api/v1/audit" + (run == null ? "" : "?run=" + run));
      if (json) {
        RunCommands.printJson(events);
        return;
      }
      var table = new Table("ID", "AT", "ACTOR", "ACTION", "RUN", "SUBJECT", "DETAIL");
      for (JsonNode e : events) {
        table.row(e.path("id").asLong(), java.time.Instant.ofEpochMilli(e.path("at").asLong()), e.path("actor").asString(),
            e.path("action").asString(), e.path("runId").isNull() ? null : e.path("runId").asLong(),
            e.path("subject").asString(null), e.path("detail").toString());
      }
      table.print(System.out);
    }
  }
}
