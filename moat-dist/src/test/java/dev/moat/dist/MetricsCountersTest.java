package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.wire.JobResult;
import dev.moat.testkit.FakeAgent;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The counters behind {@code /metrics}, each driven through its real route and read from the scrape. */
class MetricsCountersTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start(dir.resolve("server"));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void badSignatureWebhookAndReusedRegistrationTokenAreCounted() throws Exception {
    var resp = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/hooks/git"))
        .header("X-Moat-Repo", "nope").header("X-Moat-Signature-256", "sha256=00")
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).isEqualTo(401);
    String token = server.registrationToken("default");
    assertThat(FakeAgent.register(server.url(), token, List.of("linux")).status()).isEqualTo(201);
    assertThat(FakeAgent.register(server.url(), token, List.of("linux")).status()).isEqualTo(401);

    String scrape = scrape();
    assertThat(sample(scrape, "moat_webhook_deliveries_total{result=\"bad_signature\",source=\"git\"}")).isEqualTo(1.0);
    assertThat(sample(scrape, "moat_webhook_deliveries_total{result=\"ok\",source=\"git\"}")).isEqualTo(0.0);
    assertThat(sample(scrape, "moat_agent_registrations_total{result=\"ok\"}")).isEqualTo(1.0);
    assertThat(sample(scrape, "moat_agent_registrations_total{result=\"refused\"}")).isEqualTo(1.0);
  }

  @Test
  void egressDenialsAnAgentReportsAreCountedForItsPool() throws Exception {
    var git = GitFixture.create(dir.resolve("git"));
    server.addRepo("app", git.bare());
    var agent = FakeAgent.registered(server, List.of("linux"));
    git.workflow("on: push\njobs: {a: {runs-on: [linux], steps: [{run: 'true'}]}}\n").commit("c");
    git.push();
    long job = agent.poll(1, List.of()).assignments().getFirst().jobId();
    assertThat(agent.start(job).status()).isEqualTo(204);
    assertThat(agent.finish(job, new JobResult("failed", 1, "blocked", 3)).status()).isEqualTo(204);

    String scrape = scrape();
    assertThat(sample(scrape, "moat_egress_denials_total{pool=\"default\"}")).isEqualTo(3.0);
    assertThat(sample(scrape, "moat_job_duration_seconds_count{pool=\"default\",result=\"failed\"}")).isEqualTo(1.0);
    assertThat(sample(scrape, "moat_agents_connected{pool=\"default\"}")).isEqualTo(1.0);
    assertThat(sample(scrape, "moat_queue_depth{pool=\"default\"}")).isEqualTo(0.0);
  }

  @Test
  void anApprovalFeedsTimeToApprovalAndARejectionDoesNot() throws Exception {
    var git = GitFixture.create(dir.resolve("git"));
    server.addRepo("app", git.bare());
    String wf = "on: {push: {branches: [release]}, pull_request: {branches: [main]}}\njobs: {build: {steps: [{run: 'true'}]}}\n";
    String base = git.workflow(wf).commit("base");
    git.push();
    var author = new dev.moat.server.run.RunRequest.Author("github", 583231, "octocat");
    var decision = dev.moat.engine.trust.TrustRules.decide(new dev.moat.engine.trust.Change(
        dev.moat.engine.trust.Change.Kind.PULL_REQUEST, dev.moat.engine.trust.TrustTier.UNKNOWN, true, false, null));
    java.util.function.LongSupplier hold = () -> server.runStarter().start("app",
        dev.moat.server.run.RunRequest.pullRequest("refs/heads/feature", base, "refs/heads/main", base, author), decision,
        at -> new dev.moat.server.repo.GitReader().workflows(git.bare(), at)).getFirst();
    long approved = hold.getAsLong();
    long rejected = hold.getAsLong();
    assertThat(server.run(approved).path("status").asString()).isEqualTo("held");
    String before = scrape();
    assertThat(sample(before, "moat_time_to_approval_seconds_count")).isEqualTo(0.0);
    Thread.sleep(50); // so the hold's age is measurably above 0 at millisecond resolution

    server.api().post("/api/v1/runs/" + approved + "/approve", java.util.Map.of());
    server.api().post("/api/v1/runs/" + rejected + "/reject", java.util.Map.of());
    String after = scrape();
    assertThat(sample(after, "moat_time_to_approval_seconds_count")).as("the approval only").isEqualTo(1.0);
    assertThat(sample(after, "moat_time_to_approval_seconds_sum")).isGreaterThanOrEqualTo(0.05).isLessThan(60.0);
  }

  private String scrape() throws Exception {
    var resp = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).isEqualTo(200);
    return resp.body();
  }

  /** The value of one series in the Prometheus text format; fails when the series is absent. */
  private static double sample(String scrape, String series) {
    return scrape.lines().filter(l -> l.startsWith(series + " ")).findFirst()
        .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
        .orElseThrow(() -> new AssertionError("no series " + series + " in:\n" + scrape));
  }
}
