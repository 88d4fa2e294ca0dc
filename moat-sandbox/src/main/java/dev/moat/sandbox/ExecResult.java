package dev.moat.sandbox;

import java.util.Objects;
import java.util.Set;

/**
 * How one command in a sandbox ended.
 *
 * @param outcome why it ended
 * @param exitCode the process's exit status (128+signal when killed by a signal), or -1 when it was
 *     killed by the sandbox
 * @param limitsHit the job's limits that the kernel enforced during this command (a process
 *     OOM-killed, a fork refused), so that an exit by SIGKILL can be told apart from a kill
 */
public record ExecResult(Outcome outcome, int exitCode, Set<LimitHit> limitsHit) {
  public enum Outcome {
    /** The command exited by itself; see exitCode. */
    EXITED,
    /** The deadline passed and the sandbox killed it. */
    TIMED_OUT,
    /** {@link Sandbox#kill()} ended it. */
    KILLED
  }

  /** A limit of the job that the kernel enforced. */
  public enum LimitHit {
    /** The OOM killer killed a process of the job: it used all of its memory. */
    MEMORY,
    /** A fork or thread was refused: the job was at its process limit. */
    PIDS
  }

  public ExecResult {
    Objects.requireNonNull(outcome, "outcome");
    limitsHit = Set.copyOf(limitsHit);
  }

  /** A result during which no limit was hit. */
  public ExecResult(Outcome outcome, int exitCode) {
    this(outcome, exitCode, Set.of());
  }

  public boolean succeeded() {
    return outcome == Outcome.EXITED && exitCode == 0;
  }

  /** The same result, noting that {@code hits} were enforced during it. */
  public ExecResult withLimitsHit(Set<LimitHit> hits) {
    return new ExecResult(outcome, exitCode, hits);
  }
}
