package dev.moat.server.run;

import dev.moat.engine.trust.TrustDecision;
import dev.moat.engine.trust.TrustTier;
import dev.moat.engine.trust.WorkflowSource;
import dev.moat.server.http.ApiException;
import dev.moat.server.repo.GitReader;
import dev.moat.server.repo.RepoService.Repo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * Turns an event on a repository (a push, a pull request, a manual trigger) into runs: pins the
 * commit, reads the workflow files from the commit that the trust decision names as data (the base
 * branch's for known and unknown pull requests, invariant I5), and creates the runs, held when the
 * decision says so. Thread-safe.
 */
public final class RunStarter {
  /** Where a change's workflow files come from: the repository at one commit. */
  @FunctionalInterface
  public interface WorkflowFiles {
    /** The workflow files at {@code sha}; a missing commit is reported as {@link org.eclipse.jgit.errors.MissingObjectException}. */
    List<GitReader.WorkflowFile> at(String sha) throws IOException;
  }

  private final GitReader git;
  private final RunService runs;

  public RunStarter(GitReader git, RunService runs) {
    this.git = git;
    this.runs = runs;
  }

  /**
   * Starts the runs of one change on a repository whose git directory Moat reads, as {@code decision}
   * says: the workflows come from the request's base commit when the decision's source is
   * {@link WorkflowSource#BASE}, else from its head; each run records the head it builds, the
   * definitions' commit, the tier, the event and the author; a held decision creates held runs.
   * Returns the new run ids.
   */
  public List<Long> start(Repo repo, RunRequest request, TrustDecision decision) {
    return start(repo.name(), request, decision, sha -> git.workflows(repo.path(), sha));
  }

  /** As {@link #start(Repo, RunRequest, TrustDecision)}, with the workflow files read by {@code files} (e.g. a forge's API). */
  public List<Long> start(String repoName, RunRequest request, TrustDecision decision, WorkflowFiles files) {
    String definitions = switch (decision.source()) {
      case HEAD -> request.headSha();
      case BASE -> Optional.ofNullable(request.baseSha())
          .orElseThrow(() -> new IllegalArgumentException("the decision runs base definitions but the " + request.event() + " has no base"));
    };
    try {
      return runs.createRuns(repoName, request, decision, definitions, files.at(definitions));
    } catch (org.eclipse.jgit.errors.MissingObjectException e) {
      throw ApiException.invalid("commit " + definitions + " does not exist in " + repoName);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts every workflow of the repository at {@code ref} (a branch name, full ref or commit), on
   * request of a person with the developer role: trusted, never held; trigger filters don't apply.
   */
  public List<Long> manual(Repo repo, String ref) {
    try {
      String full = ref.startsWith("refs/") || git.resolve(repo.path(), "refs/heads/" + ref).isEmpty() ? ref : "refs/heads/" + ref;
      String sha = git.resolve(repo.path(), full)
          .orElseThrow(() -> ApiException.invalid("ref " + ref + " does not exist in " + repo.name()));
      return start(repo, new RunRequest("manual", full, sha, null, null, Optional.empty()), MANUAL);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final TrustDecision MANUAL = new TrustDecision(TrustTier.TRUSTED, WorkflowSource.HEAD, Optional.empty(),
      "started by hand by a Moat user with the developer role");
}
