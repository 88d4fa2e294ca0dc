package dev.moat.sandbox.cgroup;

/**
 * The resource caps of one job (invariant I3). Immutable and valid by construction.
 *
 * @param memoryBytes most memory the job's processes may use together, page cache included, with
 *     no swap on top; at least 4 MiB
 * @param pidsMax most processes and threads alive at once in the job; at least 1
 * @param cpuMillicores CPU time per wall second, in thousandths of a CPU (250 = a quarter of one
 *     CPU, 2000 = two CPUs); at least 10, because the kernel's smallest quota is 1 ms per 100 ms
 */
public record Limits(long memoryBytes, int pidsMax, int cpuMillicores) {
  /** The CFS period the CPU quota is measured over, in microseconds. */
  static final long CPU_PERIOD_MICROS = 100_000;
  private static final long MIN_MEMORY = 4L << 20;
  private static final int PID_MAX_LIMIT = 4 << 20;

  public Limits {
    if (memoryBytes < MIN_MEMORY) throw new IllegalArgumentException("memory below 4 MiB: " + memoryBytes);
    if (pidsMax < 1 || pidsMax > PID_MAX_LIMIT) throw new IllegalArgumentException("bad pids max: " + pidsMax);
    if (cpuMillicores < 10 || cpuMillicores > 1_000_000) {
      throw new IllegalArgumentException("bad cpu millicores: " + cpuMillicores);
    }
  }

  /** The CPU quota per {@link #CPU_PERIOD_MICROS}, in microseconds. */
  long cpuQuotaMicros() {
    return cpuMillicores * CPU_PERIOD_MICROS / 1000;
  }
}
