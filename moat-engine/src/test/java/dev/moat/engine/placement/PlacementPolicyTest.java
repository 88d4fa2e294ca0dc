package dev.moat.engine.placement;

import static dev.moat.engine.placement.IsolationTier.BWRAP;
import static dev.moat.engine.placement.IsolationTier.MICROVM;
import static dev.moat.engine.placement.IsolationTier.OCI;
import static dev.moat.engine.trust.TrustTier.KNOWN;
import static dev.moat.engine.trust.TrustTier.TRUSTED;
import static dev.moat.engine.trust.TrustTier.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.engine.placement.Placement.Placed;
import dev.moat.engine.placement.Placement.Unschedulable;
import dev.moat.engine.trust.TrustTier;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every rule of {@link PlacementPolicy#place} and of {@link Placed#allows}. */
class PlacementPolicyTest {
  private static final Map<TrustTier, IsolationTier> OCI_FOR_UNTRUSTED = Map.of(TRUSTED, BWRAP, KNOWN, OCI, UNKNOWN, OCI);

  private static PlacementPolicy policy(PoolSpec... pools) {
    return new PlacementPolicy(OCI_FOR_UNTRUSTED, Optional.of(List.of(pools)));
  }

  private static final PoolSpec FAST = new PoolSpec("fast", BWRAP, List.of("linux"));
  private static final PoolSpec ISOLATED = new PoolSpec("isolated", OCI, List.of("linux"), EnumSet.of(KNOWN, UNKNOWN));
  private static final PoolSpec GPU = new PoolSpec("gpu", MICROVM, List.of("linux", "gpu"));

  @Test
  void tiersAreOrderedWeakestFirst() {
    assertThat(BWRAP.atLeast(BWRAP)).isTrue();
    assertThat(OCI.atLeast(BWRAP)).isTrue();
    assertThat(MICROVM.atLeast(OCI)).isTrue();
    assertThat(BWRAP.atLeast(OCI)).isFalse();
    assertThat(OCI.atLeast(MICROVM)).isFalse();
    for (IsolationTier t : IsolationTier.values()) assertThat(IsolationTier.ofWire(t.wire())).isEqualTo(t);
    assertThatThrownBy(() -> IsolationTier.ofWire("vm"))
        .hasMessage("unknown sandbox tier 'vm': use bwrap, oci or microvm");
  }

  @Test
  void placesAJobOnEveryPoolThatServesItsLabelsRunsItsTierAndAdmitsItsTrust() {
    var policy = policy(FAST, ISOLATED, GPU);

    assertThat(policy.place(List.of("linux"), TRUSTED)).isEqualTo(new Placed(BWRAP, Optional.of(List.of("fast", "gpu"))));
    assertThat(policy.place(List.of("linux"), UNKNOWN)).isEqualTo(new Placed(OCI, Optional.of(List.of("isolated", "gpu"))));
    assertThat(policy.place(List.of("gpu"), KNOWN)).isEqualTo(new Placed(OCI, Optional.of(List.of("gpu"))));
    assertThat(policy.place(List.of(), TRUSTED)).isEqualTo(new Placed(BWRAP, Optional.of(List.of("fast", "gpu"))));
  }

  @Test
  void aPoolBelowTheTrustTiersWeakestTierDoesNotAdmitTheJob() {
    var result = policy(FAST).place(List.of("linux"), UNKNOWN);

    assertThat(result).isEqualTo(new Unschedulable("no pool admits this job: policy requires at least oci for "
        + "unknown contributors; pools matching labels [linux]: fast (bwrap)"));
  }

  @Test
  void aPoolThatDoesNotListTheTrustTierDoesNotAdmitTheJobWhateverItsTier() {
    var result = policy(ISOLATED).place(List.of("linux"), TRUSTED);

    assertThat(result).isEqualTo(new Unschedulable("no pool admits this job: policy requires at least bwrap for "
        + "trusted contributors; pools matching labels [linux]: isolated (oci, admits known, unknown only)"));
  }

  @Test
  void aJobWhoseLabelsNoPoolHasIsUnschedulableNamingTheLabels() {
    var result = policy(FAST, ISOLATED).place(List.of("linux", "arm64"), TRUSTED);

    assertThat(result).isEqualTo(new Unschedulable("no pool has the labels [linux, arm64] this job runs on; "
        + "pools: fast [linux], isolated [linux]"));
  }

  @Test
  void aPlacedJobIsAllowedOnlyOnItsPoolsAndOnlyAtItsTierOrStronger() {
    var placed = new Placed(OCI, Optional.of(List.of("isolated")));

    assertThat(placed.allows("isolated", OCI)).isTrue();
    assertThat(placed.allows("isolated", MICROVM)).isTrue();
    assertThat(placed.allows("isolated", BWRAP)).as("a misconfigured agent of the pool").isFalse();
    assertThat(placed.allows("fast", OCI)).as("a pool not admitted").isFalse();
  }

  @Test
  void theDefaultPolicyTakesAnyPoolAtTheTierItsAgentsRunAndNeedsOciForUntrustedWork() {
    var policy = PlacementPolicy.DEFAULT;

    assertThat(policy.place(List.of("linux"), TRUSTED)).isEqualTo(new Placed(BWRAP, Optional.empty()));
    Placement known = policy.place(List.of("linux"), KNOWN);
    Placement unknown = policy.place(List.of(), UNKNOWN);
    assertThat(known).isEqualTo(new Placed(OCI, Optional.empty()));
    assertThat(unknown).isEqualTo(new Placed(OCI, Optional.empty()));
    assertThat(((Placed) unknown).allows("default", BWRAP)).isFalse();
    assertThat(((Placed) unknown).allows("default", OCI)).isTrue();
    assertThat(policy.acceptsPool("anything")).isTrue();
    assertThat(policy.pool("anything")).isEmpty();
  }

  @Test
  void aDeclaringPolicyAcceptsOnlyItsOwnPools() {
    var policy = policy(FAST, ISOLATED);

    assertThat(policy.acceptsPool("fast")).isTrue();
    assertThat(policy.acceptsPool("other")).isFalse();
    assertThat(policy.pool("isolated")).contains(ISOLATED);
  }

  @Test
  void refusesALessTrustedTierWithAWeakerSandboxThanAMoreTrustedOne() {
    assertThatThrownBy(() -> new PlacementPolicy(Map.of(TRUSTED, OCI, KNOWN, BWRAP, UNKNOWN, OCI), Optional.empty()))
        .hasMessage("known contributors may not get a weaker sandbox (bwrap) than trusted contributors (oci)");
    assertThatThrownBy(() -> new PlacementPolicy(Map.of(TRUSTED, BWRAP, KNOWN, OCI), Optional.empty()))
        .hasMessage("no weakest sandbox tier for unknown");
  }

  @Test
  void refusesDuplicatePoolsAndAnEmptyPoolList() {
    assertThatThrownBy(() -> policy(FAST, FAST)).hasMessage("pool fast is declared twice");
    assertThatThrownBy(() -> policy()).hasMessage("a policy that declares pools declares at least one");
    assertThatThrownBy(() -> new PoolSpec("Fast", BWRAP, List.of()))
        .hasMessage("pool name must match [a-z0-9][a-z0-9-]{0,31}");
    assertThatThrownBy(() -> new PoolSpec("fast", BWRAP, List.of(), EnumSet.noneOf(TrustTier.class)))
        .hasMessage("pool fast admits no trust tier");
  }

  @Test
  void describesItselfInOneLineForTheLog() {
    assertThat(policy(FAST, ISOLATED).describe()).isEqualTo("trust trusted>=bwrap known>=oci unknown>=oci; "
        + "pools: fast (bwrap) [linux], isolated (oci, admits known, unknown only) [linux]");
    assertThat(PlacementPolicy.DEFAULT.describe()).isEqualTo("trust trusted>=bwrap known>=oci unknown>=oci; "
        + "pools: any pool, at the tier its agents report");
  }
}
