package dev.moat.server.github;

import dev.moat.engine.trust.TrustDecision;
import dev.moat.server.repo.RepoService.Repo;
import java.util.List;
import java.util.Objects;

/**
 * What the GitHub provider needs from runs and holds: start the runs of a change under a trust
 * decision (queued, or held with its reason), and approve or reject a held run for a forge identity.
 * The provider decides trust; the implementation pins commits, reads the decided commit's workflows,
 * checks the approver's rights and writes the audit events. Implementations are thread-safe.
 */
public interface ForgeRuns {
  /**
   * A change on a forge.
   *
   * @param event {@code push} or {@code pull_request}
   * @param ref the full ref the runs carry (for a pull request {@code refs/pull/N/head})
   * @param headSha the commit whose source runs
   * @param baseRef for a pull request the full ref of its base branch; null for a push
   * @param baseSha for a pull request the base branch's commit, whose workflows run when the decision
   *     says {@code BASE}; null for a push
   * @param author who made the change (for a pull request its author; for a push the pusher)
   */
  record ForgeChange(String event, String ref, String headSha, String baseRef, String baseSha, ForgeIdentity author) {
    public ForgeChange {
      Objects.requireNonNull(event, "event");
      Objects.requireNonNull(ref, "ref");
      Objects.requireNonNull(headSha, "headSha");
      Objects.requireNonNull(author, "author");
    }
  }

  /** A person on the forge, by the forge's immutable numeric id; the login is for messages only. */
  record ForgeIdentity(String forge, long userId, String login) {}

  /** What became of an approval or rejection: {@code approved}, {@code rejected}, {@code forbidden} or {@code not_held}. */
  record Outcome(long runId, String result, String message) {
    public boolean done() {
      return result.equals("approved") || result.equals("rejected");
    }
  }

  /** Creates the runs of {@code change} on {@code repo} as {@code decision} says; returns their ids. */
  List<Long> start(Repo repo, ForgeChange change, TrustDecision decision);

  Outcome approve(long runId, ForgeIdentity approver);

  Outcome reject(long runId, ForgeIdentity approver);
}
