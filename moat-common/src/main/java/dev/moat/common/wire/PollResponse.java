package dev.moat.common.wire;

import java.util.List;

/**
 * What the server has for the agent: new assignments, and jobs to stop now (cancelled, or no longer
 * the agent's because its lease was lost).
 */
public record PollResponse(List<JobAssignment> assignments, List<Long> stop) {
  public PollResponse {
    assignments = List.copyOf(assignments);
    stop = List.copyOf(stop);
  }

  public static PollResponse empty() {
    return new PollResponse(List.of(), List.of());
  }
}
