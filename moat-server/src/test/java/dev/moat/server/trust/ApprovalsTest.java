package dev.moat.server.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.engine.trust.Change;
import dev.moat.engine.placement.IsolationTier;
import dev.moat.engine.trust.TrustDecision;
import dev.moat.engine.trust.TrustRules;
import dev.moat.engine.trust.TrustTier;
import dev.moat.server.audit.Audit;
import dev.moat.server.auth.Caller;
import dev.moat.server.http.ApiException;
import dev.moat.server.run.RunRequest;
import dev.moat.server.run.RunView;
import dev.moat.server.trust.Approvals.Approver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Held runs and their decisions on the real services, SQLite and git: what is held, what runs after
 * approval, who may decide, expiry on an injected clock, and the audit trail of each transition.
 */
class ApprovalsTest {
  private static final String BASE_WORKFLOW = """
      on: [push, pull_request]
      jobs:
        build: {runs-on: [linux], steps: [{run: 'echo base'}]}
        deploy: {needs: [build], runs-on: [linux], steps: [{run: 'echo deploy'}]}
      """;
  private static final String HEAD_WORKFLOW = "on: [push, pull_request]\njobs: {pwned: {runs-on: [linux], steps: [{run: 'curl evil'}]}}\n";
  private static final RunRequest.Author OCTOCAT = new RunRequest.Author("github", 583231, "octocat");

  @TempDir Path dir;
  private HoldWorld w;
  private String baseSha;
  private String headSha;

  @BeforeEach
  void world() throws Exception {
    w = new HoldWorld(dir, false);
    baseSha = w.commit("main", BASE_WORKFLOW);
    headSha = w.commit("feature", HEAD_WORKFLOW);
  }

  @AfterEach
  void close() {
    w.close();
  }

  /** A pull request by a known contributor that edits .moat/: held, base definitions. */
  private long heldPullRequest() {
    TrustDecision decision = TrustRules.decide(new Change(Change.Kind.PULL_REQUEST, TrustTier.KNOWN, false, true, null));
    var request = RunRequest.pullRequest("refs/pull/7/head", headSha, "refs/heads/main", baseSha, OCTOCAT);
    List<Long> ids = w.starter.start(w.repo, request, decision);
    assertThat(ids).hasSize(1);
    return ids.getFirst();
  }

  private static Approver as(Caller c) {
    return new Approver.MoatUser(c);
  }

  private List<String> actions(long run) {
    return w.audit.list(Optional.of(run), 100).stream().map(Audit.Event::action).toList();
  }

  @Test
  void aHeldPullRequestShowsTheBaseBranchsJobsAndQueuesNone() {
    long run = heldPullRequest();

    RunView view = w.runs.view(run);
    assertThat(view.status()).isEqualTo("held");
    assertThat(view.sha()).as("the run builds the head").isEqualTo(headSha);
    assertThat(view.definitionsSha()).as("with the base branch's definitions").isEqualTo(baseSha);
    assertThat(view.event()).isEqualTo("pull_request");
    assertThat(view.trustTier()).isEqualTo("known");
    assertThat(view.author()).isEqualTo(OCTOCAT);
    assertThat(view.jobs()).extracting(RunView.JobView::key).containsExactly("build", "deploy");
    assertThat(view.jobs()).extracting(RunView.JobView::status).containsOnly("pending");
    assertThat(view.hold().reason()).isEqualTo("workflow_modification");
    assertThat(view.hold().approverRole()).isEqualTo("maintainer");
    assertThat(view.hold().expiresAt()).isEqualTo(w.now.get() + HoldWorld.TTL.toMillis());
    assertThat(w.runs.claim("agent-1", "default", List.of("linux"), null, IsolationTier.OCI, 10)).as("nothing of a held run is claimable").isEmpty();

    var held = w.audit.list(Optional.of(run), 10).getFirst();
    assertThat(held.action()).isEqualTo("run_held");
    assertThat(held.actor()).isEqualTo("moat");
    assertThat(held.detail()).containsEntry("reason", "workflow_modification").containsEntry("tier", "known");
  }

  @Test
  void aMaintainersApprovalQueuesTheRootJobsAndTheRestFollowTheirNeeds() {
    long run = heldPullRequest();
    Caller mia = w.user("mia", "maintainer");

    RunView approved = w.approvals.approve(run, as(mia), "looks fine");

    assertThat(approved.status()).isEqualTo("queued");
    assertThat(approved.jobs()).extracting(RunView.JobView::status).containsExactly("queued", "pending");
    assertThat(approved.hold().state()).isEqualTo("approved");
    assertThat(approved.hold().decidedBy()).isEqualTo("user:mia");
    assertThat(approved.hold().comment()).isEqualTo("looks fine");
    assertThat(w.runs.claim("agent-0", "default", List.of("linux"), null, IsolationTier.BWRAP, 10))
        .as("a known contributor's approved job needs at least oci (the default policy)").isEmpty();
    var claimed = w.runs.claim("agent-1", "default", List.of("linux"), null, IsolationTier.OCI, 10);
    assertThat(claimed).hasSize(1);
    assertThat(claimed.getFirst().sha()).isEqualTo(headSha);
    assertThat(claimed.getFirst().steps().getFirst().run()).as("the base branch's step runs").isEqualTo("echo base");
    assertThat(actions(run)).containsExactly("run_held", "run_approved");
  }

  @Test
  void viewersAndDevelopersMayNotApproveAndTheRunStaysHeld() {
    long run = heldPullRequest();
    for (String role : List.of("viewer", "developer")) {
      Caller who = w.user("u-" + role, role);
      assertThatThrownBy(() -> w.approvals.approve(run, as(who), null))
          .isInstanceOf(ApiException.Forbidden.class)
          .hasMessageContaining("needs the maintainer role").hasMessageContaining("is " + role);
      assertThatThrownBy(() -> w.approvals.reject(run, as(who), null)).isInstanceOf(ApiException.Forbidden.class);
    }
    assertThat(w.runs.view(run).status()).isEqualTo("held");
    assertThat(w.runs.claim("agent-1", "default", List.of("linux"), null, IsolationTier.OCI, 10)).isEmpty();
    var refusals = w.audit.list(Optional.of(run), 100).stream().filter(e -> e.action().equals("approval_refused")).toList();
    assertThat(refusals).extracting(Audit.Event::actor).containsExactly("user:u-viewer", "user:u-viewer", "user:u-developer", "user:u-developer");
    assertThat(refusals.getFirst().detail()).containsEntry("status", 403).containsEntry("action", "approve");
  }

  @Test
  void theAuthorMayNotApproveTheirOwnChangeByTokenOrByForgeIdentity() {
    long run = heldPullRequest();
    Caller author = w.user("octo", "maintainer");
    w.users.link("octo", "github", OCTOCAT.id(), "octocat", w.admin);

    assertThatThrownBy(() -> w.approvals.approve(run, as(author), null))
        .isInstanceOf(ApiException.Forbidden.class).hasMessageContaining("self-approval is off");
    assertThatThrownBy(() -> w.approvals.approve(run, new Approver.ForgeUser("github", OCTOCAT.id(), "octocat"), null))
        .isInstanceOf(ApiException.Forbidden.class).hasMessageContaining("self-approval is off");
    assertThat(w.runs.view(run).status()).isEqualTo("held");
    assertThat(actions(run)).containsExactly("run_held", "approval_refused", "approval_refused");
  }

  @Test
  void selfApprovalWorksWhenTheServerAllowsIt() throws Exception {
    w.close();
    w = new HoldWorld(dir.resolve("self"), true);
    baseSha = w.commit("main", BASE_WORKFLOW);
    headSha = w.commit("feature", HEAD_WORKFLOW);
    long run = heldPullRequest();
    Caller author = w.user("octo", "maintainer");
    w.users.link("octo", "github", OCTOCAT.id(), "octocat", w.admin);

    assertThat(w.approvals.approve(run, as(author), null).status()).isEqualTo("queued");
  }

  @Test
  void aForgeIdentityApprovesThroughItsLinkedUsersRoleAndAnUnlinkedOneIsRefused() {
    long run = heldPullRequest();
    assertThatThrownBy(() -> w.approvals.approve(run, new Approver.ForgeUser("github", 9, "stranger"), null))
        .isInstanceOf(ApiException.Forbidden.class).hasMessageContaining("github:9 is not linked");
    w.user("vic", "viewer");
    w.users.link("vic", "github", 10L, "vic", w.admin);
    assertThatThrownBy(() -> w.approvals.approve(run, new Approver.ForgeUser("github", 10, "renamed-login"), null))
        .isInstanceOf(ApiException.Forbidden.class).hasMessageContaining("vic is viewer");
    w.user("mia", "maintainer");
    w.users.link("mia", "github", 11L, "mia", w.admin);

    RunView approved = w.approvals.approve(run, new Approver.ForgeUser("github", 11, "mia"), null);

    assertThat(approved.hold().decidedBy()).isEqualTo("github:11 (user:mia)");
    var refused = w.audit.list(Optional.of(run), 100).get(1);
    assertThat(refused.actor()).isEqualTo("github:9");
    assertThat(refused.detail()).containsEntry("login", "stranger");
  }

  @Test
  void rejectCancelsTheJobsWithTheReasonAndAnyLaterDecisionIsAConflict() {
    long run = heldPullRequest();
    Caller mia = w.user("mia", "maintainer");

    RunView rejected = w.approvals.reject(run, as(mia), "not from us");

    assertThat(rejected.status()).isEqualTo("rejected");
    assertThat(rejected.jobs()).extracting(RunView.JobView::status).containsOnly("cancelled");
    assertThat(rejected.jobs()).extracting(RunView.JobView::reason).containsOnly("rejected by user:mia: not from us");
    assertThatThrownBy(() -> w.approvals.approve(run, as(mia), null))
        .isInstanceOf(ApiException.Conflict.class).hasMessage("run " + run + " was already rejected by user:mia");
    assertThat(w.runs.claim("agent-1", "default", List.of("linux"), null, IsolationTier.OCI, 10)).isEmpty();
    assertThat(actions(run)).containsExactly("run_held", "run_rejected", "approval_refused");
  }

  @Test
  void approvingTwiceIsAConflictAndTheJobsAreQueuedOnce() {
    long run = heldPullRequest();
    Caller mia = w.user("mia", "maintainer");
    w.approvals.approve(run, as(mia), null);

    assertThatThrownBy(() -> w.approvals.approve(run, as(mia), null))
        .isInstanceOf(ApiException.Conflict.class).hasMessage("run " + run + " was already approved by user:mia");
    assertThat(w.runs.claim("agent-1", "default", List.of("linux"), null, IsolationTier.OCI, 10)).hasSize(1);
  }

  @Test
  void approvingARunThatWasNeverHeldIsAConflict() {
    var decision = TrustRules.decide(new Change(Change.Kind.PUSH, TrustTier.TRUSTED, false, false, null));
    long run = w.starter.start(w.repo, RunRequest.push("refs/heads/main", baseSha, Optional.empty()), decision).getFirst();
    Caller mia = w.user("mia", "maintainer");

    assertThat(w.runs.view(run).status()).isEqualTo("queued");
    assertThat(w.runs.view(run).hold()).isNull();
    assertThatThrownBy(() -> w.approvals.approve(run, as(mia), null))
        .isInstanceOf(ApiException.Conflict.class).hasMessage("run " + run + " is not held");
  }

  @Test
  void aHoldPastItsExpiryExpiresInTheLoopAndCanNoLongerBeApproved() {
    long run = heldPullRequest();
    Caller mia = w.user("mia", "maintainer");
    w.pass(HoldWorld.TTL.minusSeconds(1));
    assertThat(w.held.expireDue()).as("not due yet").isZero();
    w.pass(Duration.ofSeconds(1));

    assertThat(w.held.expireDue()).isEqualTo(1);

    RunView expired = w.runs.view(run);
    assertThat(expired.status()).isEqualTo("expired");
    assertThat(expired.finishedAt()).isEqualTo(w.now.get());
    assertThat(expired.jobs()).extracting(RunView.JobView::reason).containsOnly("the hold expired without a decision");
    assertThatThrownBy(() -> w.approvals.approve(run, as(mia), null))
        .isInstanceOf(ApiException.Conflict.class).hasMessage("run " + run + " was already expired by moat");
    assertThat(actions(run)).containsExactly("run_held", "run_expired", "approval_refused");
  }

  @Test
  void anApprovalAfterTheExpiryButBeforeTheLoopExpiresTheRunInstead() {
    long run = heldPullRequest();
    Caller mia = w.user("mia", "maintainer");
    w.pass(HoldWorld.TTL.plusMinutes(1));

    assertThatThrownBy(() -> w.approvals.approve(run, as(mia), null))
        .isInstanceOf(ApiException.Conflict.class).hasMessageContaining("is expired");

    assertThat(w.runs.view(run).status()).isEqualTo("expired");
    assertThat(w.runs.claim("agent-1", "default", List.of("linux"), null, IsolationTier.OCI, 10)).isEmpty();
    assertThat(actions(run)).containsExactly("run_held", "run_expired", "approval_refused");
  }

  @Test
  void aHeldRunCannotBeCancelledAroundTheApprovers() {
    long run = heldPullRequest();
    assertThatThrownBy(() -> w.runs.cancel(run)).isInstanceOf(ApiException.Conflict.class).hasMessageContaining("reject");
    assertThat(w.runs.view(run).status()).isEqualTo("held");
  }

  @Test
  void aTrustedPullRequestRunsItsHeadDefinitionsAtOnce() {
    var decision = TrustRules.decide(new Change(Change.Kind.PULL_REQUEST, TrustTier.TRUSTED, false, true, null));
    var request = RunRequest.pullRequest("refs/pull/8/head", headSha, "refs/heads/main", baseSha, OCTOCAT);

    RunView view = w.runs.view(w.starter.start(w.repo, request, decision).getFirst());

    assertThat(view.status()).isEqualTo("queued");
    assertThat(view.definitionsSha()).isEqualTo(headSha);
    assertThat(view.trustTier()).isEqualTo("trusted");
    assertThat(view.jobs()).extracting(RunView.JobView::key).containsExactly("pwned");
  }
}
