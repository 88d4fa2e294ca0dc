package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** A push to a registered repository runs its workflow in a sandbox, end to end. */
class PushToRunTest {
  @TempDir Path dir;

  @Test
  void pushGivesSucceededRunWithStepOutputInTheLog() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent();
      long run = s.pushOne("""
          name: ci
          on: {push: {branches: [main]}}
          jobs:
            build:
              runs-on: [linux]
              env: {GREETING: hello}
              steps:
                - name: greet
                  run: echo "$GREETING from $(id -u) at $MOAT_SHA"
                - run: ls .moat/workflows
          """);
      JsonNode result = s.awaitRunEnded(run);
      assertThat(result.path("status").asString()).isEqualTo("succeeded");
      JsonNode job = Scenario.job(result, "build");
      assertThat(job.path("exitCode").asInt()).isZero();
      String sha = result.path("sha").asString();
      assertThat(s.server.log(job.path("id").asLong()))
          .contains("==> step 1/2: greet")
          .contains("hello from 65500 at " + sha)
          .contains("ci.yml");
    }
  }

  @Test
  void pushToABranchOutsideTheFilterStartsNoRun() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.git.workflow("on: {push: {branches: [main]}}\njobs: {a: {steps: [{run: 'true'}]}}\n").commit("c");
      assertThat(s.git.pushTo("feature/x")).contains("no workflow runs");
      assertThat(s.server.runs()).isEmpty();
    }
  }

  @Test
  void cliListsRunsAsJsonWithTheContractFields() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent();
      long run = s.pushOne("on: push\njobs: {a: {steps: [{run: 'exit 0'}]}}\n");
      s.awaitRunEnded(run);
      JsonNode runs = Json.MAPPER.readTree(cli(s, "runs", "--json"));
      assertThat(runs.isArray()).isTrue();
      JsonNode first = runs.get(0);
      for (String field : List.of("id", "repo", "ref", "sha", "status", "jobs")) assertThat(first.has(field)).as(field).isTrue();
      assertThat(first.path("repo").asString()).isEqualTo("app");
      assertThat(first.path("status").asString()).isEqualTo("succeeded");
      JsonNode job = first.path("jobs").get(0);
      for (String field : List.of("id", "name", "status", "exitCode")) assertThat(job.has(field)).as(field).isTrue();
      assertThat(cli(s, "logs", Long.toString(job.path("id").asLong()))).contains("==> step 1/1");
    }
  }

  /** Runs the real CLI in a new JVM against the test server; returns stdout. */
  static String cli(Scenario s, String... args) throws IOException, InterruptedException {
    var argv = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    argv.addAll(List.of(args));
    var pb = new ProcessBuilder(argv);
    pb.environment().put("MOAT_URL", s.server.url());
    pb.environment().put("MOAT_TOKEN", s.server.token());
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("moat " + String.join(" ", args) + " exit code").isZero();
    return out;
  }
}
