package dev.moat.server.run;

import dev.moat.server.http.ApiException;
import dev.moat.server.repo.GitReader;
import dev.moat.server.repo.RepoService.Repo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Turns an event on a repository (a push, a manual trigger) into runs: pins the commit, reads the
 * workflow files at that commit from git as data, and creates the runs. Thread-safe.
 */
public final class RunStarter {
  private final GitReader git;
  private final RunService runs;

  public RunStarter(GitReader git, RunService runs) {
    this.git = git;
    this.runs = runs;
  }

  /** Starts runs for a push of {@code sha} to the full ref {@code ref}. */
  public List<Long> push(Repo repo, String ref, String sha) {
    return start(repo, ref, sha, "push");
  }

  /**
   * Starts every workflow of the repository at {@code ref} (a branch name, full ref or commit), on
   * request of a person; trigger filters don't apply.
   */
  public List<Long> manual(Repo repo, String ref) {
    try {
      String full = ref.startsWith("refs/") || git.resolve(repo.path(), "refs/heads/" + ref).isEmpty() ? ref : "refs/heads/" + ref;
      String sha = git.resolve(repo.path(), full)
          .orElseThrow(() -> ApiException.invalid("ref " + ref + " does not exist in " + repo.name()));
      return start(repo, full, sha, "manual");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private List<Long> start(Repo repo, String ref, String sha, String event) {
    try {
      var files = git.workflows(repo.path(), sha);
      return runs.createRuns(repo.name(), ref, sha, event, files);
    } catch (org.eclipse.jgit.errors.MissingObjectException e) {
      throw ApiException.invalid("commit " + sha + " does not exist in " + repo.name());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
