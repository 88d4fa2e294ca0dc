package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Issue 6, must show 1 (the alert half): {@code deploy/prometheus/alerts.yml} passes {@code promtool
 * check rules}, {@code promtool test rules} passes {@code alerts_test.yml}, and that file tests every
 * alert both firing and staying quiet. Every alert links its runbook entry in {@code docs/runbooks.md}
 * and uses only the metric names the server exposes (the contract in issue 6). A rules file with a
 * changed threshold fails the unit tests, so they pin the rules rather than merely parse them. Skips
 * with a printed reason only when promtool (Debian's {@code prometheus} package) is not installed.
 */
class AlertRulesTest {
  /** The metric names of issue 6's contract, without histogram suffixes. */
  static final Set<String> METRICS = Set.of(
      "moat_queue_depth", "moat_queue_wait_seconds", "moat_job_duration_seconds", "moat_job_retries_total",
      "moat_jobs_lost_total", "moat_dispatch_ack_timeouts_total", "moat_agents_connected",
      "moat_agent_registrations_total", "moat_runs_held", "moat_time_to_approval_seconds",
      "moat_secret_fetches_total", "moat_id_tokens_issued_total", "moat_egress_denials_total",
      "moat_webhook_deliveries_total", "moat_image_integrity_failures_total", "moat_sandbox_start_seconds");
  static final Pattern METRIC = Pattern.compile("\\bmoat_[a-z_]+");
  static final Pattern HISTOGRAM_SUFFIX = Pattern.compile("_(bucket|sum|count)$");

  static Path root;
  static Path prometheusDir;
  static Optional<Path> promtool;
  @TempDir Path dir;

  /** The checkout's root: the nearest parent of the working directory holding deploy/prometheus/alerts.yml. */
  static Path checkoutRoot() {
    Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (here != null && !Files.isRegularFile(here.resolve("deploy/prometheus/alerts.yml"))) here = here.getParent();
    assertThat(here).as("a parent of %s holding deploy/prometheus/alerts.yml", System.getProperty("user.dir")).isNotNull();
    return here;
  }

  @BeforeAll
  static void locate() {
    root = checkoutRoot();
    prometheusDir = root.resolve("deploy/prometheus");
    promtool = Stream.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)), Stream.of("/usr/bin"))
        .filter(p -> !p.isEmpty()).map(p -> Path.of(p, "promtool")).filter(Files::isExecutable).findFirst();
    if (promtool.isEmpty()) System.out.println("skipping promtool checks: promtool is not installed (Debian package prometheus)");
  }

  @Test
  void promtoolCheckRulesAcceptsEveryRule() throws Exception {
    assumeTrue(promtool.isPresent(), "promtool is not installed");
    Result check = promtool(prometheusDir, "check", "rules", "alerts.yml");
    assertThat(check.code()).as(check.out()).isZero();
    assertThat(check.out()).contains("SUCCESS: " + alerts().size() + " rules found");
  }

  @Test
  void promtoolUnitTestsPass() throws Exception {
    assumeTrue(promtool.isPresent(), "promtool is not installed");
    Result test = promtool(prometheusDir, "test", "rules", "alerts_test.yml");
    assertThat(test.code()).as(test.out()).isZero();
    assertThat(test.out()).contains("SUCCESS").doesNotContain("FAILED");
  }

  @Test
  void unitTestsPinTheThresholds() throws Exception {
    assumeTrue(promtool.isPresent(), "promtool is not installed");
    String rules = Files.readString(prometheusDir.resolve("alerts.yml"));
    String slo = "rate(moat_queue_wait_seconds_bucket[15m]))) > 300";
    assertThat(rules).contains(slo);
    Files.writeString(dir.resolve("alerts.yml"), rules.replace(slo, slo.replace("> 300", "> 3000")));
    Files.copy(prometheusDir.resolve("alerts_test.yml"), dir.resolve("alerts_test.yml"));
    Result test = promtool(dir, "test", "rules", "alerts_test.yml");
    assertThat(test.code()).as(test.out()).isNotZero();
    assertThat(test.out()).contains("FAILED").contains("alertname: MoatQueueWaitOverSLO, time: 30m");
  }

  @Test
  void everyAlertIsTestedFiringAndQuiet() throws IOException {
    Map<String, List<Boolean>> cases = new LinkedHashMap<>();
    for (Map<String, Object> test : list(yaml(prometheusDir.resolve("alerts_test.yml")).get("tests")))
      for (Map<String, Object> c : list(test.get("alert_rule_test")))
        cases.computeIfAbsent((String) c.get("alertname"), k -> new ArrayList<>()).add(!list(c.get("exp_alerts")).isEmpty());
    for (String alert : alerts().keySet()) {
      assertThat(cases.get(alert)).as("alerts_test.yml cases for %s (true: fires, false: quiet)", alert).contains(true, false);
    }
    assertThat(alerts().keySet()).as("alerts tested in alerts_test.yml").containsAll(cases.keySet());
  }

  @Test
  void everyAlertHasARunbookEntryAndUsesOnlyContractMetrics() throws IOException {
    String runbooks = Files.readString(root.resolve("docs/runbooks.md"));
    for (Map.Entry<String, Map<String, Object>> alert : alerts().entrySet()) {
      String name = alert.getKey();
      @SuppressWarnings("unchecked")
      Map<String, Object> annotations = (Map<String, Object>) alert.getValue().get("annotations");
      assertThat(annotations.get("runbook")).as("%s's runbook annotation", name).isEqualTo("docs/runbooks.md#" + name.toLowerCase());
      String heading = "\n## " + name + "\n";
      assertThat(runbooks).as("docs/runbooks.md").contains(heading);
      int start = runbooks.indexOf(heading);
      int end = runbooks.indexOf("\n## ", start + heading.length());
      String section = runbooks.substring(start, end < 0 ? runbooks.length() : end);
      assertThat(section).as("runbook entry for %s", name).contains("**Means.**", "**Check.**", "**Do.**");
      assertThat(((Map<?, ?>) alert.getValue().get("labels")).get("severity")).as("%s's severity", name).isIn("warning", "critical");
      Set<String> used = new TreeSet<>();
      Matcher m = METRIC.matcher((String) alert.getValue().get("expr"));
      while (m.find()) used.add(HISTOGRAM_SUFFIX.matcher(m.group()).replaceAll(""));
      assertThat(used).as("metrics in %s's expression", name).isNotEmpty().isSubsetOf(METRICS);
    }
  }

  /** The alerting rules of alerts.yml by name, in file order. */
  static Map<String, Map<String, Object>> alerts() throws IOException {
    Map<String, Map<String, Object>> alerts = new LinkedHashMap<>();
    for (Map<String, Object> group : list(yaml(prometheusDir.resolve("alerts.yml")).get("groups")))
      for (Map<String, Object> rule : list(group.get("rules")))
        assertThat(alerts.put((String) rule.get("alert"), rule)).as("a second alert named %s", rule.get("alert")).isNull();
    assertThat(alerts).isNotEmpty().doesNotContainKey(null);
    return alerts;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> yaml(Path file) throws IOException {
    return (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> list(Object value) {
    return value == null ? List.of() : (List<Map<String, Object>>) value;
  }

  record Result(int code, String out) {}

  static Result promtool(Path workdir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(promtool.orElseThrow().toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(workdir.toFile()).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(process.waitFor(), out);
  }
}
