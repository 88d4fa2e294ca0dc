package dev.moat.engine.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.engine.trust.Change.Kind;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TrustRulesTest {
  static TrustDecision pr(TrustTier author, boolean fork, boolean touchesWorkflows) {
    return TrustRules.decide(new Change(Kind.PULL_REQUEST, author, fork, touchesWorkflows, null));
  }

  static TrustDecision push(TrustTier author, boolean touchesWorkflows, Boolean verified) {
    return TrustRules.decide(new Change(Kind.PUSH, author, false, touchesWorkflows, verified));
  }

  @Test
  void aForkPullRequestIsHeldAsUnknownAndRunsTheBaseWorkflowsWhateverItsAuthor() {
    for (TrustTier author : TrustTier.values()) {
      TrustDecision d = pr(author, true, false);
      assertThat(d.tier()).isEqualTo(TrustTier.UNKNOWN);
      assertThat(d.source()).isEqualTo(WorkflowSource.BASE);
      assertThat(d.hold()).contains(HoldReason.FORK_PULL_REQUEST);
    }
  }

  @Test
  void anUnknownContributorsPullRequestIsHeldAndRunsTheBaseWorkflows() {
    TrustDecision d = pr(TrustTier.UNKNOWN, false, false);
    assertThat(d.hold()).contains(HoldReason.UNKNOWN_CONTRIBUTOR);
    assertThat(d.source()).isEqualTo(WorkflowSource.BASE);
  }

  @Test
  void aKnownContributorRunsTheBaseWorkflowsAndIsHeldOnlyForEditingThem() {
    assertThat(pr(TrustTier.KNOWN, false, false)).isEqualTo(new TrustDecision(TrustTier.KNOWN, WorkflowSource.BASE,
        Optional.empty(), "pull request by a known contributor: runs the base branch's workflows"));
    TrustDecision edit = pr(TrustTier.KNOWN, false, true);
    assertThat(edit.hold()).contains(HoldReason.WORKFLOW_MODIFICATION);
    assertThat(edit.source()).isEqualTo(WorkflowSource.BASE);
  }

  @Test
  void aTrustedContributorRunsItsOwnWorkflowsUnheldEvenWhenEditingThem() {
    TrustDecision d = pr(TrustTier.TRUSTED, false, true);
    assertThat(d.held()).isFalse();
    assertThat(d.source()).isEqualTo(WorkflowSource.HEAD);
    assertThat(d.tier()).isEqualTo(TrustTier.TRUSTED);
  }

  @Test
  void pushesToPlainGitRunOnlyWhenSignedByAnAllowedKey() {
    assertThat(push(TrustTier.UNKNOWN, false, false).hold()).contains(HoldReason.UNVERIFIED_PUSH);
    assertThat(push(TrustTier.TRUSTED, false, false).hold()).as("a signature check that failed wins").contains(HoldReason.UNVERIFIED_PUSH);
    TrustDecision signed = push(TrustTier.UNKNOWN, true, true);
    assertThat(signed.held()).isFalse();
    assertThat(signed.tier()).isEqualTo(TrustTier.TRUSTED);
  }

  @Test
  void forgePushesFollowThePushersTier() {
    assertThat(push(TrustTier.TRUSTED, true, null).held()).isFalse();
    assertThat(push(TrustTier.KNOWN, false, null).held()).isFalse();
    assertThat(push(TrustTier.KNOWN, true, null).hold()).contains(HoldReason.WORKFLOW_MODIFICATION);
    assertThat(push(TrustTier.UNKNOWN, false, null).hold()).contains(HoldReason.UNKNOWN_CONTRIBUTOR);
  }

  @Test
  void impossibleChangesAreRefused() {
    assertThatThrownBy(() -> new Change(Kind.PUSH, TrustTier.KNOWN, true, false, null)).hasMessageContaining("fork");
    assertThatThrownBy(() -> new Change(Kind.PULL_REQUEST, TrustTier.KNOWN, false, false, true)).hasMessageContaining("not a push");
  }

  @Test
  void wireNamesRoundTrip() {
    for (TrustTier t : TrustTier.values()) assertThat(TrustTier.ofWire(t.wire())).isEqualTo(t);
    for (HoldReason r : HoldReason.values()) assertThat(HoldReason.ofWire(r.wire())).isEqualTo(r);
    assertThat(HoldReason.WORKFLOW_MODIFICATION.wire()).isEqualTo("workflow_modification");
    assertThatThrownBy(() -> TrustTier.ofWire("admin")).hasMessageContaining("trusted, known or unknown");
  }
}
