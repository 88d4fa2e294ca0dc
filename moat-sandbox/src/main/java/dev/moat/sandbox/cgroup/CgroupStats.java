package dev.moat.sandbox.cgroup;

import java.time.Duration;
import java.util.Objects;

/**
 * What a job's cgroup counted, read after (or during) the job. Counters never decrease while the
 * cgroup exists. Immutable.
 *
 * @param oomKills processes the kernel's OOM killer killed in the job (v1 {@code memory.oom_control
 *     oom_kill}, v2 {@code memory.events oom_kill})
 * @param memoryPeakBytes the most memory the job used at once (v1 {@code memory.max_usage_in_bytes},
 *     v2 {@code memory.peak}, 0 on kernels before 5.19). Not v1's {@code memory.failcnt}: on this
 *     machine's 6.18 kernel it stayed 0 through an OOM kill
 * @param pidsMaxHits forks refused because the job was at its pids limit ({@code pids.events max})
 * @param cpuUsage CPU time the job used, summed over CPUs
 * @param throttledPeriods CFS periods in which the job ran out of quota ({@code nr_throttled})
 */
public record CgroupStats(
    long oomKills, long memoryPeakBytes, long pidsMaxHits, Duration cpuUsage, long throttledPeriods) {
  public CgroupStats {
    if (oomKills < 0 || memoryPeakBytes < 0 || pidsMaxHits < 0 || throttledPeriods < 0) {
      throw new IllegalArgumentException("negative counter");
    }
    Objects.requireNonNull(cpuUsage, "cpuUsage");
  }

  /** Whether the job ran out of memory: the reason to show the user for an exit by SIGKILL. */
  public boolean outOfMemory() {
    return oomKills > 0;
  }
}
