package dev.moat.cli;

import dev.moat.common.Json;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** Commands about runs, jobs and logs. */
final class RunCommands {
  private RunCommands() {}

  static void printRuns(JsonNode runs) {
    var table = new Table("ID", "REPO", "WORKFLOW", "REF", "SHA", "STATUS", "JOBS");
    for (JsonNode r : runs) {
      var jobs = new StringBuilder();
      for (JsonNode j : r.path("jobs")) jobs.append(jobs.isEmpty() ? "" : " ").append(j.path("name").asString()).append('=').append(j.path("status").asString());
      table.row(r.path("id").asLong(), r.path("repo").asString(), r.path("workflow").asString(),
          r.path("ref").asString().replaceFirst("^refs/heads/", ""), r.path("sha").asString().substring(0, 7),
          r.path("status").asString(), jobs);
    }
    table.print(System.out);
  }

  static void printJson(JsonNode node) {
    System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node));
  }

  @Command(name = "trigger", description = "Start runs of every workflow of a repository at a ref.")
  static final class Trigger implements Runnable {
    @Option(names = "--repo", required = true) String repo;

    @Option(names = "--ref", required = true, description = "Branch, full ref or commit.") String ref;

    @Option(names = "--json") boolean json;

    @Override
    public void run() {
      JsonNode runs = new ApiClient(Target.resolve()).post("/api/v1/runs", Map.of("repo", repo, "ref", ref));
      if (json) printJson(runs);
      else if (runs.isEmpty()) System.out.println("no workflow in " + repo + " at " + ref);
      else printRuns(runs);
    }
  }

  @Command(name = "runs", description = "List recent runs.")
  static final class Runs implements Runnable {
    @Option(names = "--json", description = "Print JSON for scripts.") boolean json;

    @Option(names = "--limit", defaultValue = "20") int limit;

    @Override
    public void run() {
      JsonNode runs = new ApiClient(Target.resolve()).get("/api/v1/runs?limit=" + limit);
      if (json) printJson(runs);
      else printRuns(runs);
    }
  }

  @Command(name = "run", description = "One run.", subcommands = {Show.class, Wait.class})
  static final class Run {}

  @Command(name = "show", description = "Show a run and its jobs.")
  static final class Show implements Runnable {
    @Parameters(index = "0", description = "Run id.") long id;

    @Option(names = "--json") boolean json;

    @Override
    public void run() {
      JsonNode run = new ApiClient(Target.resolve()).get("/api/v1/runs/" + id);
      if (json) {
        printJson(run);
        return;
      }
      System.out.printf("run %d  %s  %s @ %s  %s%n", run.path("id").asLong(), run.path("repo").asString(),
          run.path("ref").asString(), run.path("sha").asString(), run.path("status").asString());
      if (!run.path("error").isNull() && !run.path("error").isMissingNode()) System.out.println(run.path("error").asString());
      JsonNode hold = run.path("hold");
      if (hold.isObject()) {
        System.out.printf("hold: %s, %s; %s role decides; expires %s%s%n", hold.path("reason").asString(),
            hold.path("state").asString(), hold.path("approverRole").asString(),
            java.time.Instant.ofEpochMilli(hold.path("expiresAt").asLong()),
            hold.path("decidedBy").isString() ? "; decided by " + hold.path("decidedBy").asString() : "");
      }
      var table = new Table("JOB", "NAME", "STATUS", "EXIT", "REASON");
      for (JsonNode j : run.path("jobs")) {
        table.row(j.path("id").asLong(), j.path("name").asString(), j.path("status").asString(),
            j.path("exitCode").isNull() ? null : j.path("exitCode").asInt(), j.path("reason").asString(null));
      }
      table.print(System.out);
    }
  }

  @Command(name = "wait", description = "Wait until a run ends (a held run waits for its decision); exit 0 if it succeeded, 1 otherwise.")
  static final class Wait implements java.util.concurrent.Callable<Integer> {
    @Parameters(index = "0") long id;

    @Option(names = "--timeout", defaultValue = "PT10M") Duration timeout;

    @Override
    public Integer call() throws InterruptedException {
      var api = new ApiClient(Target.resolve());
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        String status = api.get("/api/v1/runs/" + id).path("status").asString();
        if (!status.equals("queued") && !status.equals("running") && !status.equals("held")) {
          System.out.println("run " + id + " " + status);
          return status.equals("succeeded") ? 0 : CliException.FAILED;
        }
        if (System.nanoTime() > deadline) throw new CliException(CliException.FAILED, "run " + id + " still " + status);
        Thread.sleep(200);
      }
    }
  }

  @Command(name = "logs", description = "Print a job's log.")
  static final class Logs implements Runnable {
    @Parameters(index = "0", description = "Job id.") long job;

    @Option(names = {"-f", "--follow"}, description = "Keep printing until the job ends.") boolean follow;

    @Override
    public void run() {
      var api = new ApiClient(Target.resolve());
      long from = 0;
      while (true) {
        JsonNode page = api.get("/api/v1/jobs/" + job + "/logs?from=" + from + (follow ? "&wait=20" : ""));
        for (JsonNode chunk : page.path("chunks")) System.out.print(chunk.path("data").asString());
        System.out.flush();
        from = page.path("next").asLong();
        boolean more = !page.path("chunks").isEmpty();
        if (page.path("complete").asBoolean() || (!follow && !more)) return;
      }
    }
  }

  @Command(name = "cancel", description = "Cancel a run: its running jobs' sandboxes are killed.")
  static final class Cancel implements Runnable {
    @Parameters(index = "0", description = "Run id.") long id;

    @Override
    public void run() {
      JsonNode run = new ApiClient(Target.resolve()).post("/api/v1/runs/" + id + "/cancel", Map.of());
      System.out.println("run " + id + " " + run.path("status").asString());
    }
  }
}
