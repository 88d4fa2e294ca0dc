package dev.moat.engine.placement;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a job may run, as {@link PlacementPolicy#place} decides it when the job is created: on
 * agents of some pools at some sandbox tier, or nowhere, with a reason a person can act on.
 */
public sealed interface Placement {
  /**
   * The job may run on an agent whose pool is one of {@code pools} (any pool, when the policy
   * declares none) and whose sandbox tier is at least {@code atLeast}.
   */
  record Placed(IsolationTier atLeast, Optional<List<String>> pools) implements Placement {
    public Placed {
      Objects.requireNonNull(atLeast, "atLeast");
      pools = pools.map(List::copyOf);
      if (pools.isPresent() && pools.get().isEmpty()) throw new IllegalArgumentException("placed on no pool");
    }

    /**
     * Whether an agent of {@code pool} that runs {@code tier} may take the job. Checked at every
     * claim, so an agent whose pool was never admitted, or whose sandboxes are weaker than the job
     * needs (a misconfigured pool), is handed nothing.
     */
    public boolean allows(String pool, IsolationTier tier) {
      return Placement.allows(atLeast, pools, pool, tier);
    }
  }

  /**
   * The claim-time rule, also for placements as stored: an agent of {@code pool} running {@code
   * tier} may take a job placed at {@code atLeast} on {@code pools} (empty: any pool; an empty list:
   * none) only if its tier is at least that strong and its pool is one of them.
   */
  static boolean allows(IsolationTier atLeast, Optional<List<String>> pools, String pool, IsolationTier tier) {
    return tier.atLeast(atLeast) && pools.map(p -> p.contains(pool)).orElse(true);
  }

  /** No pool admits the job; {@code reason} says why and names what would fix it. */
  record Unschedulable(String reason) implements Placement {
    public Unschedulable {
      Objects.requireNonNull(reason, "reason");
    }
  }
}
