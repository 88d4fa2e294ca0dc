package dev.moat.sandbox.escape;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.Availability;
import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.BwrapTier;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxNetworks;
import dev.moat.sandbox.SandboxTier;
import dev.moat.sandbox.cgroup.Cgroups;
import dev.moat.sandbox.cgroup.Limits;
import dev.moat.sandbox.disk.WorkspaceVolumes;
import dev.moat.sandbox.image.TestImages;
import dev.moat.sandbox.net.Egress;
import dev.moat.sandbox.net.EgressPolicy;
import dev.moat.sandbox.net.JobNetwork;
import dev.moat.sandbox.oci.OciLimits;
import dev.moat.sandbox.oci.OciNetworks;
import dev.moat.sandbox.oci.OciSettings;
import dev.moat.sandbox.oci.OciTier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The sandbox tiers the escape suite attacks, each set up as a pool running untrusted work would
 * be: {@link #MEMORY} of memory, {@link #PIDS} tasks, one CPU, a workspace volume of
 * {@link #DISK} (made by {@link AttackedJobs}) and, for the network attacks, filtered egress.
 *
 * <p>Thread-safe: availability is computed once per tier under a lock.
 */
enum TierUnderTest {
  BWRAP {
    @Override
    Availability probe(Path scratch) {
      Availability bwrap = BwrapTier.probe(BwrapSettings.defaults());
      return bwrap.available() ? Cgroups.probe() : bwrap;
    }

    @Override
    SandboxTier tier(Path scratch, Optional<JobEgress> egress) {
      BwrapSettings settings = BwrapSettings.defaults().withScratchRoot(scratch)
          .withLimits(new Limits(MEMORY, PIDS, 1000));
      BwrapTier tier = new BwrapTier(settings);
      egress.ifPresent(e -> tier.withEgress(e.egress(), e.policy()));
      return tier;
    }

    @Override
    Optional<JobNetwork> network(Sandbox sandbox) {
      return SandboxNetworks.ofBwrap(sandbox);
    }
  },

  OCI {
    @Override
    Availability probe(Path scratch) {
      try {
        return OciTier.probe(settings(scratch), TestImages.store(), TestImages.bookworm().digest());
      } catch (RuntimeException e) {
        return Availability.no("no " + TestImages.NAME + " test image: " + e.getMessage());
      }
    }

    @Override
    SandboxTier tier(Path scratch, Optional<JobEgress> egress) throws IOException {
      OciTier tier = new OciTier(settings(scratch), TestImages.store(), TestImages.bookworm().digest());
      egress.ifPresent(e -> tier.withEgress(e.egress(), e.policy()));
      return tier;
    }

    @Override
    Optional<JobNetwork> network(Sandbox sandbox) {
      return OciNetworks.of(sandbox);
    }

    private static OciSettings settings(Path scratch) {
      return OciSettings.defaults(scratch, TestImages.ROOTFS)
          .withLimits(new OciLimits(MEMORY, PIDS, 100_000, 100_000, 4096, 64L << 20));
    }
  };

  static final long MEMORY = 128L << 20;
  static final int PIDS = 64;
  static final long DISK = 32L << 20;
  private static final Map<TierUnderTest, Availability> AVAILABLE = new EnumMap<>(TierUnderTest.class);
  private static Availability volumes;

  /** Filtered egress for a tier's sandboxes: where job networks come from, and their policy. */
  record JobEgress(Egress egress, EgressPolicy policy) {}

  /** Whether this tier, with limits, can run here (scratch must be searchable by the job uid). */
  abstract Availability probe(Path scratch);

  /** A tier with the suite's limits, its sandboxes' networks from {@code egress} when given. */
  abstract SandboxTier tier(Path scratch, Optional<JobEgress> egress) throws IOException;

  /** The sandbox's job network (to route into the lab), if it has one beyond loopback. */
  abstract Optional<JobNetwork> network(Sandbox sandbox);

  /**
   * What {@code escape-probe procs} prints as a step of its own: bwrap's pid 1 is its reaper, with
   * the step under it; in oci the step is pid 1. Nothing else, of the host or of earlier steps.
   */
  List<String> stepProcesses() {
    return switch (this) {
      case BWRAP -> List.of("proc 1 bwrap", "proc 2 escape-probe", "procs: 2");
      case OCI -> List.of("proc 1 escape-probe", "procs: 1");
    };
  }

  /** Lower case, as in pool files and test names. */
  String id() {
    return name().toLowerCase();
  }

  /**
   * Skips the calling test, printing the reason, unless the escape probe builds, workspace volumes
   * work and this tier runs sandboxes with limits here.
   */
  void assumeAvailable(Path scratch) throws IOException {
    EscapeProbe.assumeBuildable();
    searchable(scratch);
    Availability availability;
    synchronized (AVAILABLE) {
      if (volumes == null) volumes = WorkspaceVolumes.probe(scratch.resolve("volume-probe"));
      availability = volumes.available() ? AVAILABLE.computeIfAbsent(this, t -> t.probe(scratch)) : volumes;
    }
    if (!availability.available()) {
      System.out.println("skipping escape tests on " + id() + ": " + availability.reason());
    }
    assumeTrue(availability.available(), availability.reason());
  }

  /** Opens {@code dir} to mode 0711, as the job uid must search every parent of its workspace. */
  static Path searchable(Path dir) throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    return dir;
  }
}
