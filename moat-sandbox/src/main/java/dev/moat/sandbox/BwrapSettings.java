package dev.moat.sandbox;

import dev.moat.sandbox.cgroup.Limits;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How the {@link BwrapTier} runs jobs on this host.
 *
 * <p>When the agent runs as root, jobs run as {@code uid:gid} (by default {@value #DEFAULT_JOB_ID}),
 * switched to by {@code setpriv} before bwrap starts: running bwrap as root with host paths bound
 * in is not isolation (root's DAC checks still pass). When the agent is not root, jobs run as the
 * agent's own uid and gid, and {@link BwrapTier} refuses any other value.
 *
 * @param uid the host uid that job processes run as; never 0
 * @param gid the host gid that job processes run as; never 0
 * @param scratchRoot where each sandbox gets a private root-owned directory (its generated
 *     {@code /etc/passwd}, {@code /etc/group}, {@code /etc/hosts} and output FIFO); must be
 *     traversable by {@code uid}
 * @param limits the caps of each job, applied through one cgroup per sandbox; empty only for
 *     development without root, where jobs run unbounded. With limits, {@link BwrapTier} refuses to
 *     start when job cgroups can't be made: a job never runs without the limits it was given
 */
public record BwrapSettings(int uid, int gid, Path scratchRoot, Optional<Limits> limits) {
  /** The uid and gid jobs run as when the agent is root. Unused by Debian's adduser ranges. */
  public static final int DEFAULT_JOB_ID = 65500;
  /** What a job gets unless its pool says otherwise: 2 GiB, 512 tasks, two CPUs. */
  public static final Limits DEFAULT_LIMITS = new Limits(2L << 30, 512, 2000);

  public BwrapSettings {
    if (uid <= 0) throw new IllegalArgumentException("jobs must not run as root or a negative uid: " + uid);
    if (gid <= 0) throw new IllegalArgumentException("jobs must not run as gid 0 or a negative gid: " + gid);
    Objects.requireNonNull(scratchRoot, "scratchRoot");
    if (!scratchRoot.isAbsolute()) throw new IllegalArgumentException("scratchRoot must be absolute: " + scratchRoot);
    Objects.requireNonNull(limits, "limits");
  }

  /** The same settings with sandbox scratch directories under {@code root}. */
  public BwrapSettings withScratchRoot(Path root) {
    return new BwrapSettings(uid, gid, root, limits);
  }

  /** Settings with {@code limits}. */
  public BwrapSettings withLimits(Limits limits) {
    return new BwrapSettings(uid, gid, scratchRoot, Optional.of(limits));
  }

  /**
   * Settings for this process: uid/gid {@value #DEFAULT_JOB_ID} and {@link #DEFAULT_LIMITS} when
   * running as root, otherwise the process's own uid and gid and no limits (only root can make
   * cgroups); scratch directories under {@code java.io.tmpdir}.
   */
  public static BwrapSettings defaults() {
    HostUser me = HostUser.current();
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
    return me.isRoot()
        ? new BwrapSettings(DEFAULT_JOB_ID, DEFAULT_JOB_ID, tmp, Optional.of(DEFAULT_LIMITS))
        : new BwrapSettings(me.uid(), me.gid(), tmp, Optional.empty());
  }
}
