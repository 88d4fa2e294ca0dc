package dev.moat.server.run;

import dev.moat.common.wire.JobAssignment;
import java.util.List;
import java.util.Map;

/**
 * What a job executes, stored as JSON with the job: its environment, its steps, and the image it
 * asked for (null: the pool's own; absent in plans stored before images existed).
 */
public record JobPlan(Map<String, String> env, List<JobAssignment.Step> steps, String image) {
  public JobPlan {
    env = Map.copyOf(env);
    steps = List.copyOf(steps);
  }
}
