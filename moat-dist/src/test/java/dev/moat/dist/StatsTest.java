package dev.moat.dist;

import static dev.moat.dist.CliTest.moat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Json;
import dev.moat.engine.trust.Change;
import dev.moat.engine.trust.TrustRules;
import dev.moat.engine.trust.TrustTier;
import dev.moat.server.repo.GitReader;
import dev.moat.server.run.RunRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Issue 6: {@code moat stats} shows queue wait percentiles and success rate per pool from a real server and agent. */
class StatsTest {
  @TempDir Path dir;

  @Test
  void statsShowQueueWaitAndSuccessRatePerPoolAfterRuns() throws Exception {
    try (var s = Scenario.create(dir)) {
      CliTest.Result empty = moat(s.server, "stats", "--json");
      assertThat(empty.code()).as(empty.err()).isZero();
      assertThat(Json.MAPPER.readTree(empty.out()).path("pools")).as("no job ran yet").isEmpty();

      s.agent();
      s.awaitRunEnded(s.pushOne("on: push\njobs: {ok: {steps: [{run: 'true'}]}}\n"));
      s.awaitRunEnded(s.pushOne("on: push\njobs: {bad: {steps: [{run: 'exit 3'}]}}\n"));

      CliTest.Result json = moat(s.server, "stats", "--json");
      assertThat(json.code()).as(json.err()).isZero();
      JsonNode levels = Json.MAPPER.readTree(json.out());
      assertThat(levels.path("windowSeconds").asLong()).isEqualTo(86_400);
      assertThat(levels.path("pools")).hasSize(1);
      JsonNode pool = levels.path("pools").get(0);
      assertThat(pool.path("pool").asString()).isEqualTo("default");
      assertThat(pool.path("started").asInt()).isEqualTo(2);
      assertThat(pool.path("finished").asInt()).isEqualTo(2);
      assertThat(pool.path("successRate").asDouble()).isEqualTo(0.5);
      double p50 = pool.path("queueWaitP50Seconds").asDouble(-1);
      assertThat(p50).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(pool.path("queueWaitP95Seconds").asDouble(-1));
      assertThat(levels.path("held").isObject()).isTrue();

      CliTest.Result table = moat(s.server, "stats");
      assertThat(table.code()).as(table.err()).isZero();
      assertThat(table.out()).contains("WAIT P95").contains("default").contains("50.0%").contains("HELD REASON");

      assertThat(moat(s.server, "stats", "--window", "0").code()).as("a window under a second is refused").isNotZero();
    }
  }

  @Test
  void statsCountHeldRunsByReason() throws Exception {
    try (var s = Scenario.create(dir, SignedPushTest.EVERYONE_ON_BWRAP)) {
      String base = s.git.workflow("on: {pull_request: {branches: [main]}}\njobs: {build: {steps: [{run: 'true'}]}}\n").commit("base");
      s.git.push();
      String head = s.git.workflow("on: {pull_request: {branches: [main]}}\njobs: {build: {steps: [{run: 'echo edited'}]}}\n").commit("edit");
      s.git.pushTo("feature");
      var decision = TrustRules.decide(new Change(Change.Kind.PULL_REQUEST, TrustTier.KNOWN, false, true, null));
      var request = RunRequest.pullRequest("refs/heads/feature", head, "refs/heads/main", base,
          new RunRequest.Author("github", 583231, "octocat"));
      long run = s.server.runStarter().start("app", request, decision, at -> new GitReader().workflows(s.git.bare(), at)).getFirst();
      assertThat(s.server.run(run).path("status").asString()).isEqualTo("held");

      CliTest.Result json = moat(s.server, "stats", "--json");
      assertThat(json.code()).as(json.err()).isZero();
      assertThat(Json.MAPPER.readTree(json.out()).path("held").path("workflow_modification").asLong()).isEqualTo(1);
      assertThat(moat(s.server, "stats").out()).contains("workflow_modification");
    }
  }
}
