package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.testkit.TestAgent;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** A step sees none of the agent's environment and cannot read the agent's state. */
class IsolationTest {
  @TempDir Path dir;

  @Test
  void stepSeesNoAgentVariablesAndCannotReadTheAgentDataDirectory() throws Exception {
    try (var s = Scenario.create(dir)) {
      Path agentDir = dir.resolve("agent-data");
      Process agent = TestAgent.forked(s.server, agentDir, dir.resolve("agent-work"), Main.class.getName(),
          Map.of("AGENT_ONLY_SECRET", "leak-marker-93131"));
      try {
        long run = s.pushOne("""
            on: push
            jobs:
              probe:
                env: {WORKFLOW_VAR: from-workflow}
                steps:
                  - name: env
                    run: env
                  - name: agent state
                    run: |
                      if cat %1$s/agent.json; then echo READ-AGENT-STATE; fi
                      if ls %1$s; then echo LISTED-AGENT-DIR; fi
                      echo probe-done
            """.formatted(agentDir));
        JsonNode result = s.awaitRunEnded(run);
        assertThat(result.path("status").asString()).isEqualTo("succeeded");
        String log = s.server.log(Scenario.job(result, "probe").path("id").asLong());
        String envOutput = log.substring(log.indexOf("==> step 1/2"), log.indexOf("==> step 2/2"));
        Set<String> names = Arrays.stream(envOutput.split("\n")).skip(1).map(l -> l.split("=", 2)[0]).collect(Collectors.toSet());
        assertThat(names).containsExactlyInAnyOrder("PATH", "HOME", "LANG", "CI", "MOAT", "MOAT_RUN_ID", "MOAT_JOB_ID",
            "MOAT_REPO", "MOAT_REF", "MOAT_SHA", "MOAT_WORKFLOW", "MOAT_JOB", "MOAT_CTX", "WORKFLOW_VAR", "PWD");
        assertThat(log).doesNotContain("leak-marker-93131").doesNotContain("moat_agent_");
        assertThat(log).contains("No such file or directory").contains("probe-done")
            .doesNotContain("READ-AGENT-STATE").doesNotContain("LISTED-AGENT-DIR");
      } finally {
        agent.destroyForcibly().waitFor();
      }
    }
  }
}
