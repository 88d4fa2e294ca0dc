package dev.moat.engine.trust;

import java.util.Objects;
import java.util.Optional;

/**
 * What a change may do: the tier its run carries (for placement and audit), which definitions run,
 * and whether the run is held first. Immutable.
 *
 * @param tier the tier the run carries: a fork pull request is {@link TrustTier#UNKNOWN}
 * @param source whose workflow definitions run
 * @param hold why the run waits for approval, if it does
 * @param why one sentence for the audit log and the user
 */
public record TrustDecision(TrustTier tier, WorkflowSource source, Optional<HoldReason> hold, String why) {
  public TrustDecision {
    Objects.requireNonNull(tier, "tier");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(hold, "hold");
    Objects.requireNonNull(why, "why");
  }

  public boolean held() {
    return hold.isPresent();
  }
}
