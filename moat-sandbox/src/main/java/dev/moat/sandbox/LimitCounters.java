package dev.moat.sandbox;

import dev.moat.sandbox.ExecResult.LimitHit;
import dev.moat.sandbox.cgroup.CgroupStats;
import java.util.EnumSet;
import java.util.Set;

/**
 * The counters of a job's cgroup that say a limit was enforced, taken before and after a command
 * so that the command's result can say which limits it hit. Immutable.
 *
 * @param oomKills processes the OOM killer killed so far
 * @param pidsMaxHits forks refused at the pids limit so far
 */
public record LimitCounters(long oomKills, long pidsMaxHits) {
  /** What a new cgroup counts. */
  public static final LimitCounters ZERO = new LimitCounters(0, 0);

  public static LimitCounters of(CgroupStats stats) {
    return new LimitCounters(stats.oomKills(), stats.pidsMaxHits());
  }

  /** The limits enforced between {@code before} and this reading. */
  public Set<LimitHit> since(LimitCounters before) {
    Set<LimitHit> hits = EnumSet.noneOf(LimitHit.class);
    if (oomKills > before.oomKills) hits.add(LimitHit.MEMORY);
    if (pidsMaxHits > before.pidsMaxHits) hits.add(LimitHit.PIDS);
    return hits;
  }
}
