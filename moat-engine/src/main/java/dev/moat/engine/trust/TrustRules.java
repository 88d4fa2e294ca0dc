package dev.moat.engine.trust;

import java.util.Optional;

/**
 * Invariant I5 as one pure function: fail closed. Pull requests:
 * <ul>
 *   <li>from a fork: {@link TrustTier#UNKNOWN}, base definitions, held as {@link HoldReason#FORK_PULL_REQUEST};
 *   <li>by an unknown author: base definitions, held as {@link HoldReason#UNKNOWN_CONTRIBUTOR};
 *   <li>by a known author: base definitions; held as {@link HoldReason#WORKFLOW_MODIFICATION} if it
 *       touches {@code .moat/}, else queued;
 *   <li>by a trusted author: head definitions, queued.
 * </ul>
 * Pushes run the pushed commit's definitions (there is no base): a push to a plain git repository
 * whose head is not signed by an allowed key is held as {@link HoldReason#UNVERIFIED_PUSH}; a push
 * by an unknown author is held as {@link HoldReason#UNKNOWN_CONTRIBUTOR}; a known author's push that
 * touches {@code .moat/} is held as {@link HoldReason#WORKFLOW_MODIFICATION}. Stateless.
 */
public final class TrustRules {
  private TrustRules() {}

  public static TrustDecision decide(Change c) {
    return switch (c.kind()) {
      case PULL_REQUEST -> pullRequest(c);
      case PUSH -> push(c);
    };
  }

  private static TrustDecision pullRequest(Change c) {
    if (c.fromFork()) {
      return held(TrustTier.UNKNOWN, WorkflowSource.BASE, HoldReason.FORK_PULL_REQUEST,
          "pull request from a fork: held, and it will run the base branch's workflows");
    }
    return switch (c.author()) {
      case UNKNOWN -> held(TrustTier.UNKNOWN, WorkflowSource.BASE, HoldReason.UNKNOWN_CONTRIBUTOR,
          "pull request by an unknown contributor: held, and it will run the base branch's workflows");
      case KNOWN -> c.touchesWorkflows()
          ? held(TrustTier.KNOWN, WorkflowSource.BASE, HoldReason.WORKFLOW_MODIFICATION,
              "pull request by a known contributor changes .moat/: held, and it will run the base branch's workflows")
          : new TrustDecision(TrustTier.KNOWN, WorkflowSource.BASE, Optional.empty(),
              "pull request by a known contributor: runs the base branch's workflows");
      case TRUSTED -> new TrustDecision(TrustTier.TRUSTED, WorkflowSource.HEAD, Optional.empty(),
          "pull request by a trusted contributor: runs its own workflows");
    };
  }

  private static TrustDecision push(Change c) {
    if (Boolean.FALSE.equals(c.verifiedPush())) {
      return held(TrustTier.UNKNOWN, WorkflowSource.HEAD, HoldReason.UNVERIFIED_PUSH,
          "push whose head commit is not signed by an allowed key: held");
    }
    TrustTier tier = Boolean.TRUE.equals(c.verifiedPush()) ? TrustTier.TRUSTED : c.author();
    return switch (tier) {
      case UNKNOWN -> held(TrustTier.UNKNOWN, WorkflowSource.HEAD, HoldReason.UNKNOWN_CONTRIBUTOR,
          "push by an unknown contributor: held");
      case KNOWN -> c.touchesWorkflows()
          ? held(TrustTier.KNOWN, WorkflowSource.HEAD, HoldReason.WORKFLOW_MODIFICATION,
              "push by a known contributor changes .moat/: held")
          : new TrustDecision(TrustTier.KNOWN, WorkflowSource.HEAD, Optional.empty(), "push by a known contributor");
      case TRUSTED -> new TrustDecision(TrustTier.TRUSTED, WorkflowSource.HEAD, Optional.empty(),
          Boolean.TRUE.equals(c.verifiedPush()) ? "push signed by an allowed key" : "push by a trusted contributor");
    };
  }

  private static TrustDecision held(TrustTier tier, WorkflowSource source, HoldReason reason, String why) {
    return new TrustDecision(tier, source, Optional.of(reason), why);
  }
}
