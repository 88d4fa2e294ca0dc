package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.secret.MasterKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Must-show 2 end to end: git pushes to a real server with a bwrap agent. Environment
 * {@code production} allows only {@code main} and requires a reviewer: a job from {@code feature/x}
 * is refused with a clear reason (the rest of its run runs); from {@code main} the run waits for
 * approval, then runs.
 */
class EnvironmentRunTest {
  private static final String WORKFLOW = """
      on: push
      jobs:
        build: {runs-on: [linux], steps: [{run: 'echo building'}]}
        deploy:
          needs: [build]
          runs-on: [linux]
          environment: production
          steps: [{run: 'echo deploying-now'}]
      """;
  @TempDir Path dir;

  @Test
  void productionRefusesFeatureXAndRunsMainAfterApproval() throws Exception {
    try (var s = Scenario.createWith(dir, null, c -> c.withMasterKeys(List.of(MasterKey.generate(1))))) {
      s.agent();
      s.server.api().post("/api/v1/environments", Map.of("name", "production", "branches", List.of("main"), "reviewers", 1));

      List<Long> feature = s.pushTo("feature/x", WORKFLOW);
      assertThat(feature).hasSize(1);
      JsonNode refused = s.awaitRunEnded(feature.getFirst());
      assertThat(Scenario.job(refused, "build").path("status").asString()).isEqualTo("succeeded");
      JsonNode deploy = Scenario.job(refused, "deploy");
      assertThat(deploy.path("status").asString()).isEqualTo("cancelled");
      assertThat(deploy.path("reason").asString())
          .isEqualTo("refused by its environment: environment production allows only branches main; 'feature/x' is not one of them");

      long main = s.pushOne(WORKFLOW);
      JsonNode held = s.server.run(main);
      assertThat(held.path("status").asString()).isEqualTo("held");
      assertThat(held.path("hold").path("reason").asString()).isEqualTo("environment_review");
      Thread.sleep(Duration.ofMillis(500));
      assertThat(Scenario.job(s.server.run(main), "build").path("status").asString()).as("nothing runs before approval")
          .isEqualTo("pending");

      s.server.api().post("/api/v1/runs/" + main + "/approve", Map.of("comment", "release"));
      JsonNode ran = s.awaitRunEnded(main);
      assertThat(ran.path("status").asString()).isEqualTo("succeeded");
      assertThat(s.server.log(Scenario.job(ran, "deploy").path("id").asLong())).contains("deploying-now");
    }
  }
}
