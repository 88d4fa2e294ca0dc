package dev.moat.sandbox.cgroup;

import dev.moat.sandbox.Availability;
import java.io.IOException;
import java.util.List;

/**
 * This host's cgroup driver: creates one cgroup per job, with {@link Limits}, nested under the
 * agent's own cgroup. Two drivers, chosen at run time by {@link #detect()}: cgroup v2 (a unified
 * hierarchy; most modern hosts) and cgroup v1 (separate memory, pids, cpu and cpuacct hierarchies,
 * including hybrid hosts whose unified mount lacks those controllers).
 *
 * <p>Requires root (or write access to the agent's cgroups). Thread-safe: jobs may be created
 * concurrently.
 */
public sealed interface Cgroups permits CgroupV1, CgroupV2 {
  /**
   * The driver for the cgroups this process sees in {@code /proc/self/cgroup} and
   * {@code /proc/self/mounts}.
   *
   * @throws IOException naming what is missing when neither v1 nor v2 is usable
   */
  static Cgroups detect() throws IOException {
    return CgroupHost.current().driver();
  }

  /** {@code "v1"} or {@code "v2"}. */
  String version();

  /**
   * Creates the cgroup(s) of job {@code id}, named {@code moat-<id>}, and applies {@code limits}.
   * Nothing runs in them until a process starts through {@link JobCgroup#join()}. On failure,
   * whatever was created is removed again.
   *
   * @param id letters, digits and '-', at most 40; unique among the jobs running on this host
   */
  JobCgroup create(String id, Limits limits) throws IOException;

  /**
   * Kills and removes every job cgroup ({@code moat-*}) that an earlier agent left behind when it
   * crashed; call once at agent start, before any job. Assumes one agent per host: on v1 the pids
   * and cpu hierarchies are shared host-wide, so a second agent's live jobs would be swept too.
   *
   * @return the names of the cgroups removed
   */
  List<String> removeLeftovers() throws IOException;

  /**
   * As {@link #removeLeftovers()}, but only the job cgroups whose names start with {@code prefix}
   * ({@code moat-} and more): for a tier that names its job cgroups apart, and for tests.
   */
  List<String> removeLeftovers(String prefix) throws IOException;

  /** {@code name}, if it can name one cgroup directory (letters, digits, '.', '_', '-'; not "." or ".."). */
  static String requireChildName(String name) {
    if (!name.matches("[A-Za-z0-9._-]{1,128}") || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("bad cgroup name: " + name);
    }
    return name;
  }

  /** {@code prefix}, if it names job cgroups only: {@code moat-} and letters, digits or '-'. */
  static String requireJobPrefix(String prefix) {
    if (!prefix.matches("moat-[A-Za-z0-9-]*")) throw new IllegalArgumentException("bad job cgroup prefix: " + prefix);
    return prefix;
  }

  /**
   * Whether job cgroups can be created here: detects the driver, then creates and removes a probe
   * cgroup. Never throws; the reason names the driver or what failed.
   */
  static Availability probe() {
    try {
      Cgroups cgroups = detect();
      try (JobCgroup _ = cgroups.create("probe-" + ProcessHandle.current().pid(), new Limits(16L << 20, 8, 100))) {
        return Availability.yes("cgroup " + cgroups.version() + " job cgroups work");
      }
    } catch (IOException | RuntimeException e) {
      return Availability.no("cannot create job cgroups: " + e.getMessage());
    }
  }

  /** The cgroup name for job {@code id}. */
  static String nameOf(String id) {
    if (!id.matches("[A-Za-z0-9-]{1,40}")) throw new IllegalArgumentException("bad job id: " + id);
    return "moat-" + id;
  }
}
