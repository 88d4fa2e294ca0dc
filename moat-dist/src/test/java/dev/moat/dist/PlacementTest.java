package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.agent.PoolSettings;
import dev.moat.agent.PoolSettings.Tier;
import dev.moat.cli.CliException;
import dev.moat.common.wire.PollRequest;
import dev.moat.engine.trust.TrustTier;
import dev.moat.sandbox.cgroup.Limits;
import dev.moat.testkit.FakeAgent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * Placement by trust end to end (issue 4, must-show 6): a real server with a placement policy, real
 * agents, and pull requests from forks by contributors of a given trust tier, held and approved
 * through the API. Jobs no pool admits are unschedulable at once with a reason; the others go only
 * to the pools that admit them, whatever labels or tier another agent claims.
 */
class PlacementTest {
  /** Untrusted work needs oci; the only pool with the label {@code docs} is bwrap. */
  static final String POLICY = """
      trust:
        trusted: bwrap
        known: oci
        unknown: oci
      pools:
        - name: fast
          tier: bwrap
          labels: [linux, docs]
        - name: isolated
          tier: oci
          labels: [linux]
          admits: [known, unknown]
      """;

  /** One job {@code build} on {@code labels}; {@code on} says which pushes start it. */
  static String workflow(String on, String labels) {
    return "on: " + on + "\njobs:\n  build:\n    runs-on: " + labels + "\n    steps: [{run: 'echo RAN-$((20+22))'}]\n";
  }

  /** A workflow for pull requests only: pushing it to main starts nothing. */
  static String forPullRequests(String labels) {
    return workflow("{pull_request: {branches: [main]}}", labels);
  }

  /** Approves a held run as the admin, through the API. */
  static JsonNode approve(Scenario s, long run) {
    return s.server.api().post("/api/v1/runs/" + run + "/approve", java.util.Map.of());
  }

  @TempDir Path dir;

  @Test
  void anUnknownContributorsJobThatOnlyABwrapPoolMatchesIsUnschedulableAtOnceAndNeverRunsThere() throws Exception {
    try (var s = Scenario.create(dir, POLICY)) {
      var fast = s.agent("fast", List.of("linux", "docs"));

      long held = s.pullRequestBy(TrustTier.UNKNOWN, forPullRequests("[linux, docs]")).getFirst();

      JsonNode run = s.server.run(held); // no waiting: decided when the run was created
      JsonNode job = Scenario.job(run, "build");
      assertThat(run.path("status").asString()).as("a fork's pull request waits for approval").isEqualTo("held");
      assertThat(job.path("status").asString()).as("but its job is known to be unplaceable").isEqualTo("unschedulable");
      assertThat(job.path("reason").asString()).isEqualTo("no pool admits this job: policy requires at least oci "
          + "for unknown contributors; pools matching labels [linux, docs]: fast (bwrap)");
      assertThat(job.path("sandbox").asString()).isEqualTo("oci");
      assertThat(job.path("pools").isEmpty()).isTrue();
      assertThat(approve(s, held).path("status").asString()).isEqualTo("unschedulable");

      // An agent of that pool polls and gets nothing, even one that claims a stronger tier.
      var liar = FakeAgent.registered(s.server, "fast", List.of("linux", "docs"));
      assertThat(liar.poll(new PollRequest(1, List.of(), null, "oci")).assignments()).isEmpty();

      // The same job from a trusted contributor runs on the bwrap pool, so that agent was serving.
      long trusted = s.pushOne(workflow("push", "[linux, docs]"));
      JsonNode done = Scenario.job(s.awaitRunEnded(trusted), "build");
      assertThat(done.path("status").asString()).isEqualTo("succeeded");
      assertThat(done.path("agent").asString()).isEqualTo(fast.id());
      assertThat(done.path("pools").toString()).isEqualTo("[\"fast\"]");
      assertThat(s.server.log(done.path("id").asLong())).contains("RAN-42");

      JsonNode after = Scenario.job(s.server.run(held), "build");
      assertThat(after.path("status").asString()).isEqualTo("unschedulable");
      assertThat(after.path("agent").isNull()).as("never dispatched: %s", after).isTrue();
      assertThat(after.path("startedAt").isNull()).isTrue();
    }
  }

  @Test
  void aPlacedJobIsClaimedOnlyByAnAgentOfAnAdmittedPoolRunningAStrongEnoughTier() throws Exception {
    try (var s = Scenario.create(dir, POLICY)) {
      long run = s.pullRequestBy(TrustTier.KNOWN, forPullRequests("[linux]")).getFirst();
      assertThat(Scenario.job(s.server.run(run), "build").path("status").asString()).isEqualTo("pending");
      approve(s, run);
      JsonNode job = Scenario.job(s.server.run(run), "build");
      assertThat(job.path("status").asString()).isEqualTo("queued");
      assertThat(job.path("sandbox").asString()).isEqualTo("oci");
      assertThat(job.path("pools").toString()).isEqualTo("[\"isolated\"]");

      var fastClaimingOci = FakeAgent.registered(s.server, "fast", List.of("linux"));
      var isolatedOnBwrap = FakeAgent.registered(s.server, "isolated", List.of("linux"));
      var isolated = FakeAgent.registered(s.server, "isolated", List.of("linux"));

      assertThat(fastClaimingOci.poll(new PollRequest(1, List.of(), null, "oci")).assignments())
          .as("a pool the job's placement did not admit, whatever its labels and tier").isEmpty();
      assertThat(isolatedOnBwrap.poll(new PollRequest(1, List.of(), null, "bwrap")).assignments())
          .as("an agent of the admitted pool whose sandboxes are weaker than the job needs").isEmpty();
      assertThat(isolatedOnBwrap.poll(1, List.of()).assignments()).as("an older agent's poll: bwrap").isEmpty();
      assertThat(isolated.poll(new PollRequest(1, List.of(), null, "oci")).assignments())
          .singleElement().satisfies(a -> assertThat(a.runId()).isEqualTo(run));
    }
  }

  @Test
  void anUnknownContributorsApprovedJobRunsOnTheOciPoolAndNotOnTheBwrapOne() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for runc and cgroups");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "runc is not installed");
    assumeTrue(Files.exists(PoolTest.IMAGES.resolve("index.json")), "no test image store (built by moat-sandbox's tests)");
    try (var s = Scenario.create(dir, POLICY)) {
      var fast = s.agent("fast", List.of("linux", "docs"));
      var isolated = s.agent("isolated", new PoolSettings(Tier.OCI, Optional.of("debian-bookworm"),
          new Limits(256L << 20, 128, 1000), Optional.empty()));

      long run = s.pullRequestBy(TrustTier.UNKNOWN, forPullRequests("[linux]")).getFirst();
      approve(s, run);

      JsonNode job = Scenario.job(s.awaitRunEnded(run), "build");
      String log = s.server.log(job.path("id").asLong());
      assertThat(job.path("status").asString()).as(log).isEqualTo("succeeded");
      assertThat(job.path("agent").asString()).isEqualTo(isolated.id()).isNotEqualTo(fast.id());
      assertThat(log).contains("RAN-42");
    }
  }

  @Test
  void aJobWhoseLabelsNoPoolHasIsUnschedulableNamingTheLabelsInTheApiAndTheCli() throws Exception {
    try (var s = Scenario.create(dir, POLICY)) {
      long run = s.pushOne("""
          on: push
          jobs:
            train:
              runs-on: [linux, gpu]
              steps: [{run: 'true'}]
            report:
              needs: train
              runs-on: [linux]
              steps: [{run: 'true'}]
          """);

      JsonNode view = s.server.run(run);
      String reason = "no pool has the labels [linux, gpu] this job runs on; pools: fast [linux, docs], isolated [linux]";
      assertThat(view.path("status").asString()).isEqualTo("unschedulable");
      assertThat(Scenario.job(view, "train").path("status").asString()).isEqualTo("unschedulable");
      assertThat(Scenario.job(view, "train").path("reason").asString()).isEqualTo(reason);
      assertThat(Scenario.job(view, "report").path("status").asString()).isEqualTo("skipped");

      var show = CliTest.moat(s.server, "run", "show", Long.toString(run));
      assertThat(show.code()).as(show.err()).isZero();
      assertThat(show.out()).contains("unschedulable").contains(reason);
      var list = CliTest.moat(s.server, "runs");
      assertThat(list.out()).contains("train=unschedulable").contains("report=skipped");
    }
  }

  @Test
  void withoutAPolicyFileUntrustedWorkNeedsOciAndTrustedWorkRunsOnBwrapAsBefore() throws Exception {
    try (var s = Scenario.create(dir)) {
      long run = s.pullRequestBy(TrustTier.UNKNOWN, forPullRequests("[linux]")).getFirst();
      approve(s, run);
      JsonNode job = Scenario.job(s.server.run(run), "build");
      assertThat(job.path("status").asString()).as("under the default policy pools are known only as agents poll")
          .isEqualTo("queued");
      assertThat(job.path("sandbox").asString()).isEqualTo("oci");
      assertThat(job.path("pools").isNull()).as("any pool").isTrue();

      var bwrap = FakeAgent.registered(s.server, "default", List.of("linux"));
      var oci = FakeAgent.registered(s.server, "anything", List.of("linux"));
      assertThat(bwrap.poll(new PollRequest(1, List.of(), null, "bwrap")).assignments()).isEmpty();
      assertThat(oci.poll(new PollRequest(1, List.of(), null, "oci")).assignments()).hasSize(1);

      s.agent();
      long trusted = s.pushOne("on: push\njobs: {a: {runs-on: [linux], steps: [{run: 'true'}]}}\n");
      JsonNode done = Scenario.job(s.awaitRunEnded(trusted), "a");
      assertThat(done.path("status").asString()).isEqualTo("succeeded");
      assertThat(done.path("sandbox").asString()).isEqualTo("bwrap");
    }
  }

  @Test
  void agentsRegisterOnlyToPoolsThePolicyNamesAndReadyzNamesThePolicy() throws Exception {
    try (var s = Scenario.create(dir, POLICY)) {
      assertThatThrownBy(() -> s.server.registrationToken("default"))
          .isInstanceOf(CliException.class)
          .hasMessage("pool 'default' is not in the server's placement policy; its pools: fast, isolated");
      assertThat(s.server.registrationToken("isolated")).startsWith("moat_reg_");

      var res = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(s.server.url() + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(res.statusCode()).isEqualTo(200);
      assertThat(res.body()).contains("\"policy\":\"" + s.server.dataDir().resolveSibling("server-policy.yml") + "\"");
    }
  }

  @Test
  void moatServerRefusesABadPolicyFileWithExitCode2AndTheErrorsNamingTheKeys() throws Exception {
    Path bad = Files.writeString(dir.resolve("policy.yml"), """
        trust: {trusted: bwrap, known: oci, unknown: bwrap}
        pools:
          - {name: fast, tier: bwrap, labels: [linux], admit: [trusted]}
        """);
    var err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    int code;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = new CommandLine(new ServerCommand()).execute("--port", "0", "--policy", bad.toString());
    } finally {
      System.setErr(old);
    }

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains(
        "moat server: the placement policy " + bad + " is not valid:",
        bad + ":1:46: 'trust.unknown': unknown contributors may not get a weaker sandbox (bwrap) than known contributors (oci)",
        bad + ":3:48: unknown key 'admit' in 'pools[0]'; allowed: name, tier, labels, admits");

    code = new CommandLine(new ServerCommand()).execute("--port", "0", "--policy", dir.resolve("missing.yml").toString());
    assertThat(code).isEqualTo(2);
  }
}
