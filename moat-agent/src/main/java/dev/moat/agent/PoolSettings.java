package dev.moat.agent;

import dev.moat.common.wire.ImageNames;
import dev.moat.sandbox.cgroup.Limits;
import dev.moat.sandbox.net.EgressPolicy;
import java.util.Objects;
import java.util.Optional;

/**
 * What the agent's pool gives every job: the sandbox tier, the image (oci), the cgroup limits and
 * the workspace disk cap. Read from the agent's pool file ({@link PoolFile}); a workflow reaches a
 * pool through its {@code runs-on} labels, and its {@code image:} must be the pool's. Immutable.
 *
 * @param tier the sandbox tier
 * @param image the image name, required for {@link Tier#OCI} and refused for {@link Tier#BWRAP}
 * @param limits memory, pids and CPU per job
 * @param diskBytes the workspace cap per job (a loop-mounted filesystem of this size), or empty for
 *     a plain directory
 * @param egress the network each job gets: empty for an empty namespace per sandbox or step (loopback only,
 *     no host resources), otherwise a per-job namespace with this policy, which every step (bwrap
 *     sandbox or oci container) joins
 */
public record PoolSettings(Tier tier, Optional<String> image, Limits limits, Optional<Long> diskBytes,
    Optional<EgressPolicy> egress) {
  /** The sandbox tiers an agent can run. */
  public enum Tier {
    BWRAP,
    OCI;

    static Tier of(String name) {
      for (Tier t : values()) {
        if (t.name().equalsIgnoreCase(name)) return t;
      }
      throw new IllegalArgumentException("unknown tier '" + name + "': use bwrap or oci");
    }
  }

  public static final long MIN_DISK = 8L << 20;

  public PoolSettings {
    Objects.requireNonNull(tier, "tier");
    Objects.requireNonNull(limits, "limits");
    image.ifPresent(ImageNames::check);
    if (tier == Tier.OCI && image.isEmpty()) throw new IllegalArgumentException("an oci pool must name its image");
    if (tier == Tier.BWRAP && image.isPresent()) {
      throw new IllegalArgumentException("a bwrap pool runs over the host's /usr and can't name an image");
    }
    Objects.requireNonNull(egress, "egress");
    diskBytes.ifPresent(d -> {
      if (d < MIN_DISK || d % 4096 != 0) throw new IllegalArgumentException("disk must be at least 8MiB and a multiple of 4KiB");
    });
  }

  /** A bwrap pool with the default limits and no disk cap. */
  public static PoolSettings defaults() {
    return new PoolSettings(Tier.BWRAP, Optional.empty(), dev.moat.sandbox.BwrapSettings.DEFAULT_LIMITS, Optional.empty(), Optional.empty());
  }

  /** A pool without a per-job network namespace. */
  public PoolSettings(Tier tier, Optional<String> image, Limits limits, Optional<Long> diskBytes) {
    this(tier, image, limits, diskBytes, Optional.empty());
  }
}
