package dev.moat.server.github;

import dev.moat.engine.trust.TrustDecision;
import dev.moat.engine.trust.WorkflowSource;
import dev.moat.server.http.ApiException;
import dev.moat.server.repo.GitReader;
import dev.moat.server.repo.RepoService.Repo;
import dev.moat.server.run.RunService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ForgeRuns} until held runs exist: a queued decision creates runs from the decided commit's
 * workflows (the base branch's for {@code BASE}); a held decision creates nothing (fail closed: the
 * change does not run) and approvals answer {@code not_held}. Replaced by the trust-aware run start
 * and approvals of the holds part. Thread-safe.
 */
public final class DirectForgeRuns implements ForgeRuns {
  private static final Logger LOG = LoggerFactory.getLogger(DirectForgeRuns.class);
  private final GitReader git;
  private final RunService runs;

  public DirectForgeRuns(GitReader git, RunService runs) {
    this.git = git;
    this.runs = runs;
  }

  @Override
  public List<Long> start(Repo repo, ForgeChange change, TrustDecision decision) {
    if (decision.held()) {
      LOG.atWarn().addKeyValue("repo", repo.name()).addKeyValue("sha", change.headSha())
          .log("change held; held runs are not stored yet, so nothing runs");
      return List.of();
    }
    String workflowsAt = decision.source() == WorkflowSource.BASE ? change.baseSha() : change.headSha();
    if (workflowsAt == null) throw ApiException.invalid("a base commit is required for the base branch's workflows");
    try {
      return runs.createRuns(repo.name(), change.ref(), change.headSha(), change.event(), git.workflows(repo.path(), workflowsAt));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Outcome approve(long runId, ForgeIdentity approver) {
    return new Outcome(runId, "not_held", "run " + runId + " is not held");
  }

  @Override
  public Outcome reject(long runId, ForgeIdentity approver) {
    return new Outcome(runId, "not_held", "run " + runId + " is not held");
  }
}
