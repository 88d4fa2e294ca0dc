package dev.moat.dist.github;

import static dev.moat.dist.github.GitHubWorld.MAINTAINER;
import static dev.moat.dist.github.GitHubWorld.READER;
import static dev.moat.dist.github.GitHubWorld.STRANGER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.agent.Agent;
import dev.moat.common.Json;
import dev.moat.testkit.FakeGitHub;
import dev.moat.agent.AgentConfig;
import dev.moat.agent.PoolSettings;
import dev.moat.agent.PoolTier;
import dev.moat.sandbox.cgroup.Limits;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Issue 4 must-show 1 and 3 end to end: a real server, the fake GitHub, GitHub's real payloads
 * signed with the webhook secret, the real CLI, and (for what a run executes) a real oci agent, which
 * the default placement policy requires for an unknown contributor. The fork's pull request edits the workflow, so the base's and the head's definitions
 * differ and the log shows which ran.
 */
class GitHubApprovalTest {
  @TempDir Path dir;

  @Test
  void forkPullRequestIsHeldAViewerCannotApproveItAndAMaintainersApprovalRunsTheBaseWorkflows() throws Exception {
    try (var w = GitHubWorld.create(dir.resolve("world"))) {
      String viewer = w.moatUser("vic", "viewer", READER);
      String maintainer = w.moatUser("mia", "maintainer", MAINTAINER);
      var pr = w.openPr(true, STRANGER, Map.of(".moat/workflows/ci.yml", GitHubWorld.HEAD_WORKFLOW, "src.txt", "fork"));
      JsonNode decided = accepted(w.deliver("pull_request", pr.event()));
      long run = decided.path("runs").get(0).asLong();
      assertThat(decided.path("reason").asString()).isEqualTo("fork_pull_request");
      assertThat(w.statuses(pr.head())).extracting(FakeGitHub.Status::description).containsExactly("held for approval: fork_pull_request");
      JsonNode held = w.server.run(run);
      assertThat(held.path("status").asString()).isEqualTo("held");
      assertThat(held.path("hold").path("reason").asString()).isEqualTo("fork_pull_request");
      assertThat(held.path("trustTier").asString()).isEqualTo("unknown");
      assertThat(held.path("definitionsSha").asString()).isEqualTo(w.baseSha);
      assertThat(held.path("workflow").asString()).isEqualTo("base-ci");

      var refused = w.cli(viewer, "approve", Long.toString(run));
      assertThat(refused.exit()).as(refused.err()).isEqualTo(3);
      assertThat(refused.err()).contains("to approve a held run needs the maintainer role; vic is viewer");
      var api = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create(w.server.url() + "/api/v1/runs/" + run + "/approve"))
          .header("Authorization", "Bearer " + viewer).POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(api.statusCode()).as(api.body()).isEqualTo(403);
      assertThat(w.server.run(run).path("status").asString()).isEqualTo("held");

      var approved = w.cli(maintainer, "approve", Long.toString(run));
      assertThat(approved.exit()).as(approved.err()).isZero();
      // An approval by the CLI is posted too (no agent runs yet, so the run waits queued).
      await().atMost(Duration.ofSeconds(10)).until(() -> w.statuses(pr.head()).size() == 2);
      assertThat(w.statuses(pr.head()).getLast().state()).isEqualTo("pending");
      assertThat(w.statuses(pr.head()).getLast().description()).isEqualTo("run " + run + " (base-ci) approved: queued");
      Agent agent = ociAgent(w);
      try {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
            .until(() -> w.server.run(run).path("status").asString().equals("succeeded"));
        JsonNode ran = w.server.run(run).path("jobs").get(0);
        assertThat(ran.path("sandbox").asString()).as("placement: unknown contributors get oci").isEqualTo("oci");
        assertThat(ran.path("agent").asString()).isEqualTo(agent.id());
        long job = ran.path("id").asLong();
        String log = w.server.log(job);
        assertThat(log).contains("defined by the BASE branch").doesNotContain("defined by the HEAD commit");
        // The job built the fork's head: its source is in the workspace.
        assertThat(w.server.run(run).path("sha").asString()).isEqualTo(pr.head());
        await().atMost(Duration.ofSeconds(10)).until(() -> w.statuses(pr.head()).size() == 3);
        assertThat(w.statuses(pr.head()).getLast().state()).isEqualTo("success");
      } finally {
        agent.close();
      }
    }
  }

  @Test
  void moatApproveCommentFromSomeoneWithoutRightsChangesNothingButIsAuditedFromAMaintainerItApproves() throws Exception {
    try (var w = GitHubWorld.create(dir.resolve("world"))) {
      w.moatUser("vic", "viewer", READER);
      w.moatUser("mia", "maintainer", MAINTAINER);
      var pr = w.openPr(true, STRANGER, Map.of("src.txt", "fork"));
      long run = accepted(w.deliver("pull_request", pr.event())).path("runs").get(0).asLong();

      for (var who : new FakeGitHub.User[] {STRANGER, READER}) {
        JsonNode res = accepted(w.deliver("issue_comment", w.comment(pr.number(), who, "/moat approve")));
        assertThat(res.path("outcomes").get(0).path("result").asString()).as(who.login()).isEqualTo("forbidden");
      }
      // The author approving their own change from an unlinked account, and a reject by a viewer: also refused.
      assertThat(accepted(w.deliver("issue_comment", w.comment(pr.number(), READER, "/moat reject")))
          .path("outcomes").get(0).path("result").asString()).isEqualTo("forbidden");
      assertThat(w.server.run(run).path("status").asString()).isEqualTo("held");
      JsonNode audit = w.server.api().get("/api/v1/audit?run=" + run);
      assertThat(actions(audit)).containsExactly("run_held", "trust_resolved", "approval_refused", "approval_refused", "approval_refused");
      assertThat(audit.toString()).contains("github:" + STRANGER.id()).contains("github:" + READER.id())
          .contains("is not linked to a Moat user").contains("needs the maintainer role");
      assertThat(w.statuses(pr.head())).hasSize(1);

      // Not a command: ignored, nothing audited.
      assertThat(accepted(w.deliver("issue_comment", w.comment(pr.number(), MAINTAINER, "looks good, will /moat approve later")))
          .path("ignored").asString()).isEqualTo("no /moat command");

      JsonNode ok = accepted(w.deliver("issue_comment", w.comment(pr.number(), MAINTAINER, "/moat approve\nthanks!")));
      assertThat(ok.path("outcomes").get(0).path("result").asString()).isEqualTo("approved");
      JsonNode approved = w.server.run(run);
      assertThat(approved.path("status").asString()).isEqualTo("queued");
      assertThat(approved.path("hold").path("state").asString()).isEqualTo("approved");
      assertThat(approved.path("hold").path("decidedBy").asString()).contains("github:" + MAINTAINER.id()).contains("mia");
      assertThat(actions(w.server.api().get("/api/v1/audit?run=" + run))).endsWith("run_approved");
      assertThat(w.statuses(pr.head()).getLast().description()).isEqualTo("approved by " + MAINTAINER.login());

      // Deciding twice: the run is no longer held.
      JsonNode twice = accepted(w.deliver("issue_comment", w.comment(pr.number(), MAINTAINER, "/moat reject")));
      assertThat(twice.path("outcomes").get(0).path("result").asString()).isEqualTo("not_held");
      assertThat(w.server.run(run).path("status").asString()).isEqualTo("queued");
    }
  }

  @Test
  void aMaintainerCannotApproveTheirOwnForkPullRequestByComment() throws Exception {
    try (var w = GitHubWorld.create(dir.resolve("world"))) {
      w.moatUser("mia", "maintainer", MAINTAINER);
      var pr = w.openPr(true, MAINTAINER, Map.of("src.txt", "from maya's fork"));
      long run = accepted(w.deliver("pull_request", pr.event())).path("runs").get(0).asLong();
      JsonNode res = accepted(w.deliver("issue_comment", w.comment(pr.number(), MAINTAINER, "/moat approve")));
      assertThat(res.path("outcomes").get(0).path("result").asString()).isEqualTo("forbidden");
      assertThat(res.path("outcomes").get(0).path("message").asString()).contains("self-approval is off");
      assertThat(w.server.run(run).path("status").asString()).isEqualTo("held");
    }
  }

  @Test
  void moatRejectCommentFromAMaintainerRejectsAndTheRejectionIsPosted() throws Exception {
    try (var w = GitHubWorld.create(dir.resolve("world"))) {
      w.moatUser("mia", "maintainer", MAINTAINER);
      var pr = w.openPr(true, STRANGER, Map.of("src.txt", "fork"));
      long run = accepted(w.deliver("pull_request", pr.event())).path("runs").get(0).asLong();
      JsonNode res = accepted(w.deliver("issue_comment", w.comment(pr.number(), MAINTAINER, "/moat reject")));
      assertThat(res.path("outcomes").get(0).path("result").asString()).isEqualTo("rejected");
      assertThat(w.server.run(run).path("status").asString()).isEqualTo("rejected");
      assertThat(w.statuses(pr.head())).extracting(FakeGitHub.Status::state).containsExactly("pending", "failure");
      Thread.sleep(500); // the result reporter runs every 100 ms: the rejection is not posted twice
      assertThat(w.statuses(pr.head())).hasSize(2);
    }
  }

  /**
   * An oci agent in this JVM (the default placement policy gives unknown contributors oci, never
   * bwrap), with images from the shared test store that the sandbox module's tests build.
   */
  private static Agent ociAgent(GitHubWorld w) throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for runc and cgroups");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "runc is not installed");
    Path images = Path.of("/var/tmp/moat-test-images");
    assumeTrue(Files.exists(images.resolve("index.json")), "no test image store (built by moat-sandbox's tests)");
    // Workspaces live under the test's directory, so the sandbox uid must be able to traverse it.
    Path root = w.server.dataDir().getParent();
    for (Path p : new Path[] {root.getParent(), root}) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx--x--x"));
    Path scratch = Files.createDirectories(root.resolve("scratch"));
    Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwx--x--x"));
    var pool = new PoolSettings(PoolSettings.Tier.OCI, Optional.of("debian-bookworm"), new Limits(256L << 20, 128, 1000), Optional.empty());
    var config = new AgentConfig(URI.create(w.server.url()), root.resolve("agent"), root.resolve("work"), "gh-oci-agent",
        List.of("linux"), 1, Optional.of(w.server.registrationToken("default")), Duration.ofSeconds(1), pool.image(), pool.diskBytes());
    return Agent.start(config, PoolTier.create(pool, images, scratch));
  }

  private static java.util.List<String> actions(JsonNode audit) {
    var out = new java.util.ArrayList<String>();
    for (JsonNode e : audit) out.add(e.path("action").asString());
    return out;
  }

  private static JsonNode accepted(java.net.http.HttpResponse<String> res) {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(202);
    return Json.MAPPER.readTree(res.body());
  }
}
