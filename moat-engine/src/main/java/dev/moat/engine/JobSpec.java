package dev.moat.engine;

import dev.moat.common.wire.EnvironmentNames;
import dev.moat.common.wire.ImageNames;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One job of a workflow.
 *
 * @param id the key under {@code jobs:} ({@code [A-Za-z_][A-Za-z0-9_-]*}, at most 64 characters)
 * @param name the display name ({@code name:}, defaults to the id)
 * @param runsOn labels an agent must all serve; empty means any agent
 * @param needs ids of jobs that must succeed first
 * @param env the job's environment, already merged over the workflow's
 * @param timeout wall-time limit for the whole job (default 60 minutes, at most 24 hours)
 * @param steps at least one step
 * @param image the image the job asks to run in ({@code image:}); only a pool that runs it may take
 *     the job. Empty: the pool's own
 * @param environment the environment the job opts into ({@code environment:}): its protection rules
 *     gate the job and its bound scopes are the only secrets the job can get. Empty: none, and no
 *     secrets
 */
public record JobSpec(
    String id,
    String name,
    List<String> runsOn,
    List<String> needs,
    Map<String, String> env,
    Duration timeout,
    List<StepSpec> steps,
    Optional<String> image,
    Optional<String> environment) {
  public JobSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    runsOn = List.copyOf(runsOn);
    needs = List.copyOf(needs);
    env = Map.copyOf(env);
    Objects.requireNonNull(timeout, "timeout");
    steps = List.copyOf(steps);
    if (steps.isEmpty()) throw new IllegalArgumentException("job " + id + " has no steps");
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
    image.ifPresent(ImageNames::check);
    environment.ifPresent(EnvironmentNames::check);
  }

  /** A job without an environment. */
  public JobSpec(String id, String name, List<String> runsOn, List<String> needs, Map<String, String> env,
      Duration timeout, List<StepSpec> steps, Optional<String> image) {
    this(id, name, runsOn, needs, env, timeout, steps, image, Optional.empty());
  }
}
