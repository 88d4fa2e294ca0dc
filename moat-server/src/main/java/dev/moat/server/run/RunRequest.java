package dev.moat.server.run;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The facts of one change that runs are started for, as the forge reported them (and, for a plain
 * git push, as the hook signed them). Together with a {@link dev.moat.engine.trust.TrustDecision}
 * they are everything {@link RunStarter#start} needs. Immutable.
 *
 * @param event {@code push}, {@code pull_request} or {@code manual}
 * @param ref the full ref the run is for: the pushed branch, or the pull request's head ref
 *     (e.g. {@code refs/pull/7/head}); shown to people and passed to the job
 * @param headSha the commit the run builds (the change's head)
 * @param baseRef for a pull request, the full ref of the branch it targets (e.g. {@code
 *     refs/heads/main}): trigger filters are matched against it; else null
 * @param baseSha for a pull request, the base branch's commit, whose {@code .moat/workflows} run when
 *     the decision says {@link dev.moat.engine.trust.WorkflowSource#BASE}; else null
 * @param author who made the change, when the forge says so
 */
public record RunRequest(String event, String ref, String headSha, String baseRef, String baseSha, Optional<Author> author) {
  private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}");

  /**
   * An author on a forge.
   *
   * @param forge e.g. {@code github}
   * @param id the forge's immutable numeric user id (what trust and self-approval are matched on)
   * @param login the login at the time of the event, for display only
   */
  public record Author(String forge, long id, String login) {
    public Author {
      Objects.requireNonNull(forge, "forge");
    }
  }

  public RunRequest {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(ref, "ref");
    Objects.requireNonNull(author, "author");
    if (!event.matches("push|pull_request|manual")) throw new IllegalArgumentException("unknown event " + event);
    if (headSha == null || !SHA.matcher(headSha).matches()) throw new IllegalArgumentException("headSha must be a full sha");
    if (event.equals("pull_request") && (baseSha == null || baseRef == null)) {
      throw new IllegalArgumentException("a pull request needs its base ref and sha");
    }
    if (baseSha != null && !SHA.matcher(baseSha).matches()) throw new IllegalArgumentException("baseSha must be a full sha");
  }

  /** A push of {@code sha} to the full ref {@code ref}. */
  public static RunRequest push(String ref, String sha, Optional<Author> author) {
    return new RunRequest("push", ref, sha, null, null, author);
  }

  /** A pull request whose head is {@code headSha} (at {@code ref}) and whose base branch {@code baseRef} is at {@code baseSha}. */
  public static RunRequest pullRequest(String ref, String headSha, String baseRef, String baseSha, Author author) {
    return new RunRequest("pull_request", ref, headSha, baseRef, baseSha, Optional.of(author));
  }
}
