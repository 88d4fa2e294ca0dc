package dev.moat.engine.trust;

import java.util.Objects;

/**
 * The facts about one change that trust decisions are made from: what kind of change, who made it
 * (already resolved to a tier), and what it touches. Immutable.
 *
 * @param kind a push to a branch or a pull request
 * @param author the author's tier, resolved from the forge's numeric user id (or signature)
 * @param fromFork for a pull request, whether its head lives in another repository (always false
 *     for a push)
 * @param touchesWorkflows whether the change adds, edits or removes anything under {@code .moat/}
 * @param verifiedPush for a push to a plain git repository: whether its head commit is signed by an
 *     allowed key ({@code null} when the forge itself authenticates pushers, as GitHub does)
 */
public record Change(Kind kind, TrustTier author, boolean fromFork, boolean touchesWorkflows, Boolean verifiedPush) {
  public enum Kind {
    PUSH,
    PULL_REQUEST
  }

  public Change {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(author, "author");
    if (kind == Kind.PUSH && fromFork) throw new IllegalArgumentException("a push does not come from a fork");
    if (kind == Kind.PULL_REQUEST && verifiedPush != null) throw new IllegalArgumentException("a pull request is not a push");
  }
}
