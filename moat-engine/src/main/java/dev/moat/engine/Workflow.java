package dev.moat.engine;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A parsed, validated workflow file: what {@code .moat/workflows/NAME.yml} asks for, as data.
 *
 * <p>Invariants (checked by {@link WorkflowParser}, re-checked here): job ids are unique, every
 * {@code needs} entry names a job of this workflow, and the needs graph has no cycle. Jobs keep the
 * order of the file. Immutable and thread-safe.
 *
 * @param file path of the file inside the repository, e.g. {@code .moat/workflows/ci.yml}
 * @param name the workflow's {@code name}, or the file's base name when absent
 * @param on the triggers
 * @param env workflow-level environment, inherited by every job (a job's own {@code env} wins)
 * @param jobs the jobs in file order
 */
public record Workflow(String file, String name, Triggers on, Map<String, String> env, List<JobSpec> jobs) {
  public Workflow {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(on, "on");
    env = Map.copyOf(env);
    jobs = List.copyOf(jobs);
    if (jobs.isEmpty()) throw new IllegalArgumentException("a workflow needs at least one job");
  }
}
