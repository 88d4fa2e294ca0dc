package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.common.wire.JobAssignment;
import dev.moat.common.wire.PollRequest;
import dev.moat.common.wire.JobResult;
import dev.moat.common.wire.LogBatch;
import dev.moat.common.wire.LogChunk;
import dev.moat.testkit.FakeAgent;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's side of the agent protocol, driven message by message by a fake agent. */
class AgentProtocolTest {
  private static final String ONE_JOB = "on: push\njobs: {a: {runs-on: [linux], steps: [{run: 'true'}]}}\n";
  @TempDir Path dir;
  TestServer server;
  GitFixture git;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start(dir.resolve("server"));
    git = GitFixture.create(dir.resolve("git"));
    server.addRepo("app", git.bare());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private JobAssignment queueAndClaim(FakeAgent agent) throws Exception {
    git.workflow(ONE_JOB).commit("c");
    git.push();
    var poll = agent.poll(1, List.of());
    assertThat(poll.assignments()).hasSize(1);
    assertThat(poll.assignments().getFirst().jobToken()).as("each claim carries a job credential").startsWith("moat_job_");
    return poll.assignments().getFirst();
  }

  @Test
  void registrationTokenWorksOnlyOnce() throws Exception {
    String token = server.registrationToken("default");
    assertThat(FakeAgent.register(server.url(), token, List.of("linux")).status()).isEqualTo(201);
    assertThat(FakeAgent.register(server.url(), token, List.of("linux")).status()).isEqualTo(401);
  }

  @Test
  void aJobThatNamesAnImageGoesOnlyToAnAgentWhosePoolRunsIt() throws Exception {
    git.workflow("on: push\njobs: {a: {runs-on: [linux], image: debian-bookworm, steps: [{run: 'true'}]}}\n").commit("c");
    git.push();
    var host = FakeAgent.registered(server, List.of("linux"));
    var otherImage = FakeAgent.registered(server, List.of("linux"));
    var bookworm = FakeAgent.registered(server, List.of("linux"));

    assertThat(host.poll(1, List.of()).assignments()).isEmpty();
    assertThat(otherImage.poll(new PollRequest(1, List.of(), "debian-trixie")).assignments()).isEmpty();
    var got = bookworm.poll(new PollRequest(1, List.of(), "debian-bookworm")).assignments();
    assertThat(got).singleElement().satisfies(a -> assertThat(a.image()).isEqualTo("debian-bookworm"));
  }

  @Test
  void agentWithoutTheJobsLabelsGetsNothing() throws Exception {
    var windows = FakeAgent.registered(server, List.of("windows"));
    git.workflow(ONE_JOB).commit("c");
    git.push();
    assertThat(windows.poll(1, List.of()).assignments()).isEmpty();
    assertThat(FakeAgent.registered(server, List.of("linux")).poll(1, List.of()).assignments()).hasSize(1);
  }

  @Test
  void claimNotAcknowledgedInTimeIsQueuedAgainForAnotherAgent() throws Exception {
    var silent = FakeAgent.registered(server, List.of("linux"));
    var job = queueAndClaim(silent);
    var other = FakeAgent.registered(server, List.of("linux"));
    await().atMost(Duration.ofSeconds(10)).until(() -> !other.poll(1, List.of()).assignments().isEmpty());
    assertThat(silent.start(job.jobId()).status()).isEqualTo(403);
  }

  @Test
  void jobWhoseAgentStopsHeartbeatingBecomesLost() throws Exception {
    var agent = FakeAgent.registered(server, List.of("linux"));
    var job = queueAndClaim(agent);
    assertThat(agent.start(job.jobId()).status()).isEqualTo(204);
    await().atMost(Duration.ofSeconds(15)).until(() -> status(job).equals("lost"));
    assertThat(server.run(job.runId()).path("status").asString()).isEqualTo("failed");
    assertThat(agent.poll(1, List.of(job.jobId())).stop()).containsExactly(job.jobId());
    assertThat(agent.finish(job.jobId(), new JobResult("succeeded", 0, "late")).status()).isEqualTo(409);
  }

  @Test
  void heartbeatsKeepTheLeasePastItsTtl() throws Exception {
    var agent = FakeAgent.registered(server, List.of("linux"));
    var job = queueAndClaim(agent);
    agent.start(job.jobId());
    long until = System.nanoTime() + TestServer.LEASE.multipliedBy(2).toNanos();
    while (System.nanoTime() < until) {
      assertThat(agent.poll(0, List.of(job.jobId())).stop()).isEmpty();
    }
    assertThat(status(job)).isEqualTo("running");
    assertThat(agent.finish(job.jobId(), new JobResult("succeeded", 0, "ok")).status()).isEqualTo(204);
    assertThat(server.run(job.runId()).path("status").asString()).isEqualTo("succeeded");
  }

  @Test
  void logChunksAreStoredOnceInOrderWithoutGaps() throws Exception {
    var agent = FakeAgent.registered(server, List.of("linux"));
    var job = queueAndClaim(agent);
    agent.start(job.jobId());
    long id = job.jobId();
    assertThat(agent.logsAck(id, batch(0, 1))).isEqualTo(2);
    assertThat(agent.logsAck(id, batch(1, 2))).as("resent chunk 1 is dropped, 2 stored").isEqualTo(3);
    assertThat(agent.logsAck(id, batch(5, 6))).as("a gap is refused: resume at 3").isEqualTo(3);
    assertThat(agent.logsAck(id, batch(3, 4))).isEqualTo(5);
    assertThat(server.log(id)).isEqualTo("c0\nc1\nc2\nc3\nc4\n");
  }

  @Test
  void anotherAgentCannotWriteOrFinishAJobThatIsNotItsOwn() throws Exception {
    var owner = FakeAgent.registered(server, List.of("linux"));
    var job = queueAndClaim(owner);
    owner.start(job.jobId());
    var intruder = FakeAgent.registered(server, List.of("linux"));
    assertThat(intruder.logs(job.jobId(), batch(0)).status()).isEqualTo(403);
    assertThat(intruder.finish(job.jobId(), new JobResult("succeeded", 0, "x")).status()).isEqualTo(403);
    assertThat(status(job)).isEqualTo("running");
  }

  private String status(JobAssignment job) {
    return Scenario.job(server.run(job.runId()), "a").path("status").asString();
  }

  private static LogBatch batch(long... seqs) {
    return new LogBatch(java.util.Arrays.stream(seqs).mapToObj(s -> new LogChunk(s, "c" + s + "\n")).toList());
  }
}
