package dev.moat.common.wire;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One job handed to an agent. It must be acknowledged ({@code start}) before its ack deadline, or
 * the server queues it again. {@code image} is the image the workflow asked for ({@code image:}),
 * or null for the pool's own.
 *
 * <p>{@code jobToken} is the job's credential (DESIGN I9): minted when the job is claimed, valid only
 * while the job is dispatched or running, and the agent's only key to the job's ctx routes (secrets,
 * outputs, ID tokens). The agent keeps it in memory and never hands it to the sandbox. It is null in
 * JSON from servers before job credentials; {@link #toString()} never shows it.
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
    String image,
    String jobToken) {
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

  /** An assignment without a job credential, as servers before job credentials sent it. */
  public JobAssignment(long jobId, long runId, String repo, String ref, String sha, String workflow, String job,
      Map<String, String> env, long timeoutSeconds, List<Step> steps, String image) {
    this(jobId, runId, repo, ref, sha, workflow, job, env, timeoutSeconds, steps, image, null);
  }

  /** Like the record's own, but the job credential is redacted: assignments get logged. */
  @Override
  public String toString() {
    return "JobAssignment[jobId=" + jobId + ", runId=" + runId + ", repo=" + repo + ", ref=" + ref + ", sha=" + sha
        + ", workflow=" + workflow + ", job=" + job + ", env=" + env + ", timeoutSeconds=" + timeoutSeconds
        + ", steps=" + steps + ", image=" + image + ", jobToken=" + (jobToken == null ? "null" : "***") + "]";
  }

  /**
   * One shell step.
   *
   * @param secrets the names of the secrets that this step alone gets in its environment (I7);
   *     empty (also when absent from the JSON) for none
   */
  public record Step(String name, String run, List<String> secrets) {
    public Step {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(run, "run");
      secrets = secrets == null ? List.of() : List.copyOf(secrets);
    }

    public Step(String name, String run) {
      this(name, run, List.of());
    }
  }
}
