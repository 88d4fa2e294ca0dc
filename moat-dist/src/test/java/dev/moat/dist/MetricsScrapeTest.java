package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.common.wire.JobResult;
import dev.moat.testkit.FakeAgent;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Must-show 1 and 2 of issue 6: a real Prometheus scrapes a real server's {@code /metrics}; PromQL
 * over Prometheus's HTTP API returns the queue wait histogram and job results; 100 more runs add no
 * series (labels are bounded: no run, job, repo or agent ids).
 */
class MetricsScrapeTest {
  private static final String ONE_JOB = "on: push\njobs: {a: {runs-on: [linux], steps: [{run: 'true'}]}}\n";
  /** The contract's labels, plus the histogram's le and the scrape's own instance and job. */
  private static final Set<String> BOUNDED = Set.of("pool", "tier", "result", "reason", "source", "le", "instance", "job");
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Path ALERTS = AlertRulesTest.checkoutRoot().resolve("deploy/prometheus/alerts.yml");
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  TestServer server;
  GitFixture git;
  Process prometheus;
  String promUrl;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start(dir.resolve("server"));
    git = GitFixture.create(dir.resolve("git"));
    server.addRepo("app", git.bare());
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (prometheus != null) {
        // Ours alone, by its pid.
        prometheus.destroy();
        if (!prometheus.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) prometheus.destroyForcibly().waitFor();
      }
    } finally {
      server.close();
    }
  }

  @Test
  void prometheusScrapesQueueWaitAndJobResultsAndRunsAddNoSeries() throws Exception {
    Path bin = Path.of("/usr/bin/prometheus");
    Assumptions.assumeTrue(Files.isExecutable(bin), "prometheus is not installed (Debian package prometheus): skipped");
    var agent = FakeAgent.registered(server, List.of("linux"));
    runOne(agent, 1, "succeeded");
    runOne(agent, 2, "succeeded");
    runOne(agent, 3, "failed");
    startPrometheus(bin);

    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
        assertThat(value("sum(moat_queue_wait_seconds_count)")).isEqualTo(3.0));
    assertThat(value("sum(moat_job_duration_seconds_count{result=\"succeeded\"})")).isEqualTo(2.0);
    assertThat(value("sum(moat_job_duration_seconds_count{result=\"failed\"})")).isEqualTo(1.0);
    assertThat(value("sum(moat_agent_registrations_total{result=\"ok\"})")).isEqualTo(1.0);
    // The histogram's buckets: a quantile over them is a number, and every wait fits the top bucket.
    JsonNode p95 = query("histogram_quantile(0.95, sum by (le, pool) (moat_queue_wait_seconds_bucket))");
    assertThat(p95.size()).isEqualTo(1);
    assertThat(p95.get(0).get("metric").get("pool").asString()).isEqualTo("default");
    assertThat(value("sum(moat_queue_wait_seconds_bucket{le=\"+Inf\"})")).isEqualTo(3.0);
    assertAlertRulesLoaded();

    Set<String> before = series();
    assertThat(before).as("the fixed series set").isNotEmpty()
        .allMatch(s -> labelKeys(s).stream().allMatch(BOUNDED::contains))
        .noneMatch(s -> s.contains("agt-"))
        .anyMatch(s -> s.startsWith("moat_queue_depth{"))
        .anyMatch(s -> s.startsWith("moat_runs_held{"));
    for (int i = 4; i < 104; i++) runOne(agent, i, i % 7 == 0 ? "failed" : "succeeded");
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
        assertThat(value("sum(moat_queue_wait_seconds_count)")).isEqualTo(103.0));
    assertThat(series()).as("100 runs add no series").isEqualTo(before);
    assertThat(value("count({__name__=~\"moat_.*\"})")).isEqualTo((double) before.size());
  }

  /** One pushed commit, claimed, started and finished by the agent as {@code result}. */
  private void runOne(FakeAgent agent, int n, String result) throws Exception {
    git.workflow(ONE_JOB).commit("c" + n);
    git.push();
    var got = agent.poll(1, List.of()).assignments();
    assertThat(got).hasSize(1);
    long job = got.getFirst().jobId();
    assertThat(agent.start(job).status()).isEqualTo(204);
    assertThat(agent.finish(job, new JobResult(result, result.equals("succeeded") ? 0 : 1, result)).status()).isEqualTo(204);
  }

  private void startPrometheus(Path bin) throws IOException {
    int port;
    try (var s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    URI target = URI.create(server.url());
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, """
        global: {scrape_interval: 1s, evaluation_interval: 1s}
        rule_files: ['%s']
        scrape_configs:
          - job_name: moat
            metrics_path: /metrics
            static_configs: [{targets: ['%s:%d']}]
        """.formatted(ALERTS, target.getHost(), target.getPort()));
    promUrl = "http://127.0.0.1:" + port;
    prometheus = new ProcessBuilder(bin.toString(), "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("prom-data"),
        "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
  }

  /**
   * The shipped alert rules, loaded by this real Prometheus over the real server's series: every group
   * evaluates healthy and every alert of alerts.yml is there (none fires on this quiet server).
   */
  private void assertAlertRulesLoaded() throws Exception {
    var names = new TreeSet<String>();
    var m = java.util.regex.Pattern.compile("(?m)^\\s*- alert: (\\w+)").matcher(Files.readString(ALERTS));
    while (m.find()) names.add(m.group(1));
    assertThat(names).hasSize(7);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      var resp = HTTP.send(HttpRequest.newBuilder(URI.create(promUrl + "/api/v1/rules")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(resp.statusCode()).isEqualTo(200);
      var loaded = new TreeSet<String>();
      for (JsonNode group : JSON.readTree(resp.body()).get("data").get("groups")) {
        for (JsonNode rule : group.get("rules")) {
          assertThat(rule.get("health").asString()).as("%s", rule).isEqualTo("ok");
          assertThat(rule.get("state").asString()).as("%s", rule).isEqualTo("inactive");
          loaded.add(rule.get("name").asString());
        }
      }
      assertThat(loaded).isEqualTo(names);
    });
  }

  private JsonNode query(String promql) throws Exception {
    var req = HttpRequest.newBuilder(URI.create(promUrl + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
        .timeout(Duration.ofSeconds(5)).build();
    var resp = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(resp.body());
    assertThat(body.get("status").asString()).isEqualTo("success");
    return body.get("data").get("result");
  }

  private double value(String promql) throws Exception {
    JsonNode r = query(promql);
    assertThat(r.size()).as("one sample for " + promql).isEqualTo(1);
    return Double.parseDouble(r.get(0).get("value").get(1).asString());
  }

  /** The label names of a series written as name{k=v,...}. */
  private static List<String> labelKeys(String series) {
    String inner = series.substring(series.indexOf('{') + 1, series.length() - 1);
    return inner.isEmpty() ? List.of()
        : java.util.Arrays.stream(inner.split(",")).map(kv -> kv.substring(0, kv.indexOf('='))).toList();
  }

  /** Every moat_ series Prometheus holds now, as name{labels}. */
  private Set<String> series() throws Exception {
    var out = new TreeSet<String>();
    for (JsonNode s : query("{__name__=~\"moat_.*\"}")) {
      var m = s.get("metric");
      var labels = new TreeSet<String>();
      for (var e : m.properties()) if (!e.getKey().equals("__name__")) labels.add(e.getKey() + "=" + e.getValue().asString());
      out.add(m.get("__name__").asString() + "{" + String.join(",", labels) + "}");
    }
    return out;
  }
}
