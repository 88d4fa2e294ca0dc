package dev.moat.engine.placement;

import dev.moat.engine.trust.TrustTier;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The server's placement policy (DESIGN §5, invariant I5): for each trust tier, the weakest sandbox
 * tier its jobs may run on, and the pools agents may serve. Immutable and thread-safe; {@link
 * #place} is a pure function.
 *
 * <p>Invariants, checked on construction: every trust tier has a weakest sandbox tier, a less
 * trusted tier never gets a weaker one than a more trusted tier, and pool names are unique.
 *
 * @param weakest the weakest sandbox tier each trust tier may use
 * @param pools the declared pools; empty for the {@link #DEFAULT} policy, whose pools are whatever
 *     agents register to, each taken at the sandbox tier its agents report
 */
public record PlacementPolicy(Map<TrustTier, IsolationTier> weakest, Optional<List<PoolSpec>> pools) {
  /**
   * The policy without a policy file: trusted work may run on {@code bwrap}, work of known and
   * unknown contributors needs at least {@code oci}, and any pool is taken at its agents' tier.
   * Fail-closed for untrusted work: nothing but a trusted contributor's job ever reaches a
   * {@code bwrap} sandbox, which shares the host's kernel and {@code /usr}.
   */
  public static final PlacementPolicy DEFAULT = new PlacementPolicy(
      Map.of(TrustTier.TRUSTED, IsolationTier.BWRAP, TrustTier.KNOWN, IsolationTier.OCI,
          TrustTier.UNKNOWN, IsolationTier.OCI),
      Optional.empty());

  public PlacementPolicy {
    weakest = Map.copyOf(new EnumMap<>(weakest));
    IsolationTier previous = IsolationTier.BWRAP;
    TrustTier previousTrust = null;
    for (TrustTier trust : TrustTier.values()) { // most trusted first
      IsolationTier tier = weakest.get(trust);
      if (tier == null) throw new IllegalArgumentException("no weakest sandbox tier for " + trust.wire());
      if (!tier.atLeast(previous)) {
        throw new IllegalArgumentException(lessTrustedWeaker(trust, tier, previousTrust, previous));
      }
      previous = tier;
      previousTrust = trust;
    }
    pools = pools.map(List::copyOf);
    pools.ifPresent(p -> {
      if (p.isEmpty()) throw new IllegalArgumentException("a policy that declares pools declares at least one");
      var names = new HashSet<String>();
      for (PoolSpec pool : p) {
        if (!names.add(pool.name())) throw new IllegalArgumentException("pool " + pool.name() + " is declared twice");
      }
    });
  }

  static String lessTrustedWeaker(TrustTier trust, IsolationTier tier, TrustTier moreTrusted, IsolationTier theirs) {
    return trust.wire() + " contributors may not get a weaker sandbox (" + tier.wire() + ") than "
        + moreTrusted.wire() + " contributors (" + theirs.wire() + ")";
  }

  /** The weakest sandbox tier jobs of {@code trust} may run on. */
  public IsolationTier weakestFor(TrustTier trust) {
    return weakest.get(trust);
  }

  /** The declared pool named {@code name}; empty if there is none (or the policy declares no pools). */
  public Optional<PoolSpec> pool(String name) {
    return pools.flatMap(p -> p.stream().filter(s -> s.name().equals(name)).findFirst());
  }

  /**
   * Whether agents may register to a pool named {@code name}: any pool under the default policy,
   * else only a declared one.
   */
  public boolean acceptsPool(String name) {
    return pools.isEmpty() || pool(name).isPresent();
  }

  /**
   * Where a job that asks for {@code jobLabels} and was written by a contributor of {@code trust}
   * may run: on the declared pools that serve all its labels, run at least the trust tier's weakest
   * sandbox tier, and admit the trust tier. Under the default policy, on any pool at that tier
   * (which pools exist is known only once agents poll).
   */
  public Placement place(List<String> jobLabels, TrustTier trust) {
    Objects.requireNonNull(jobLabels, "jobLabels");
    Objects.requireNonNull(trust, "trust");
    IsolationTier atLeast = weakestFor(trust);
    if (pools.isEmpty()) return new Placement.Placed(atLeast, Optional.empty());
    List<PoolSpec> matching = pools.get().stream().filter(p -> p.serves(jobLabels)).toList();
    List<String> admitted = matching.stream().filter(p -> p.admits(trust, atLeast)).map(PoolSpec::name).toList();
    if (!admitted.isEmpty()) return new Placement.Placed(atLeast, Optional.of(admitted));
    return new Placement.Unschedulable(unschedulable(jobLabels, trust, atLeast, matching));
  }

  private String unschedulable(List<String> jobLabels, TrustTier trust, IsolationTier atLeast, List<PoolSpec> matching) {
    if (matching.isEmpty()) {
      return "no pool has the labels " + jobLabels + " this job runs on; pools: "
          + String.join(", ", pools.orElseThrow().stream().map(p -> p.name() + " " + p.labels()).toList());
    }
    List<String> out = new ArrayList<>();
    for (PoolSpec p : matching) out.add(p.describe());
    return "no pool admits this job: policy requires at least " + atLeast.wire() + " for " + trust.wire()
        + " contributors; pools matching labels " + jobLabels + ": " + String.join(", ", out);
  }

  /** One line for the server's log: what each trust tier needs and which pools exist. */
  public String describe() {
    List<String> parts = new ArrayList<>();
    for (TrustTier trust : TrustTier.values()) parts.add(trust.wire() + ">=" + weakest.get(trust).wire());
    String poolText = pools.map(p -> String.join(", ",
            p.stream().map(s -> s.describe() + " " + s.labels()).toList()))
        .orElse("any pool, at the tier its agents report");
    return "trust " + String.join(" ", parts) + "; pools: " + poolText;
  }
}
