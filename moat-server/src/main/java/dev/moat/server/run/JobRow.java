package dev.moat.server.run;

import dev.moat.engine.JobState;
import dev.moat.engine.placement.IsolationTier;
import dev.moat.engine.placement.Placement;
import java.util.List;
import java.util.Optional;

/**
 * One job as stored.
 *
 * @param egressDenials connections the job's egress policy refused, as its agent reported them
 * @param atLeast the weakest sandbox tier the job may run on, from its run's trust tier
 * @param pools the pools whose agents may take it; empty: any pool (the default policy); an empty
 *     list: none (an unschedulable job)
 */
public record JobRow(
    long id,
    long runId,
    String key,
    String name,
    JobState state,
    List<String> needs,
    List<String> labels,
    JobPlan plan,
    long timeoutMs,
    String agentId,
    Integer exitCode,
    String reason,
    Long startedAt,
    Long finishedAt,
    long egressDenials,
    IsolationTier atLeast,
    Optional<List<String>> pools) {
  public JobRow {
    needs = List.copyOf(needs);
    labels = List.copyOf(labels);
    pools = pools.map(List::copyOf);
  }

  /** Whether an agent of {@code pool} whose sandboxes run {@code tier} may take this job. */
  public boolean mayRunOn(String pool, IsolationTier tier) {
    return Placement.allows(atLeast, pools, pool, tier);
  }
}
