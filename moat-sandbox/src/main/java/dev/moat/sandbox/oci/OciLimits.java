package dev.moat.sandbox.oci;

import dev.moat.sandbox.cgroup.Limits;

/**
 * The caps of an oci sandbox: memory, pids and CPU on its job cgroup (all of its steps together),
 * open files and {@code /tmp} per step's container.
 *
 * @param memoryBytes memory limit; swap is capped at the same total, so no swap
 * @param pids maximum number of tasks (processes and threads)
 * @param cpuQuotaMicros CFS quota per {@code cpuPeriodMicros} (e.g. 100000/100000 = one core)
 * @param cpuPeriodMicros CFS period
 * @param openFiles RLIMIT_NOFILE, soft and hard; must not exceed the agent's own hard limit
 * @param tmpBytes size of the tmpfs at {@code /tmp}
 */
public record OciLimits(long memoryBytes, long pids, long cpuQuotaMicros, long cpuPeriodMicros,
    long openFiles, long tmpBytes) {
  public OciLimits {
    if (memoryBytes < (4L << 20)) throw new IllegalArgumentException("memory limit too small: " + memoryBytes);
    if (pids < 1) throw new IllegalArgumentException("pids limit must be positive: " + pids);
    if (cpuPeriodMicros < 1000 || cpuPeriodMicros > 1_000_000) throw new IllegalArgumentException("bad cpu period: " + cpuPeriodMicros);
    if (cpuQuotaMicros < 1000) throw new IllegalArgumentException("bad cpu quota: " + cpuQuotaMicros);
    if (openFiles < 16) throw new IllegalArgumentException("open files limit too small: " + openFiles);
    if (tmpBytes < (1L << 20)) throw new IllegalArgumentException("tmp size too small: " + tmpBytes);
  }

  /** The memory, pids and CPU caps as the job cgroup's {@link Limits}. */
  public Limits jobLimits() {
    return new Limits(memoryBytes, Math.toIntExact(pids), Math.toIntExact(cpuQuotaMicros * 1000 / cpuPeriodMicros));
  }

  /** 2 GiB, 512 tasks, two cores, 4096 open files, 256 MiB /tmp. */
  public static OciLimits defaults() {
    return new OciLimits(2L << 30, 512, 200_000, 100_000, 4096, 256L << 20);
  }
}
