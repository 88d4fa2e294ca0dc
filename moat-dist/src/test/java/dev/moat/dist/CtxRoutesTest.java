package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Json;
import dev.moat.common.mask.SecretForms;
import dev.moat.common.wire.CtxOutput;
import dev.moat.common.wire.JobAssignment;
import dev.moat.common.wire.JobResult;
import dev.moat.common.wire.LogBatch;
import dev.moat.common.wire.LogChunk;
import dev.moat.testkit.FakeAgent;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's side of the ctx socket, driven by a fake agent: the ctx routes take only a job
 * credential and answer with the store's value or its reason, outputs reach the jobs that need
 * the job, and the server masks a log that the agent did not (a secret split across two chunks,
 * and its base64), in the SQLite file itself. Job credentials are the identity part's; the store is {@link SecretsMaskingTest#standIns}.
 */
class CtxRoutesTest {
  static final String TWO_JOBS = "on: push\njobs:\n  a: {runs-on: [linux], steps: [{run: 'true'}]}\n"
      + "  b: {runs-on: [linux], needs: [a], steps: [{run: 'true'}]}\n";
  static final String TOKEN = SecretsMaskingTest.TOKEN;
  @TempDir Path dir;
  TestServer server;
  GitFixture git;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    server = TestServer.startWith(dir.resolve("server"), null, c -> c, SecretsMaskingTest.standIns());
    git = GitFixture.create(dir.resolve("git"));
    server.addRepo("app", git.bare());
    git.workflow(TWO_JOBS).commit("c");
    git.push();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> get(String path, String bearer) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).header("Authorization", "Bearer " + bearer)
        .GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String bearer, Object body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).header("Authorization", "Bearer " + bearer)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(Json.write(body))).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void secretsAreServedOnlyToAJobCredentialAndRefusalsSayWhy() throws Exception {
    var agent = FakeAgent.registered(server, List.of("linux"));
    JobAssignment a = agent.poll(1, List.of()).assignments().getFirst();
    assertThat(a.jobToken()).isNotBlank();

    var ok = get("/api/v1/ctx/secrets/TOKEN", a.jobToken());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(Json.MAPPER.readTree(ok.body()).path("value").asString()).isEqualTo(TOKEN);

    var denied = get("/api/v1/ctx/secrets/OTHER", a.jobToken());
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(Json.MAPPER.readTree(denied.body()).path("detail").asString())
        .isEqualTo("secret OTHER is not granted to job " + a.jobId() + ": it has no environment binding");

    // The user's API token and a made-up one are not job credentials; an ended job's is no more.
    assertThat(get("/api/v1/ctx/secrets/TOKEN", server.token()).statusCode()).isEqualTo(401);
    assertThat(get("/api/v1/ctx/secrets/TOKEN", "job-" + a.jobId()).statusCode()).isEqualTo(401);
    agent.start(a.jobId());
    agent.finish(a.jobId(), new JobResult("succeeded", 0, "ok", 0));
    var ended = get("/api/v1/ctx/secrets/TOKEN", a.jobToken());
    assertThat(ended.statusCode()).isEqualTo(401);
    assertThat(ended.body()).contains("is no longer valid: the job is succeeded");
  }

  @Test
  void anOutputReachesTheJobThatNeedsIt() throws Exception {
    var agent = FakeAgent.registered(server, List.of("linux"));
    JobAssignment a = agent.poll(1, List.of()).assignments().getFirst();
    assertThat(a.job()).isEqualTo("a");
    agent.start(a.jobId());

    assertThat(post("/api/v1/ctx/outputs", a.jobToken(), new CtxOutput("color", "blue")).statusCode()).isEqualTo(204);
    assertThat(post("/api/v1/ctx/outputs", a.jobToken(), new CtxOutput("color", "teal")).statusCode()).isEqualTo(204);
    var bad = post("/api/v1/ctx/outputs", a.jobToken(), java.util.Map.of("key", "no spaces", "value", "x"));
    assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
    assertThat(bad.body()).contains("output key 'no spaces' must be letters, digits and '_'");
    agent.finish(a.jobId(), new JobResult("succeeded", 0, "ok", 0));

    JobAssignment b = agent.poll(1, List.of()).assignments().getFirst();
    assertThat(b.job()).isEqualTo("b");
    assertThat(b.env()).containsEntry(CtxOutput.variable("a", "color"), "teal").containsEntry("MOAT_NEEDS_A_COLOR", "teal");
    assertThat(a.env()).doesNotContainKey("MOAT_NEEDS_A_COLOR");
  }

  @Test
  void theServerMasksWhatTheAgentDidNotAlsoAcrossChunks() throws Exception {
    var agent = FakeAgent.registered(server, List.of("linux"));
    JobAssignment a = agent.poll(1, List.of()).assignments().getFirst();
    agent.start(a.jobId());
    String b64 = Base64.getEncoder().encodeToString(TOKEN.getBytes(StandardCharsets.UTF_8));
    agent.logs(a.jobId(), new LogBatch(List.of(new LogChunk(0, "start " + TOKEN.substring(0, 7)))));
    agent.logs(a.jobId(), new LogBatch(List.of(new LogChunk(1, TOKEN.substring(7) + " end\n" + b64 + "\nü tail " + TOKEN.substring(0, 5)))));
    agent.finish(a.jobId(), new JobResult("succeeded", 0, "ok", 0));

    StringBuilder stored = new StringBuilder();
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + server.dataDir().resolve("moat.db"));
        var st = c.prepareStatement("SELECT data FROM log_chunks WHERE job_id = ? ORDER BY seq")) {
      st.setLong(1, a.jobId());
      try (var rs = st.executeQuery()) {
        while (rs.next()) stored.append(rs.getString(1));
      }
    }
    // The split value is one mask, base64 keeps only the characters its padding decides, and the
    // held tail (a prefix that never completed) is stored when the job finishes.
    assertThat(stored.toString()).matches("start \\*\\*\\* end\n\\*\\*\\*.{0,3}\nü tail "
        + java.util.regex.Pattern.quote(TOKEN.substring(0, 5)));
    for (byte[] form : SecretForms.of(TOKEN)) {
      assertThat(stored.toString()).doesNotContain(new String(form, StandardCharsets.UTF_8));
    }
    assertThat(server.log(a.jobId())).isEqualTo(stored.toString());
  }
}
