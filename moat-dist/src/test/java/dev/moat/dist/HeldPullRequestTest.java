package dev.moat.dist;

import static dev.moat.dist.CliTest.moat;
import static dev.moat.dist.CliTest.moatAs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Json;
import dev.moat.engine.trust.Change;
import dev.moat.engine.trust.TrustRules;
import dev.moat.engine.trust.TrustTier;
import dev.moat.server.repo.GitReader;
import dev.moat.server.run.RunRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A known contributor's pull request that edits its workflow, started through the server's
 * trust-aware run start as the forge paths do, decided from the command line: held for
 * {@code workflow_modification}, the author's own approval refused, another maintainer's approval
 * runs the base branch's workflow on a real agent, never the pull request's.
 */
class HeldPullRequestTest {
  private static final RunRequest.Author OCTOCAT = new RunRequest.Author("github", 583231, "octocat");

  @TempDir Path dir;

  private static String token(CliTest.Result added) {
    assertThat(added.code()).as(added.err()).isZero();
    return added.out().strip();
  }

  @Test
  void theAuthorCannotApproveTheirOwnHeldPullRequestAndAnotherMaintainersApprovalRunsTheBaseWorkflow() throws Exception {
    try (var s = Scenario.create(dir, SignedPushTest.EVERYONE_ON_BWRAP)) {
      s.agent();
      // Pushes to these branches match no trigger: the runs below come from the pull request only.
      String base = s.git.workflow("on: {push: {branches: [release]}, pull_request: {branches: [main]}}\njobs: {build: {steps: [{run: 'echo BASE-DEFINITION'}]}}\n")
          .commit("base");
      s.git.push();
      String head = s.git.workflow("on: {push: {branches: [release]}, pull_request: {branches: [main]}}\njobs: {build: {steps: [{run: 'echo HEAD-DEFINITION'}]}}\n")
          .commit("edit the workflow");
      s.git.pushTo("feature");
      var decision = TrustRules.decide(new Change(Change.Kind.PULL_REQUEST, TrustTier.KNOWN, false, true, null));
      var request = RunRequest.pullRequest("refs/heads/feature", head, "refs/heads/main", base, OCTOCAT);

      long run = s.server.runStarter().start("app", request, decision, at -> new GitReader().workflows(s.git.bare(), at)).getFirst();

      JsonNode held = s.server.run(run);
      assertThat(held.path("status").asString()).isEqualTo("held");
      assertThat(held.path("hold").path("reason").asString()).isEqualTo("workflow_modification");
      assertThat(held.path("definitionsSha").asString()).isEqualTo(base);
      assertThat(held.path("author").path("id").asLong()).isEqualTo(583231);
      String octo = token(moat(s.server, "user", "add", "octo", "--role", "maintainer"));
      assertThat(moat(s.server, "user", "link", "octo", "--github-id", "583231", "--github-login", "octocat").code()).isZero();
      String mia = token(moat(s.server, "user", "add", "mia", "--role", "maintainer"));

      CliTest.Result own = moatAs(s.server, octo, "approve", Long.toString(run));
      assertThat(own.code()).isEqualTo(3);
      assertThat(own.err()).contains("octo is the change's author, and self-approval is off");
      assertThat(s.server.run(run).path("status").asString()).isEqualTo("held");

      assertThat(moatAs(s.server, mia, "approve", Long.toString(run)).code()).isZero();
      JsonNode done = s.awaitRunEnded(run);
      assertThat(done.path("status").asString()).isEqualTo("succeeded");
      String log = s.server.log(Scenario.job(done, "build").path("id").asLong());
      assertThat(log).contains("BASE-DEFINITION").doesNotContain("HEAD-DEFINITION");
      JsonNode events = Json.MAPPER.readTree(moatAs(s.server, mia, "audit", "--run", Long.toString(run), "--json").out());
      assertThat(events).extracting(e -> e.path("action").asString() + " " + e.path("actor").asString())
          .containsExactly("run_held moat", "approval_refused user:octo", "run_approved user:mia");
    }
  }
}
