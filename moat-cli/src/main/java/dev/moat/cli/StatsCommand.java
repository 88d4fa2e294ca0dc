package dev.moat.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/** {@code moat stats}: the key service levels from {@code GET /api/v1/stats}. */
@Command(name = "stats", description = "Show p50/p95 queue wait and success rate per pool, and held runs.")
final class StatsCommand implements Runnable {
  @Option(names = "--window", description = "Seconds to look back (default: a day).") Long window;

  @Option(names = "--json") boolean json;

  @Override
  public void run() {
    JsonNode levels = new ApiClient(Target.resolve()).get("/api/v1/stats" + (window == null ? "" : "?window=" + window));
    if (json) {
      RunCommands.printJson(levels);
      return;
    }
    var pools = new Table("POOL", "STARTED", "WAIT P50", "WAIT P95", "FINISHED", "SUCCESS");
    for (JsonNode p : levels.path("pools")) {
      pools.row(p.path("pool").asString(), p.path("started").asInt(), seconds(p.path("queueWaitP50Seconds")),
          seconds(p.path("queueWaitP95Seconds")), p.path("finished").asInt(),
          p.path("successRate").isNull() ? "-" : String.format("%.1f%%", 100 * p.path("successRate").asDouble()));
    }
    System.out.println("last " + levels.path("windowSeconds").asLong() + " s");
    pools.print(System.out);
    var held = new Table("HELD REASON", "RUNS");
    levels.path("held").properties().forEach(e -> held.row(e.getKey(), e.getValue().asLong()));
    held.print(System.out);
  }

  private static String seconds(JsonNode value) {
    return value.isNull() || value.isMissingNode() ? "-" : String.format("%.1fs", value.asDouble());
  }
}
