package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.agent.PoolSettings;
import dev.moat.agent.PoolSettings.Tier;
import dev.moat.sandbox.cgroup.Limits;
import dev.moat.sandbox.net.AllowedHost;
import dev.moat.sandbox.net.Egress;
import dev.moat.sandbox.net.EgressPolicy;
import dev.moat.sandbox.net.EgressSettings;
import dev.moat.sandbox.net.Ipv4Cidr;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Egress denials end to end (DESIGN I4, I10): a real server and an agent whose pool filters egress;
 * a job that connects to an address off the allowlist ends with its denial count in the API's job
 * JSON and in the stored job row, and a job that connects nowhere shows 0. The denied target is a
 * documentation address (TEST-NET-3), never a private range; Moat's table refuses it on the host.
 * Needs root (netns, nftables, cgroups; runc for the oci pool).
 */
class EgressDenialsTest {
  static final String DENIED = "203.0.113.20";
  static final String WORKFLOW = """
      on: push
      jobs:
        probe:
          %1$s
          steps:
            - run: bash -c 'exec 3<>/dev/tcp/%2$s/443' 2>&1 || echo "probe refused"
        quiet:
          %1$s
          steps:
            - run: echo no connection
      """;
  @TempDir Path dir;
  Egress egress;

  @BeforeEach
  void startEgress() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root) System.out.println("skipping egress denial tests: they need root for netns, nftables and cgroups");
    assumeTrue(root, "needs root");
    long pid = ProcessHandle.current().pid();
    // Names and addresses of this JVM's own, so that other checkouts' suites on the host don't collide.
    egress = Egress.start(new EgressSettings("moat_dd" + pid, "dd" + pid % 100000,
        Ipv4Cidr.parse("10." + (150 + pid % 50) + ".0.0/16")));
    egress.removeLeftovers();
  }

  @AfterEach
  void closeEgress() throws Exception {
    if (egress != null) egress.close();
  }

  static PoolSettings filtered(Tier tier, Optional<String> image) {
    return new PoolSettings(tier, image, new Limits(512L << 20, 256, 1000), Optional.empty(),
        Optional.of(EgressPolicy.filtered(new AllowedHost("203.0.113.10", java.util.List.of(443)))));
  }

  @Test
  void aBwrapJobsDenialsReachTheApiAndTheStoredJob() throws Exception {
    assertDenialsReported(filtered(Tier.BWRAP, Optional.empty()), "");
  }

  @Test
  void anOciJobsDenialsReachTheApiAndTheStoredJob() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "runc is not installed");
    assumeTrue(Files.exists(PoolTest.IMAGES.resolve("index.json")), "no test image store (built by moat-sandbox's tests)");
    assertDenialsReported(filtered(Tier.OCI, Optional.of("debian-bookworm")), "image: debian-bookworm");
  }

  private void assertDenialsReported(PoolSettings pool, String imageLine) throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent(pool, egress);
      long run = s.pushOne(WORKFLOW.formatted(imageLine, DENIED));
      JsonNode ended = s.awaitRunEnded(run);
      JsonNode probe = Scenario.job(ended, "probe");
      JsonNode quiet = Scenario.job(ended, "quiet");
      String log = s.server.log(probe.path("id").asLong());

      assertThat(probe.path("status").asString()).as(log).isEqualTo("succeeded");
      long denials = probe.path("egressDenials").asLong();
      assertThat(denials).as("probe's egressDenials in %s", probe).isGreaterThanOrEqualTo(1);
      assertThat(log).contains("Connection refused", "probe refused", "==> egress: " + denials + " connection(s) refused");
      assertThat(quiet.path("status").asString()).isEqualTo("succeeded");
      assertThat(quiet.has("egressDenials")).as("the field is always there").isTrue();
      assertThat(quiet.path("egressDenials").asLong()).isZero();
      assertThat(storedDenials(s, probe.path("id").asLong())).isEqualTo(denials);
      assertThat(storedDenials(s, quiet.path("id").asLong())).isZero();
      // The decision in the agent's log and the server's, with what an operator needs to find the job.
      long probeId = probe.path("id").asLong();
      JsonNode denied = LogAudit.line("JobRunner", "egress denied: the pool's egress policy refused connections", probeId);
      assertThat(denied.path("level").asString()).isEqualTo("WARN");
      assertThat(denied.path("egress").asString()).isEqualTo("denied");
      assertThat(denied.path("egress_denials").asLong()).isEqualTo(denials);
      assertThat(denied.path("tier").asString()).isEqualTo(pool.tier().name().toLowerCase(java.util.Locale.ROOT));
      assertThat(denied.path("run_id").asLong()).isEqualTo(run);
      assertThat(denied.has("image_digest")).as("%s", denied).isEqualTo(pool.image().isPresent());
      if (pool.image().isPresent()) assertThat(denied.path("image_digest").asString()).matches("sha256:[0-9a-f]{64}|[0-9a-f]{64}");
      JsonNode serverSide = LogAudit.line("RunService", "job finished", probeId);
      assertThat(serverSide.path("egress").asString()).isEqualTo("denied");
      assertThat(serverSide.path("egress_denials").asLong()).isEqualTo(denials);
      assertThat(LogAudit.line("RunService", "job finished", quiet.path("id").asLong()).path("egress").asString()).isEqualTo("allowed");
      // Both jobs' sandbox starts, as the agent reported them, in the tier's histogram.
      String tierName = pool.tier().name().toLowerCase(java.util.Locale.ROOT);
      String metrics = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.server.url() + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).as(metrics).containsPattern("(?m)^moat_sandbox_start_seconds_count\\{tier=\"" + tierName + "\"} 2$");
    }
  }

  /** The job's row, straight from the server's database file. */
  private static long storedDenials(Scenario s, long jobId) throws Exception {
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + s.server.dataDir().resolve("moat.db"));
        var st = c.prepareStatement("SELECT egress_denials FROM jobs WHERE id = ?")) {
      st.setLong(1, jobId);
      try (var rs = st.executeQuery()) {
        assertThat(rs.next()).as("job " + jobId + " is stored").isTrue();
        return rs.getLong(1);
      }
    }
  }
}
