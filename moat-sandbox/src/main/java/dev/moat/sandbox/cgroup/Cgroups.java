package dev.moat.sandbox.cgroup;

import java.io.IOException;

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

  /** The cgroup name for job {@code id}. */
  static String nameOf(String id) {
    if (!id.matches("[A-Za-z0-9-]{1,40}")) throw new IllegalArgumentException("bad job id: " + id);
    return "moat-" + id;
  }
}
