package dev.moat.sandbox.oci;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How the {@link OciTier} runs containers on this host.
 *
 * @param uid the uid container processes run as; never 0 (default 65500, as the bwrap tier)
 * @param gid their gid; never 0
 * @param runc the OCI runtime binary: runc, or crun where the host can run it ({@link OciRuntimes});
 *     both take the same command line
 * @param runcRoot the runtime's state directory ({@code --root}); Moat's own, so that {@code list}
 *     with it shows only Moat's containers and leftovers after a crash are easy to find
 * @param scratchRoot where each sandbox gets its bundle directory
 * @param rootfsRoot where unpacked images are cached, one read-only tree per digest
 * @param limits the caps of each sandbox: memory, pids and CPU on its job cgroup, shared by all of
 *     its steps; open files and {@code /tmp} per container
 * @param cgroupPrefix names the tier's job cgroups {@code moat-<prefix>-<sandbox>-<hex>}, directly
 *     below the agent's own cgroup like the bwrap tier's, so that the tier's crash sweep takes only
 *     its own (1–8 lowercase letters and digits; default {@value #DEFAULT_CGROUP_PREFIX})
 */
public record OciSettings(int uid, int gid, Path runc, Path runcRoot, Path scratchRoot, Path rootfsRoot,
    OciLimits limits, String cgroupPrefix) {
  public static final int DEFAULT_JOB_ID = 65500;
  public static final String DEFAULT_CGROUP_PREFIX = "oci";

  public OciSettings {
    if (uid <= 0 || gid <= 0) throw new IllegalArgumentException("containers never run as root: " + uid + ":" + gid);
    for (Path p : new Path[] {runc, runcRoot, scratchRoot, rootfsRoot}) {
      Objects.requireNonNull(p, "path");
      if (!p.isAbsolute()) throw new IllegalArgumentException("path must be absolute: " + p);
    }
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(cgroupPrefix, "cgroupPrefix");
    if (!cgroupPrefix.matches("[a-z0-9]{1,8}")) {
      throw new IllegalArgumentException("cgroupPrefix must be 1-8 lowercase letters and digits: " + cgroupPrefix);
    }
  }

  /** Settings with the default cgroup prefix. */
  public OciSettings(int uid, int gid, Path runc, Path runcRoot, Path scratchRoot, Path rootfsRoot, OciLimits limits) {
    this(uid, gid, runc, runcRoot, scratchRoot, rootfsRoot, limits, DEFAULT_CGROUP_PREFIX);
  }

  /** These settings with containers' runc state in {@code root} (absolute). */
  public OciSettings withRuncRoot(Path root) {
    return new OciSettings(uid, gid, runc, root, scratchRoot, rootfsRoot, limits, cgroupPrefix);
  }

  /** These settings with job cgroups named {@code moat-<prefix>-...}. */
  public OciSettings withCgroupPrefix(String prefix) {
    return new OciSettings(uid, gid, runc, runcRoot, scratchRoot, rootfsRoot, limits, prefix);
  }

  /** What the names of this tier's job cgroups start with: {@code moat-<cgroupPrefix>-}. */
  public String jobCgroupPrefix() {
    return "moat-" + cgroupPrefix + "-";
  }

  /** These settings with {@code runtime}, whose state goes in {@code stateRoot}. */
  public OciSettings withRuntime(Path runtime, Path stateRoot) {
    return new OciSettings(uid, gid, runtime, stateRoot, scratchRoot, rootfsRoot, limits, cgroupPrefix);
  }

  /** These settings with other caps per container. */
  public OciSettings withLimits(OciLimits newLimits) {
    return new OciSettings(uid, gid, runc, runcRoot, scratchRoot, rootfsRoot, newLimits, cgroupPrefix);
  }

  /** uid/gid 65500, {@code /usr/sbin/runc}, state in {@code /run/moat/runc}, the given directories. */
  public static OciSettings defaults(Path scratchRoot, Path rootfsRoot) {
    return new OciSettings(DEFAULT_JOB_ID, DEFAULT_JOB_ID, Path.of("/usr/sbin/runc"), Path.of("/run/moat/runc"),
        scratchRoot.toAbsolutePath(), rootfsRoot.toAbsolutePath(), OciLimits.defaults());
  }
}
