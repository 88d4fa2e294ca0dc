package dev.moat.server.github;

import dev.moat.engine.trust.TrustDecision;
import dev.moat.server.http.ApiException;
import dev.moat.server.repo.RepoService.Repo;
import dev.moat.server.run.RunRequest;
import dev.moat.server.run.RunStarter;
import dev.moat.server.trust.Approvals;
import java.util.List;
import java.util.Optional;

/**
 * {@link ForgeRuns} on Moat's own run start and approvals: runs are started by the trust-aware
 * {@link RunStarter} (definitions from the decided commit, held runs with their reason, the author
 * recorded for the self-approval check), and a comment's approval goes through {@link Approvals} for
 * the commenter's forge identity, so rights, self-approval and the audit trail are the same as from
 * the API or the CLI. Thread-safe.
 */
public final class MoatForgeRuns implements ForgeRuns {
  private final RunStarter starter;
  private final Approvals approvals;

  public MoatForgeRuns(RunStarter starter, Approvals approvals) {
    this.starter = starter;
    this.approvals = approvals;
  }

  @Override
  public List<Long> start(Repo repo, ForgeChange c, TrustDecision decision) {
    var author = new RunRequest.Author(c.author().forge(), c.author().userId(), c.author().login());
    var request = c.event().equals("pull_request")
        ? RunRequest.pullRequest(c.ref(), c.headSha(), c.baseRef(), c.baseSha(), author)
        : RunRequest.push(c.ref(), c.headSha(), Optional.of(author));
    return starter.start(repo, request, decision);
  }

  @Override
  public Outcome approve(long runId, ForgeIdentity approver) {
    return decide(runId, approver, true);
  }

  @Override
  public Outcome reject(long runId, ForgeIdentity approver) {
    return decide(runId, approver, false);
  }

  private Outcome decide(long runId, ForgeIdentity who, boolean approve) {
    var forgeUser = new Approvals.Approver.ForgeUser(who.forge(), who.userId(), who.login());
    String comment = (approve ? "/moat approve" : "/moat reject") + " by " + who.login() + " on " + who.forge();
    try {
      if (approve) approvals.approve(runId, forgeUser, comment); else approvals.reject(runId, forgeUser, comment);
      return new Outcome(runId, approve ? "approved" : "rejected", (approve ? "approved by " : "rejected by ") + who.login());
    } catch (ApiException.Forbidden e) {
      return new Outcome(runId, "forbidden", e.getMessage());
    } catch (ApiException.Conflict e) {
      return new Outcome(runId, "not_held", e.getMessage());
    }
  }
}
