package dev.moat.agent;

import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.BwrapTier;
import dev.moat.sandbox.SandboxTier;
import dev.moat.sandbox.cgroup.Limits;
import dev.moat.sandbox.image.ImageStore;
import dev.moat.sandbox.net.Egress;
import dev.moat.sandbox.net.EgressSettings;
import dev.moat.sandbox.oci.OciLimits;
import dev.moat.sandbox.oci.OciRuntimes;
import dev.moat.sandbox.oci.OciSettings;
import dev.moat.sandbox.oci.OciTier;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the sandbox tier that a pool's settings ask for. The oci pool's image name is pinned to
 * its digest here, once, at agent start: a later rebuild of the name does not change what a
 * running agent executes. The oci runtime is chosen here too: crun only where it runs a real probe
 * container, otherwise runc ({@link OciRuntimes}).
 */
public final class PoolTier {
  private static final Logger LOG = LoggerFactory.getLogger(PoolTier.class);

  private PoolTier() {}

  /** Gives the agent's {@link Egress}; called once, and only for a pool with {@code egress:}. */
  @FunctionalInterface
  public interface EgressStart {
    Egress start() throws IOException;
  }

  /**
   * With Moat's default egress table, prefix and address pool ({@link EgressSettings#defaults()}).
   *
   * @param images the agent's image store (for oci pools)
   * @param scratchRoot where sandboxes keep their private files; searchable by the job uid
   */
  public static SandboxTier create(PoolSettings pool, Path images, Path scratchRoot) throws IOException {
    return create(pool, images, scratchRoot, PoolTier::startEgress);
  }

  /**
   * @param egress gives the Egress whose job networks the pool's sandboxes join (tests pass one
   *     with names and an address pool of their own, and close it)
   */
  public static SandboxTier create(PoolSettings pool, Path images, Path scratchRoot, EgressStart egress)
      throws IOException {
    return switch (pool.tier()) {
      case BWRAP -> {
        var tier = new BwrapTier(BwrapSettings.defaults().withScratchRoot(scratchRoot).withLimits(pool.limits()));
        if (pool.egress().isPresent()) tier.withEgress(egress.start(), pool.egress().get());
        yield tier;
      }
      case OCI -> {
        var store = new ImageStore(images);
        String digest = store.resolve(pool.image().orElseThrow());
        var defaults = OciSettings.defaults(scratchRoot, images.resolveSibling("rootfs"));
        var runtime = OciRuntimes.choose(defaults.withLimits(ociLimits(pool.limits(), defaults.limits())), store, digest);
        LOG.atInfo().addKeyValue("image_digest", digest).addKeyValue("runtime", runtime.settings().runc())
            .log("oci runtime chosen: " + runtime.reason());
        var tier = new OciTier(runtime.settings(), store, digest);
        if (pool.egress().isPresent()) tier.withEgress(egress.start(), pool.egress().get());
        yield tier;
      }
    };
  }

  /** One table for the agent's lifetime; a crashed agent's leftovers go first. */
  private static Egress startEgress() throws IOException {
    Egress egress = Egress.start(EgressSettings.defaults());
    egress.removeLeftovers();
    return egress;
  }

  static OciLimits ociLimits(Limits limits, OciLimits defaults) {
    return new OciLimits(limits.memoryBytes(), limits.pidsMax(), limits.cpuMillicores() * 100L, 100_000,
        defaults.openFiles(), defaults.tmpBytes());
  }
}
