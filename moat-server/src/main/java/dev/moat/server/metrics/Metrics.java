package dev.moat.server.metrics;

import dev.moat.engine.JobState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The server's Prometheus metrics, served at {@code /metrics}. Agents report through the server
 * (job results, egress denials), so every series is fed here from the server's own code paths.
 *
 * <p>Invariant: labels are bounded. Only {@code pool} (a name from the placement policy, fixed at
 * start), {@code result}, {@code reason} and {@code source} (fixed vocabularies) are used; never a
 * run, job, repository or agent id. A value outside a vocabulary is folded into {@code other} and a
 * pool not in the policy into {@code unknown}, so no input can add a series. Thread-safe: meters
 * are Micrometer's, which are.
 */
public final class Metrics {
  /** Histogram buckets for waits and durations, in seconds (Prometheus base unit). */
  private static final double[] SECONDS = {0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600};
  /** Buckets for sandbox starts, in seconds: the targets are 15 ms (bwrap) and 60 ms (oci). */
  private static final double[] START_SECONDS = {0.005, 0.01, 0.015, 0.025, 0.05, 0.06, 0.1, 0.25, 0.5, 1, 5, 30};
  private static final List<String> REGISTRATION = List.of("ok", "refused");
  private static final List<String> SECRET = List.of("ok", "denied", "error");
  private static final List<String> WEBHOOK_SOURCE = List.of("git", "github");
  private static final List<String> WEBHOOK_RESULT = List.of("ok", "bad_signature", "duplicate", "malformed", "error");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<String> pools;

  /** @param pools the placement policy's pool names: the only values the {@code pool} label takes */
  public Metrics(List<String> pools) {
    this.pools = List.copyOf(pools);
    // Registered up front, so the set of series is fixed from the first scrape on.
    for (String pool : this.pools) {
      queueWait(pool);
      for (JobState s : JobState.values()) if (s.terminal()) jobDuration(pool, s.wire());
      counter("moat_job_retries_total", "Dispatches not acknowledged in time and put back in the queue", "pool", pool);
      counter("moat_jobs_lost_total", "Running jobs whose agent stopped renewing the lease", "pool", pool);
      counter("moat_dispatch_ack_timeouts_total", "Dispatches whose agent did not acknowledge in time", "pool", pool);
      counter("moat_egress_denials_total", "Connections the sandbox's egress filter refused, as agents report", "pool", pool);
    }
    REGISTRATION.forEach(r -> counter("moat_agent_registrations_total", "Agent registrations", "result", r));
    SECRET.forEach(r -> counter("moat_secret_fetches_total", "Secret fetches by jobs", "result", r));
    for (String s : WEBHOOK_SOURCE) {
      for (String r : WEBHOOK_RESULT) {
        Counter.builder("moat_webhook_deliveries").description("Webhook deliveries received")
            .tag("source", s).tag("result", r).register(registry);
      }
    }
    Counter.builder("moat_id_tokens_issued").description("OIDC ID tokens issued to jobs").register(registry);
    for (var t : dev.moat.engine.placement.IsolationTier.values()) sandboxStart(t.wire());
    Counter.builder("moat_image_integrity_failures").description("Images refused for a digest mismatch").register(registry);
    DistributionSummary.builder("moat_time_to_approval_seconds").description("From a run's hold to its approval")
        .baseUnit(null).serviceLevelObjectives(SECONDS).register(registry);
  }

  /** A registry nobody scrapes, for services built without a server (tests). */
  public static Metrics unscraped() {
    return new Metrics(List.of("default"));
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition of every series. */
  public String scrape() {
    return registry.scrape();
  }

  /** The {@code pool} label value: a policy pool, else {@code unknown} (bounded). */
  public String pool(String pool) {
    return pools.contains(pool) ? pool : "unknown";
  }

  public List<String> pools() {
    return pools;
  }

  /**
   * Registers a gauge per value of {@code label}, read at each scrape from {@code read}'s map
   * (missing values read 0). {@code read} runs on the scraping thread.
   */
  public <T> void gaugeBy(String name, String help, String label, List<String> values, ToDoubleFunction<String> read) {
    for (String v : values) Gauge.builder(name, () -> read.applyAsDouble(v)).description(help).tag(label, v).register(registry);
  }

  /** A gauge with no labels. */
  public void gauge(String name, String help, java.util.function.Supplier<Number> read) {
    Gauge.builder(name, read).description(help).register(registry);
  }

  public void queueWaited(String pool, Duration wait) {
    queueWait(pool(pool)).record(seconds(wait));
  }

  public void jobEnded(String pool, String result, Duration took, long egressDenials) {
    jobDuration(pool(pool), result).record(seconds(took));
    if (egressDenials > 0) counter("moat_egress_denials_total", null, "pool", pool(pool)).increment(egressDenials);
  }

  public void retried(String pool) {
    counter("moat_job_retries_total", null, "pool", pool(pool)).increment();
    counter("moat_dispatch_ack_timeouts_total", null, "pool", pool(pool)).increment();
  }

  public void lost(String pool) {
    counter("moat_jobs_lost_total", null, "pool", pool(pool)).increment();
  }

  public void registration(boolean ok) {
    counter("moat_agent_registrations_total", null, "result", ok ? "ok" : "refused").increment();
  }

  /** @param result ok, denied or error */
  public void secretFetch(String result) {
    counter("moat_secret_fetches_total", null, "result", SECRET.contains(result) ? result : "error").increment();
  }

  /** @param source git or github; @param result ok, bad_signature, duplicate, malformed or error */
  public void webhook(String source, String result) {
    if (!WEBHOOK_SOURCE.contains(source) || !WEBHOOK_RESULT.contains(result)) {
      throw new IllegalArgumentException("webhook metric outside its vocabulary: source=" + source + " result=" + result);
    }
    registry.counter("moat_webhook_deliveries", "source", source, "result", result).increment();
  }

  /**
   * Counts a webhook delivery by the status it was answered with ({@code status}, read after
   * {@code handler} returned) or the status of the {@link dev.moat.server.http.ApiException} it threw:
   * 2xx ok, 401 a bad signature, 409 a duplicate delivery id, another 4xx the sender's malformed
   * request, 5xx (or any other exception) this side's error, e.g. the forge's API being down. Rethrows.
   */
  public <T> T webhook(String source, java.util.function.IntSupplier status, Handled<T> handler) throws Exception {
    int code;
    try {
      T out = handler.run();
      code = status.getAsInt();
      webhook(source, webhookResult(code));
      return out;
    } catch (dev.moat.server.http.ApiException e) {
      webhook(source, webhookResult(e.status()));
      throw e;
    } catch (Exception | Error e) {
      webhook(source, "error");
      throw e;
    }
  }

  private static String webhookResult(int status) {
    if (status >= 200 && status < 300) return "ok";
    if (status == 401) return "bad_signature";
    if (status == 409) return "duplicate";
    return status < 500 ? "malformed" : "error";
  }

  /** A handler body for {@link #webhook(String, java.util.function.IntSupplier, Handled)}. */
  @FunctionalInterface
  public interface Handled<T> {
    T run() throws Exception;
  }

  public void idTokenIssued() {
    registry.counter("moat_id_tokens_issued").increment();
  }

  public void imageIntegrityFailure() {
    registry.counter("moat_image_integrity_failures").increment();
  }

  /** A sandbox an agent created for a job in {@code took}, as its job result reports. */
  public void sandboxStarted(String tier, Duration took) {
    boolean known = java.util.Arrays.stream(dev.moat.engine.placement.IsolationTier.values()).anyMatch(t -> t.wire().equals(tier));
    if (known) sandboxStart(tier).record(seconds(took));
  }

  public void approvedAfter(Duration held) {
    registry.summary("moat_time_to_approval_seconds").record(seconds(held));
  }

  private DistributionSummary queueWait(String pool) {
    return DistributionSummary.builder("moat_queue_wait_seconds").description("From queued to dispatched")
        .serviceLevelObjectives(SECONDS).tag("pool", pool).register(registry);
  }

  private DistributionSummary sandboxStart(String tier) {
    return DistributionSummary.builder("moat_sandbox_start_seconds")
        .description("From the agent asking for a job's sandbox to having it, image unpacking on first use included")
        .serviceLevelObjectives(START_SECONDS).tag("tier", tier).register(registry);
  }

  private DistributionSummary jobDuration(String pool, String result) {
    return DistributionSummary.builder("moat_job_duration_seconds").description("From started to ended, by how it ended")
        .serviceLevelObjectives(SECONDS).tags("pool", pool, "result", result).register(registry);
  }

  /** Micrometer appends {@code _total} to counters in the Prometheus format; names here carry it for grep. */
  private Counter counter(String name, String help, String label, String value) {
    var b = Counter.builder(name.substring(0, name.length() - "_total".length())).tag(label, value);
    if (help != null) b.description(help);
    return b.register(registry);
  }

  private static double seconds(Duration d) {
    return Math.max(0, d.toNanos() / 1e9);
  }
}
