package dev.moat.common.wire;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One job handed to an agent. It must be acknowledged ({@code start}) before its ack deadline, or
 * the server queues it again. {@code image} is the image the workflow asked for ({@code image:}),
 * or null for the pool's own.
 */
public record JobAssignment(
    long jobId,
    long runId,
    String repo,
    String ref,
    String sha,
    String workflow,
    String job,
    Map<String, String> env,
    long timeoutSeconds,
    List<Step> steps,
    String image) {
  public JobAssignment {
    Objects.requireNonNull(repo, "repo");
    Objects.requireNonNull(ref, "ref");
    Objects.requireNonNull(sha, "sha");
    Objects.requireNonNull(workflow, "workflow");
    Objects.requireNonNull(job, "job");
    env = Map.copyOf(env);
    steps = List.copyOf(steps);
    if (timeoutSeconds <= 0) throw new IllegalArgumentException("timeoutSeconds must be positive");
    if (steps.isEmpty()) throw new IllegalArgumentException("a job has steps");
    if (image != null) ImageNames.check(image);
  }

  /** One shell step. */
  public record Step(String name, String run) {
    public Step {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(run, "run");
    }
  }
}
