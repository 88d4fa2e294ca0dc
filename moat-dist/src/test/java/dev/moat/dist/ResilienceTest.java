package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.testkit.Processes;
import dev.moat.testkit.TestAgent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** What happens when an agent dies or the server restarts in the middle of a job. */
class ResilienceTest {
  @TempDir Path dir;

  /**
   * The killed agent can't remove its job's cgroup, so the restarted one must: {@code moat agent}
   * sweeps job cgroups at start. Both run in a cgroup of the test's own ({@link PrivateCgroup}), so
   * that the sweep sees only theirs and not other checkouts' jobs on this host.
   */
  @Test
  void killedAgentsJobBecomesLostAndTheRestartedAgentSweepsItsCgroupAndTakesTheNextJobs() throws Exception {
    try (var s = Scenario.create(dir); var cgroup = PrivateCgroup.create("lr-resilience-" + ProcessHandle.current().pid())) {
      Path agentDir = dir.resolve("forked-agent");
      Process agent = forkedAgent(s, agentDir, cgroup);
      Process restarted = null;
      try {
        long run = s.pushOne("on: push\njobs: {long: {steps: [{run: 'sleep 1000301'}]}}\n");
        await().atMost(Duration.ofSeconds(60)).until(() -> Processes.running("sleep 1000301").size() == 1);
        assertThat(Scenario.job(s.server.run(run), "long").path("status").asString()).isEqualTo("running");
        List<Path> jobCgroups = cgroup.children();
        assertThat(jobCgroups).as("the running job's cgroups, inside the test's cgroup").isNotEmpty()
            .allMatch(p -> p.getFileName().toString().startsWith("moat-job-"));
        agent.destroyForcibly().waitFor();
        // The sandbox dies with its agent (bwrap --die-with-parent), and the lease runs out.
        await().atMost(Duration.ofSeconds(5)).until(() -> Processes.running("sleep 1000301").isEmpty());
        JsonNode lost = s.awaitJob(run, "long", st -> !st.equals("running"));
        assertThat(lost.path("status").asString()).isEqualTo("lost");
        assertThat(lost.path("reason").asString()).contains("lease");
        assertThat(s.server.run(run).path("status").asString()).isEqualTo("failed");
        assertThat(jobCgroups).as("the killed agent left its job's cgroups").allMatch(Files::isDirectory);

        restarted = forkedAgent(s, agentDir, cgroup);
        long next = s.pushOne("on: push\njobs: {quick: {steps: [{run: 'echo next'}]}}\n");
        assertThat(s.awaitRunEnded(next).path("status").asString()).isEqualTo("succeeded");
        String name = jobCgroups.getFirst().getFileName().toString();
        assertThat(TestAgent.output(agentDir)).contains("removed what a crashed agent left: [" + name + "]");
        assertThat(jobCgroups).as("swept by the restarted agent").noneMatch(Files::isDirectory);
      } finally {
        agent.destroyForcibly().waitFor();
        if (restarted != null) restarted.destroy();
        if (restarted != null && !restarted.waitFor(20, TimeUnit.SECONDS)) restarted.destroyForcibly().waitFor();
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> cgroup.children().isEmpty());
    }
  }

  /** {@code moat agent} in its own JVM, moved into {@code cgroup} before it looks at its cgroups. */
  private Process forkedAgent(Scenario s, Path agentDir, PrivateCgroup cgroup) throws IOException {
    Process agent = TestAgent.forked(s.server, agentDir, dir.resolve("forked-work"), Main.class.getName(), Map.of());
    // The JVM takes far longer to start than this move, and the test checks where the job's cgroup went.
    cgroup.move(agent.pid());
    return agent;
  }

  @Test
  void agentReconnectsAfterServerRestartAndTheLogHasNoGapAndNoDuplicate() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent();
      long run = s.pushOne("""
          on: push
          jobs:
            chatty:
              steps:
                - run: for i in $(seq 1 60); do echo "line $i" | tee -a progress; sleep 0.05; done
          """);
      long job = s.awaitJob(run, "chatty", st -> st.equals("running")).path("id").asLong();
      await().atMost(Duration.ofSeconds(30)).until(() -> s.server.log(job).contains("line 10\n"));
      assertThat(s.server.run(run).path("status").asString()).as("logs stream while the job runs").isEqualTo("running");
      s.server.stop();
      // The job goes on while the server is down: its output waits on the agent.
      await().atMost(Duration.ofSeconds(30)).until(() -> progress(s) >= 30);
      s.server.restart();
      JsonNode result = s.awaitRunEnded(run);
      assertThat(result.path("status").asString()).isEqualTo("succeeded");
      String expected = IntStream.rangeClosed(1, 60).mapToObj(i -> "line " + i + "\n").collect(Collectors.joining());
      String log = s.server.log(job);
      String body = log.substring(log.indexOf("line 1\n"));
      assertThat(body).isEqualTo(expected);
    }
  }

  /** Lines the job has written to {@code progress} in its workspace, read from the host. */
  private static long progress(Scenario s) throws java.io.IOException {
    Path root = s.workRoot(0);
    try (var workspaces = java.nio.file.Files.list(root)) {
      for (Path ws : workspaces.toList()) {
        Path file = ws.resolve("progress");
        if (java.nio.file.Files.exists(file)) return java.nio.file.Files.readAllLines(file).size();
      }
    }
    return 0;
  }
}
