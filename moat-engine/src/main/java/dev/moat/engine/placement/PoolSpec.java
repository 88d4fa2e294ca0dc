package dev.moat.engine.placement;

import dev.moat.engine.trust.TrustTier;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One pool of agents as the server's placement policy declares it.
 *
 * @param name the pool's name, which registration tokens and agents carry ({@link #NAME})
 * @param tier the sandbox tier the pool's agents run; an agent that reports a weaker one is handed
 *     nothing that needs more than it has
 * @param labels the labels the pool serves: a job runs here only if it asks for a subset of them
 * @param admits the trust tiers whose jobs the pool takes (every tier when the policy names none)
 */
public record PoolSpec(String name, IsolationTier tier, List<String> labels, Set<TrustTier> admits) {
  /** What a pool name must look like, everywhere pools are named. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");

  public PoolSpec {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("pool name must match " + NAME);
    Objects.requireNonNull(tier, "tier");
    labels = List.copyOf(labels);
    if (admits.isEmpty()) throw new IllegalArgumentException("pool " + name + " admits no trust tier");
    admits = Set.copyOf(EnumSet.copyOf(admits));
  }

  /** A pool that admits every trust tier. */
  public PoolSpec(String name, IsolationTier tier, List<String> labels) {
    this(name, tier, labels, EnumSet.allOf(TrustTier.class));
  }

  /** Whether the pool serves every one of {@code jobLabels}. */
  public boolean serves(List<String> jobLabels) {
    return labels.containsAll(jobLabels);
  }

  /** Whether the pool takes jobs of {@code trust}, given the policy's weakest tier for it. */
  boolean admits(TrustTier trust, IsolationTier weakest) {
    return admits.contains(trust) && tier.atLeast(weakest);
  }

  /** {@code isolated (oci)}, plus the trust tiers it admits when that is not all of them. */
  String describe() {
    if (admits.size() == TrustTier.values().length) return name + " (" + tier.wire() + ")";
    var names = EnumSet.copyOf(admits).stream().map(TrustTier::wire).toList();
    return name + " (" + tier.wire() + ", admits " + String.join(", ", names) + " only)";
  }
}
