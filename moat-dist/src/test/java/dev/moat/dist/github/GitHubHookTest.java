package dev.moat.dist.github;

import static dev.moat.dist.github.GitHubWorld.MAINTAINER;
import static dev.moat.dist.github.GitHubWorld.SECRET;
import static dev.moat.dist.github.GitHubWorld.STRANGER;
import static dev.moat.dist.github.GitHubWorld.WRITER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Json;
import dev.moat.common.Tokens;
import dev.moat.testkit.FakeGitHub;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.GitHubWebhooks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code /hooks/github} through a real server, the fake GitHub and GitHub's real payloads
 * (invariants I5 and I11): signature, replay, size and shape are checked before anything is stored;
 * each pull request's trust decision comes from GitHub by numeric user id and fails closed.
 */
class GitHubHookTest {
  @TempDir Path dir;

  @Test
  void badOrMissingSignatureIs401AndNothingIsStored() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      var pr = w.openPr(true, STRANGER, Map.of("src.txt", "x"));
      byte[] body = Json.write(pr.event()).getBytes(StandardCharsets.UTF_8);
      String wrong = Tokens.hmacSignature("another-secret-0123456789".getBytes(StandardCharsets.UTF_8), body);
      var bad = GitHubWebhooks.send(w.server.url(), "pull_request", GitHubWebhooks.newDelivery(), wrong, body);
      var none = GitHubWebhooks.send(w.server.url(), "pull_request", GitHubWebhooks.newDelivery(), null, body);
      // Signed, then one byte changed: the signature covers the raw bytes.
      String good = Tokens.hmacSignature(SECRET.getBytes(StandardCharsets.UTF_8), body);
      byte[] tampered = body.clone();
      tampered[tampered.length - 2] ^= 1;
      var altered = GitHubWebhooks.send(w.server.url(), "pull_request", GitHubWebhooks.newDelivery(), good, tampered);
      assertThat(bad.statusCode()).isEqualTo(401);
      assertThat(bad.body()).contains("bad signature");
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.body()).contains("unsigned delivery");
      assertThat(altered.statusCode()).isEqualTo(401);
      assertThat(w.count("deliveries")).isZero();
      assertThat(w.count("runs")).isZero();
      assertThat(w.count("github_runs")).isZero();
      assertThat(w.github.requests()).as("nothing was asked of GitHub").isEmpty();
    }
  }

  @Test
  void replayedDeliveryIsRefusedAndStartsNoSecondRun() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      var pr = w.openPr(false, MAINTAINER, Map.of("src.txt", "x"));
      String delivery = GitHubWebhooks.newDelivery();
      var first = GitHubWebhooks.deliver(w.server.url(), "pull_request", delivery, SECRET, pr.event());
      var again = GitHubWebhooks.deliver(w.server.url(), "pull_request", delivery, SECRET, pr.event());
      assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
      assertThat(Json.MAPPER.readTree(first.body()).path("runs")).hasSize(1);
      assertThat(again.statusCode()).isEqualTo(409);
      assertThat(again.body()).contains("delivery github:" + delivery + " was already received");
      assertThat(w.count("runs")).isEqualTo(1);
      assertThat(w.count("deliveries")).isEqualTo(1);
    }
  }

  @Test
  void malformedOversizedAndUnknownEventsAreRefusedOrIgnoredWithNothingStored() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      byte[] junk = "{\"action\": \"opened\", ".getBytes(StandardCharsets.UTF_8);
      var malformed = GitHubWebhooks.send(w.server.url(), "pull_request", GitHubWebhooks.newDelivery(),
          Tokens.hmacSignature(SECRET.getBytes(StandardCharsets.UTF_8), junk), junk);
      assertThat(malformed.statusCode()).isEqualTo(400);
      assertThat(malformed.body()).contains("malformed JSON");

      var pr = w.openPr(false, MAINTAINER, Map.of("src.txt", "x"));
      ((tools.jackson.databind.node.ObjectNode) pr.event().path("pull_request").path("head")).put("sha", "not-a-sha");
      var badField = w.deliver("pull_request", pr.event());
      assertThat(badField.statusCode()).isEqualTo(400);
      assertThat(badField.body()).contains("event field sha is not a commit sha");
      var refspec = w.openPr(false, MAINTAINER, Map.of("src.txt", "y"));
      ((tools.jackson.databind.node.ObjectNode) refspec.event().path("pull_request").path("base")).put("ref", "main:refs/heads/evil");
      var badRef = w.deliver("pull_request", refspec.event());
      assertThat(badRef.statusCode()).isEqualTo(400);
      assertThat(badRef.body()).contains("event field ref is not a usable ref name");

      byte[] huge = new byte[(1 << 20) + 1];
      java.util.Arrays.fill(huge, (byte) ' ');
      // Expect: 100-continue, so that the client hears the early 413 instead of writing into a closed socket.
      var oversized = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create(w.server.url() + "/hooks/github")).expectContinue(true)
          .header("X-GitHub-Event", "push").header("X-GitHub-Delivery", GitHubWebhooks.newDelivery())
          .header("X-Hub-Signature-256", Tokens.hmacSignature(SECRET.getBytes(StandardCharsets.UTF_8), huge))
          .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(huge)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(oversized.statusCode()).isEqualTo(413);
      assertThat(oversized.body()).contains("body is larger than 1048576 bytes");

      var star = GitHubWebhooks.load("push");
      GitHubWebhooks.repository(star, "octo", "app", GitHubWorld.REPO_ID);
      var unknown = w.deliver("watch", star);
      assertThat(unknown.statusCode()).isEqualTo(202);
      assertThat(unknown.body()).contains("ignored").contains("event watch");

      var closed = GitHubWebhooks.load("pull_request.closed");
      GitHubWebhooks.repository(closed, "octo", "app", GitHubWorld.REPO_ID);
      var ignored = w.deliver("pull_request", closed);
      assertThat(ignored.statusCode()).isEqualTo(202);
      assertThat(ignored.body()).contains("action closed");

      // A repository that is not registered under the secret that signed the event.
      var other = GitHubWebhooks.load("pull_request.opened");
      var elsewhere = w.deliver("pull_request", other);
      assertThat(elsewhere.statusCode()).isEqualTo(400);
      assertThat(elsewhere.body()).contains("Codertocat/Hello-World");

      assertThat(w.count("runs")).isZero();
      assertThat(w.count("deliveries")).as("refused deliveries are not kept; ignored ones are").isEqualTo(2);
    }
  }

  @Test
  void forkPullRequestIsHeldAndTheHeldStatusIsPosted() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      // Even a maintainer's pull request from a fork is unknown.
      var pr = w.openPr(true, MAINTAINER, Map.of("src.txt", "from a fork"));
      JsonNode res = decided(w.deliver("pull_request", pr.event()));
      assertThat(res.path("held").asBoolean()).isTrue();
      assertThat(res.path("reason").asString()).isEqualTo("fork_pull_request");
      assertThat(res.path("tier").asString()).isEqualTo("unknown");
      assertThat(res.path("workflows").asString()).isEqualTo("base");
      assertThat(w.statuses(pr.head())).extracting(FakeGitHub.Status::state, FakeGitHub.Status::description, FakeGitHub.Status::context)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("pending", "held for approval: fork_pull_request", "moat"));
      assertThat(w.server.runs()).allSatisfy(r -> assertThat(r.path("status").asString()).isNotIn("queued", "running"));
    }
  }

  @Test
  void writersWorkflowEditIsHeldWhileTheMaintainersIdenticalPullRequestRunsItsOwnWorkflows() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      var edit = Map.of(".moat/workflows/ci.yml", GitHubWorld.HEAD_WORKFLOW);
      var byWriter = w.openPr(false, WRITER, edit);
      JsonNode held = decided(w.deliver("pull_request", byWriter.event()));
      assertThat(held.path("held").asBoolean()).isTrue();
      assertThat(held.path("reason").asString()).isEqualTo("workflow_modification");
      assertThat(held.path("tier").asString()).isEqualTo("known");
      assertThat(w.statuses(byWriter.head()).getLast().description()).isEqualTo("held for approval: workflow_modification");

      var byMaintainer = w.openPr(false, MAINTAINER, edit);
      JsonNode ran = decided(w.deliver("pull_request", byMaintainer.event()));
      assertThat(ran.path("held").asBoolean()).isFalse();
      assertThat(ran.path("tier").asString()).isEqualTo("trusted");
      assertThat(ran.path("workflows").asString()).isEqualTo("head");
      JsonNode run = w.server.run(ran.path("runs").get(0).asLong());
      assertThat(run.path("workflow").asString()).isEqualTo("head-ci");
      assertThat(run.path("definitionsSha").asString()).isEqualTo(byMaintainer.head());
      assertThat(run.path("sha").asString()).isEqualTo(byMaintainer.head());
      assertThat(run.path("ref").asString()).isEqualTo("refs/pull/" + byMaintainer.number() + "/head");
    }
  }

  @Test
  void writersPullRequestWithoutWorkflowEditsRunsTheBaseBranchsWorkflows() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      // The head's workflow file is the same path, but .moat/ is untouched only if the bytes are: edit another file.
      var pr = w.openPr(false, WRITER, Map.of("src/main.c", "int main(){}"));
      JsonNode ran = decided(w.deliver("pull_request", pr.event()));
      assertThat(ran.path("held").asBoolean()).isFalse();
      assertThat(ran.path("tier").asString()).isEqualTo("known");
      assertThat(ran.path("workflows").asString()).isEqualTo("base");
      JsonNode run = w.server.run(ran.path("runs").get(0).asLong());
      assertThat(run.path("workflow").asString()).isEqualTo("base-ci");
      assertThat(run.path("definitionsSha").asString()).isEqualTo(w.baseSha);
      JsonNode evidence = w.server.api().get("/api/v1/audit?run=" + run.path("id").asLong()).get(0);
      assertThat(evidence.path("action").asString()).isEqualTo("trust_resolved");
      assertThat(evidence.path("detail").path("author").asString()).isEqualTo("github:" + WRITER.id());
      assertThat(evidence.path("detail").path("resolved").asString()).isEqualTo("GitHub role write of user " + WRITER.id());
      assertThat(evidence.path("detail").path("workflows").asString()).isEqualTo("base");
      assertThat(run.path("sha").asString()).isEqualTo(pr.head());
      assertThat(w.statuses(pr.head()).getLast().description()).isEqualTo("queued: known contributor");
    }
  }

  @Test
  void aPullRequestStartsOnlyTheWorkflowsThatAskForPullRequests() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      // A maintainer's pull request runs its head's definitions: base-ci (on: [push, pull_request])
      // and a new deploy workflow that runs on pushes only.
      var pr = w.openPr(false, MAINTAINER, Map.of(".moat/workflows/deploy.yml",
          "name: deploy\non: push\njobs: {ship: {steps: [{run: 'echo deploying'}]}}\n"));
      JsonNode ran = decided(w.deliver("pull_request", pr.event()));

      assertThat(ran.path("workflows").asString()).isEqualTo("head");
      assertThat(ran.path("runs")).as("deploy is on: push only").hasSize(1);
      assertThat(w.server.run(ran.path("runs").get(0).asLong()).path("workflow").asString()).isEqualTo("base-ci");
    }
  }

  @Test
  void withTheGitHubApiDownTheContributorIsHeldAsUnknown() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      var pr = w.openPr(false, MAINTAINER, Map.of("src.txt", "x"));
      // The commits are fetched from the clone URL (up); only the REST API is down.
      w.github.down(FakeGitHub.Failure.UNAVAILABLE);
      JsonNode res = decided(w.deliver("pull_request", pr.event()));
      assertThat(res.path("held").asBoolean()).isTrue();
      assertThat(res.path("reason").asString()).isEqualTo("unknown_contributor");
      assertThat(res.path("tier").asString()).isEqualTo("unknown");
      assertThat(res.path("why").asString()).contains("GitHub API failed").contains("503");
      assertThat(w.github.requests()).anyMatch(r -> r.contains("/collaborators/maya/permission"));
      JsonNode run = w.server.run(res.path("runs").get(0).asLong());
      assertThat(run.path("status").asString()).isEqualTo("held");
      assertThat(run.path("hold").path("reason").asString()).isEqualTo("unknown_contributor");
      assertThat(run.path("trustTier").asString()).isEqualTo("unknown");

      // The failure was not cached: once GitHub is back, the same maintainer's next push is trusted.
      w.github.down(null);
      var again = w.openPr(false, MAINTAINER, Map.of("src.txt", "y"));
      assertThat(decided(w.deliver("pull_request", again.event())).path("tier").asString()).isEqualTo("trusted");
    }
  }

  @Test
  void withTheGitHubApiHangingTheContributorIsHeldAsUnknown() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      var pr = w.openPr(false, MAINTAINER, Map.of("src.txt", "x"));
      w.github.down(FakeGitHub.Failure.HANG);
      JsonNode res = decided(w.deliver("pull_request", pr.event()));
      assertThat(res.path("reason").asString()).isEqualTo("unknown_contributor");
      assertThat(res.path("why").asString()).contains("GitHub API failed").containsIgnoringCase("timed out");
      assertThat(w.server.run(res.path("runs").get(0).asLong()).path("status").asString()).isEqualTo("held");
    }
  }

  @Test
  void membershipEventsDropCachedPermissions() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      assertThat(decided(w.deliver("pull_request", w.openPr(false, WRITER, Map.of("a", "1")).event())).path("tier").asString())
          .isEqualTo("known");
      // Promoted on GitHub: the cache still says known until a membership event arrives.
      w.github.role("octo", "app", WRITER.login(), "maintain");
      assertThat(decided(w.deliver("pull_request", w.openPr(false, WRITER, Map.of("a", "2")).event())).path("tier").asString())
          .isEqualTo("known");
      assertThat(permissionCalls(w)).isEqualTo(1);

      var member = GitHubWebhooks.load("member.added");
      GitHubWebhooks.repository(member, "octo", "app", GitHubWorld.REPO_ID);
      GitHubWebhooks.user(member.path("member"), WRITER.id(), WRITER.login());
      var invalidated = w.deliver("member", member);
      assertThat(invalidated.statusCode()).isEqualTo(202);
      assertThat(invalidated.body()).contains("\"invalidated\":\"github:" + WRITER.id() + "\"");
      JsonNode audit = w.server.api().get("/api/v1/audit");
      assertThat(audit.toString()).contains("permissions_invalidated").contains("github:" + WRITER.id());
      assertThat(decided(w.deliver("pull_request", w.openPr(false, WRITER, Map.of("a", "3")).event())).path("tier").asString())
          .isEqualTo("trusted");
      assertThat(permissionCalls(w)).isEqualTo(2);

      // Organisation and team events, which name no repository, are accepted from the owner's secret.
      var org = GitHubWebhooks.load("organization.member_added");
      ((tools.jackson.databind.node.ObjectNode) org.path("organization")).put("login", "octo");
      assertThat(w.deliver("organization", org).statusCode()).isEqualTo(202);
      var team = GitHubWebhooks.load("team.added_to_repository");
      GitHubWebhooks.repository(team, "octo", "app", GitHubWorld.REPO_ID);
      assertThat(w.deliver("team", team).statusCode()).isEqualTo(202);
      var membership = GitHubWebhooks.load("membership.removed");
      ((tools.jackson.databind.node.ObjectNode) membership.path("organization")).put("login", "octo");
      assertThat(w.deliver("membership", membership).statusCode()).isEqualTo(202);
      var invited = GitHubWebhooks.load("organization.member_added");
      ((tools.jackson.databind.node.ObjectNode) invited.path("organization")).put("login", "octo");
      invited.put("action", "renamed");
      assertThat(w.deliver("organization", invited).body()).contains("ignored").contains("action renamed");
    }
  }

  @Test
  void aSynchronizeBySomeoneElseIsDecidedByTheWeakerOfAuthorAndPusher() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      var pr = w.openPr(false, MAINTAINER, Map.of("src.txt", "x"));
      var sync = GitHubWebhooks.load("pull_request.synchronize");
      GitHubWebhooks.repository(sync, "octo", "app", GitHubWorld.REPO_ID);
      sync.put("number", pr.number()).put("before", w.baseSha).put("after", pr.head());
      var body = (tools.jackson.databind.node.ObjectNode) sync.path("pull_request");
      body.put("number", pr.number());
      ((tools.jackson.databind.node.ObjectNode) body.path("head")).put("sha", pr.head());
      ((tools.jackson.databind.node.ObjectNode) body.path("base")).put("sha", w.baseSha).put("ref", "main");
      GitHubWebhooks.user(body.path("user"), MAINTAINER.id(), MAINTAINER.login());
      GitHubWebhooks.user(sync.path("sender"), STRANGER.id(), STRANGER.login());
      JsonNode res = decided(w.deliver("pull_request", sync));
      assertThat(res.path("tier").asString()).isEqualTo("unknown");
      assertThat(res.path("reason").asString()).isEqualTo("unknown_contributor");
    }
  }

  @Test
  void identityIsTheNumericIdNotTheLogin() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      // The event says user 1999 "maya"; GitHub's "maya" is user 1001, the maintainer.
      var pr = w.openPr(false, new FakeGitHub.User(1999, MAINTAINER.login()), Map.of("a", "1"));
      JsonNode res = decided(w.deliver("pull_request", pr.event()));
      assertThat(res.path("tier").asString()).isEqualTo("unknown");
      assertThat(res.path("why").asString()).contains("now belongs to GitHub user 1001, not 1999");
    }
  }

  @Test
  void pushesRunForTrustedPushersAndAreHeldOtherwise() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      var trusted = w.push(MAINTAINER, Map.of(".moat/workflows/ci.yml", GitHubWorld.HEAD_WORKFLOW));
      JsonNode ran = decided(w.deliver("push", trusted.event()));
      assertThat(ran.path("held").asBoolean()).isFalse();
      assertThat(w.server.run(ran.path("runs").get(0).asLong()).path("workflow").asString()).isEqualTo("head-ci");

      var edit = w.push(WRITER, Map.of(".moat/workflows/ci.yml", GitHubWorld.BASE_WORKFLOW));
      JsonNode held = decided(w.deliver("push", edit.event()));
      assertThat(held.path("reason").asString()).isEqualTo("workflow_modification");

      var stranger = w.push(STRANGER, Map.of("x.txt", "x"));
      assertThat(decided(w.deliver("push", stranger.event())).path("reason").asString()).isEqualTo("unknown_contributor");
      assertThat(w.statuses(stranger.head()).getLast().description()).isEqualTo("held for approval: unknown_contributor");

      var deleted = GitHubWebhooks.load("push");
      GitHubWebhooks.repository(deleted, "octo", "app", GitHubWorld.REPO_ID);
      deleted.put("deleted", true).put("after", "0".repeat(40));
      assertThat(decided(w.deliver("push", deleted)).path("ignored").asString()).isEqualTo("ref deleted");
    }
  }

  @Test
  void sourceThatCannotBeFetchedIs502AndTheDeliveryCanBeRetried() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      var pr = w.openPr(false, MAINTAINER, Map.of("src.txt", "x"));
      // GitHub has not got the head yet (or the clone token was refused): the fetch fails.
      GitFixture.git(w.origin.bare(), "update-ref", "-d", "refs/pull/" + pr.number() + "/head");
      String delivery = GitHubWebhooks.newDelivery();
      var failed = GitHubWebhooks.deliver(w.server.url(), "pull_request", delivery, SECRET, pr.event());
      assertThat(failed.statusCode()).isEqualTo(502);
      assertThat(failed.body()).contains("could not fetch " + pr.head() + " from octo/app");
      assertThat(w.count("deliveries")).isZero();
      assertThat(w.count("runs")).isZero();

      GitFixture.git(w.origin.bare(), "update-ref", "refs/pull/" + pr.number() + "/head", pr.head());
      var retried = GitHubWebhooks.deliver(w.server.url(), "pull_request", delivery, SECRET, pr.event());
      assertThat(decided(retried).path("runs")).hasSize(1);
    }
  }

  @Test
  void theRunsResultIsPostedAsTheCommitStatusWhenItEnds() throws Exception {
    try (var w = GitHubWorld.create(dir)) {
      var pr = w.openPr(false, MAINTAINER, Map.of("src.txt", "x"));
      long run = decided(w.deliver("pull_request", pr.event())).path("runs").get(0).asLong();
      w.server.api().post("/api/v1/runs/" + run + "/cancel", Map.of());
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> w.statuses(pr.head()).size() == 2);
      assertThat(w.statuses(pr.head())).extracting(FakeGitHub.Status::state).containsExactly("pending", "failure");
      assertThat(w.statuses(pr.head()).getLast().description()).isEqualTo("run " + run + " (base-ci) cancelled");
      Thread.sleep(500); // several reporter passes: posted once
      assertThat(w.statuses(pr.head())).hasSize(2);
    }
  }

  private static long permissionCalls(GitHubWorld w) {
    return w.github.requests().stream().filter(r -> r.contains("/permission")).count();
  }

  private static JsonNode decided(java.net.http.HttpResponse<String> res) {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(202);
    return Json.MAPPER.readTree(res.body());
  }
}
