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
 * @param limits the caps of every container
 * @param cgroupParent the cgroup, relative to the agent's own in every hierarchy, under which each
 *     container gets its cgroup; the crash sweep clears it, so it is the tier's alone (default
 *     {@value #DEFAULT_CGROUP_PARENT}; never starting with {@code moat-}, which the bwrap tier's
 *     sweep takes for a job cgroup)
 */
public record OciSettings(int uid, int gid, Path runc, Path runcRoot, Path scratchRoot, Path rootfsRoot,
    OciLimits limits, String cgroupParent) {
  public static final int DEFAULT_JOB_ID = 65500;
  public static final String DEFAULT_CGROUP_PARENT = "moat";

  public OciSettings {
    if (uid <= 0 || gid <= 0) throw new IllegalArgumentException("containers never run as root: " + uid + ":" + gid);
    for (Path p : new Path[] {runc, runcRoot, scratchRoot, rootfsRoot}) {
      Objects.requireNonNull(p, "path");
      if (!p.isAbsolute()) throw new IllegalArgumentException("path must be absolute: " + p);
    }
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(cgroupParent, "cgroupParent");
    if (!cgroupParent.matches("[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*") || cgroupParent.startsWith("moat-")) {
      throw new IllegalArgumentException("cgroupParent must be one plain name not starting with moat-: " + cgroupParent);
    }
  }

  /** Settings with the default cgroup parent. */
  public OciSettings(int uid, int gid, Path runc, Path runcRoot, Path scratchRoot, Path rootfsRoot, OciLimits limits) {
    this(uid, gid, runc, runcRoot, scratchRoot, rootfsRoot, limits, DEFAULT_CGROUP_PARENT);
  }

  /** These settings with containers' runc state in {@code root} (absolute). */
  public OciSettings withRuncRoot(Path root) {
    return new OciSettings(uid, gid, runc, root, scratchRoot, rootfsRoot, limits, cgroupParent);
  }

  /** These settings with containers' cgroups under {@code parent}. */
  public OciSettings withCgroupParent(String parent) {
    return new OciSettings(uid, gid, runc, runcRoot, scratchRoot, rootfsRoot, limits, parent);
  }

  /** These settings with {@code runtime}, whose state goes in {@code stateRoot}. */
  public OciSettings withRuntime(Path runtime, Path stateRoot) {
    return new OciSettings(uid, gid, runtime, stateRoot, scratchRoot, rootfsRoot, limits, cgroupParent);
  }

  /** These settings with other caps per container. */
  public OciSettings withLimits(OciLimits newLimits) {
    return new OciSettings(uid, gid, runc, runcRoot, scratchRoot, rootfsRoot, newLimits, cgroupParent);
  }

  /** uid/gid 65500, {@code /usr/sbin/runc}, state in {@code /run/moat/runc}, the given directories. */
  public static OciSettings defaults(Path scratchRoot, Path rootfsRoot) {
    return new OciSettings(DEFAULT_JOB_ID, DEFAULT_JOB_ID, Path.of("/usr/sbin/runc"), Path.of("/run/moat/runc"),
        scratchRoot.toAbsolutePath(), rootfsRoot.toAbsolutePath(), OciLimits.defaults());
  }
}
