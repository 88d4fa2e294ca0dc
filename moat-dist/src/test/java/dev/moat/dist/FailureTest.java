package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.testkit.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Failing steps, timeouts and cancellation, each ending the right jobs and nothing else. */
class FailureTest {
  @TempDir Path dir;

  @Test
  void failingStepFailsJobAndRunWithItsExitCodeAndSkipsDependants() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent();
      long run = s.pushOne("""
          on: push
          jobs:
            build:
              steps:
                - run: echo before
                - run: exit 3
                - run: echo never-printed
            deploy:
              needs: [build]
              steps: [{run: echo deploying}]
            after-deploy:
              needs: [deploy]
              steps: [{run: echo after}]
            lint:
              steps: [{run: echo lint-ok}]
          """);
      JsonNode result = s.awaitRunEnded(run);
      assertThat(result.path("status").asString()).isEqualTo("failed");
      JsonNode build = Scenario.job(result, "build");
      assertThat(build.path("status").asString()).isEqualTo("failed");
      assertThat(build.path("exitCode").asInt()).isEqualTo(3);
      assertThat(build.path("reason").asString()).contains("step 2").contains("exited with 3");
      assertThat(Scenario.job(result, "deploy").path("status").asString()).isEqualTo("skipped");
      assertThat(Scenario.job(result, "after-deploy").path("status").asString()).isEqualTo("skipped");
      assertThat(Scenario.job(result, "lint").path("status").asString()).isEqualTo("succeeded");
      assertThat(s.server.log(build.path("id").asLong())).contains("before").doesNotContain("never-printed");
    }
  }

  @Test
  void jobPastItsTimeoutIsKilledWithAllItsChildrenAndMarkedTimedOut() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent();
      long run = s.pushOne("""
          on: push
          jobs:
            slow:
              timeout: 2s
              steps:
                - run: |
                    sleep 1000101 &
                    (setsid sleep 1000102 &)
                    echo started
                    sleep 1000103
          """);
      await().atMost(Duration.ofSeconds(30)).until(() -> Processes.running("sleep 1000103").size() == 1);
      JsonNode result = s.awaitRunEnded(run);
      JsonNode job = Scenario.job(result, "slow");
      assertThat(job.path("status").asString()).isEqualTo("timed_out");
      assertThat(result.path("status").asString()).isEqualTo("failed");
      assertThat(s.server.log(job.path("id").asLong())).contains("started").contains("exceeded its timeout");
      for (String marker : new String[] {"sleep 1000101", "sleep 1000102", "sleep 1000103"}) {
        assertThat(Processes.running(marker)).as(marker).isEmpty();
      }
    }
  }

  @Test
  void cancelStopsTheWholeSandboxWithinTwoSeconds() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent();
      long run = s.pushOne("""
          on: push
          jobs:
            long:
              steps:
                - run: |
                    sleep 1000201 &
                    sleep 1000202
          """);
      await().atMost(Duration.ofSeconds(30)).until(() -> Processes.running("sleep 1000202").size() == 1);
      assertThat(Processes.running("sleep 1000201")).hasSize(1);
      JsonNode cancelled = s.server.api().post("/api/v1/runs/" + run + "/cancel", Map.of());
      assertThat(cancelled.path("status").asString()).isEqualTo("cancelled");
      await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
          .until(() -> Processes.running("sleep 1000201").isEmpty() && Processes.running("sleep 1000202").isEmpty());
      assertThat(Scenario.job(s.server.run(run), "long").path("status").asString()).isEqualTo("cancelled");
    }
  }
}
