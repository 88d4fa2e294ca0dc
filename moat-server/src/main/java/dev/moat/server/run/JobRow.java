package dev.moat.server.run;

import dev.moat.engine.JobState;
import java.util.List;

/**
 * One job as stored.
 *
 * @param egressDenials connections the job's egress policy refused, as its agent reported them
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
    long egressDenials) {
  public JobRow {
    needs = List.copyOf(needs);
    labels = List.copyOf(labels);
  }
}
