package dev.moat.sandbox;

/**
 * How one command in a sandbox ended.
 *
 * @param outcome why it ended
 * @param exitCode the process's exit status (128+signal when killed by a signal), or -1 when it was
 *     killed by the sandbox
 */
public record ExecResult(Outcome outcome, int exitCode) {
  public enum Outcome {
    /** The command exited by itself; see exitCode. */
    EXITED,
    /** The deadline passed and the sandbox killed it. */
    TIMED_OUT,
    /** {@link Sandbox#kill()} ended it. */
    KILLED
  }

  public boolean succeeded() {
    return outcome == Outcome.EXITED && exitCode == 0;
  }
}
