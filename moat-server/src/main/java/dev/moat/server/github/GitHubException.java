package dev.moat.server.github;

/**
 * A call to the GitHub API failed: no answer in time, a transport error, or a status that the call
 * does not expect. {@code status} is the HTTP status, or 0 when there was no response. Callers that
 * resolve trust treat any of these as "unknown" (invariant I5): they never retry into a decision.
 */
public final class GitHubException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public GitHubException(int status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public GitHubException(int status, String message) {
    this(status, message, null);
  }

  /** The HTTP status of the failed call, or 0 without a response (timeout, connection refused). */
  public int status() {
    return status;
  }
}
