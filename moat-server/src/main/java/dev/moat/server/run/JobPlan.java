package dev.moat.server.run;

import dev.moat.common.wire.JobAssignment;
import java.util.List;
import java.util.Map;

/** What a job executes, stored as JSON with the job: its environment and its steps. */
public record JobPlan(Map<String, String> env, List<JobAssignment.Step> steps) {
  public JobPlan {
    env = Map.copyOf(env);
    steps = List.copyOf(steps);
  }
}
