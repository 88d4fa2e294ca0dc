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
 * @param sandboxStartMillis how long the agent took to create the job's sandbox (for an oci pool,
 *     unpacking its image on first use included); null when no sandbox was made
 * @param imageIntegrityFailure the pool's image did not match its digest, so no sandbox was made
 */
public record JobResult(String state, Integer exitCode, String message, long egressDenials, Long sandboxStartMillis,
    boolean imageIntegrityFailure) {
  public JobResult {
    Objects.requireNonNull(state, "state");
    if (!state.matches("succeeded|failed|timed_out|cancelled")) {
      throw new IllegalArgumentException("bad job result state: " + state);
    }
    Objects.requireNonNull(message, "message");
    if (egressDenials < 0) throw new IllegalArgumentException("egressDenials must be >= 0: " + egressDenials);
    if (sandboxStartMillis != null && sandboxStartMillis < 0) {
      throw new IllegalArgumentException("sandboxStartMillis must be >= 0: " + sandboxStartMillis);
    }
  }

  /** A result with no sandbox report. */
  public JobResult(String state, Integer exitCode, String message, long egressDenials) {
    this(state, exitCode, message, egressDenials, null, false);
  }

  /** A result with no egress denials. */
  public JobResult(String state, Integer exitCode, String message) {
    this(state, exitCode, message, 0);
  }

  /** This result with {@code denials} refused connections. */
  public JobResult withEgressDenials(long denials) {
    return new JobResult(state, exitCode, message, denials, sandboxStartMillis, imageIntegrityFailure);
  }

  /** This result with the sandbox's start time (null: none was made) and whether the image failed its digest check. */
  public JobResult withSandbox(Long startMillis, boolean integrityFailure) {
    return new JobResult(state, exitCode, message, egressDenials, startMillis, integrityFailure);
  }
}
