package dev.moat.common.wire;

import java.util.Objects;

/**
 * How a job ended on the agent.
 *
 * @param state {@code succeeded}, {@code failed}, {@code timed_out} or {@code cancelled}
 * @param exitCode the failing (or last) step's exit code; null when no step ran to an exit
 * @param message a short reason for people, e.g. "step 2 (test) exited with 1"
 * @param egressDenials connections out of the job's sandbox that its pool's egress policy refused
 *     (DESIGN I4); 0 when the sandbox had no network beyond loopback, and when an older agent
 *     leaves the field out
 */
public record JobResult(String state, Integer exitCode, String message, long egressDenials) {
  public JobResult {
    Objects.requireNonNull(state, "state");
    if (!state.matches("succeeded|failed|timed_out|cancelled")) {
      throw new IllegalArgumentException("bad job result state: " + state);
    }
    Objects.requireNonNull(message, "message");
    if (egressDenials < 0) throw new IllegalArgumentException("egressDenials must be >= 0: " + egressDenials);
  }

  /** A result with no egress denials. */
  public JobResult(String state, Integer exitCode, String message) {
    this(state, exitCode, message, 0);
  }

  /** This result with {@code denials} refused connections. */
  public JobResult withEgressDenials(long denials) {
    return new JobResult(state, exitCode, message, denials);
  }
}
