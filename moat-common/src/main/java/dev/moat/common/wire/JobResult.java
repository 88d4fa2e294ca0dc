package dev.moat.common.wire;

import java.util.Objects;

/**
 * How a job ended on the agent.
 *
 * @param state {@code succeeded}, {@code failed}, {@code timed_out} or {@code cancelled}
 * @param exitCode the failing (or last) step's exit code; null when no step ran to an exit
 * @param message a short reason for people, e.g. "step 2 (test) exited with 1"
 */
public record JobResult(String state, Integer exitCode, String message) {
  public JobResult {
    Objects.requireNonNull(state, "state");
    if (!state.matches("succeeded|failed|timed_out|cancelled")) {
      throw new IllegalArgumentException("bad job result state: " + state);
    }
    Objects.requireNonNull(message, "message");
  }
}
