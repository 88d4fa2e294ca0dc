package dev.moat.server.github;

import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts each GitHub run's result as the {@code moat} commit status once the run has ended:
 * succeeded is {@code success}; failed, cancelled and rejected are {@code failure}; error and an
 * expired hold are {@code error}.
 * Called periodically; a status that could not be posted is tried again on the next call. Not
 * thread-safe: one caller (the server's scheduler).
 */
public final class StatusReporter {
  private static final Logger LOG = LoggerFactory.getLogger(StatusReporter.class);
  private static final Map<String, String> STATE = Map.of(
      "succeeded", "success", "failed", "failure", "cancelled", "failure", "error", "error", "rejected", "failure",
      "expired", "error");

  private record Ended(long run, String repo, String sha, String status, String workflow) {}

  private final GitHubProvider provider;
  private final Jdbi jdbi;

  public StatusReporter(GitHubProvider provider, Jdbi jdbi) {
    this.provider = provider;
    this.jdbi = jdbi;
  }

  public void report() {
    List<Ended> ended = jdbi.withHandle(h -> h.createQuery("""
            SELECT g.run_id, g.repo, g.sha, r.status, r.workflow_name FROM github_runs g JOIN runs r ON r.id = g.run_id
            WHERE r.status IN ('succeeded', 'failed', 'cancelled', 'error', 'rejected', 'expired') AND (g.posted IS NULL OR g.posted <> r.status)
            ORDER BY g.run_id LIMIT 50""")
        .map((rs, c) -> new Ended(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)))
        .list());
    for (Ended e : ended) {
      var repo = provider.repos().find(e.repo()).orElse(null);
      if (repo == null) continue;
      try {
        provider.client(repo).postStatus(e.sha(), STATE.get(e.status()), "run " + e.run() + " (" + e.workflow() + ") " + e.status(),
            GitHubProvider.CONTEXT);
        jdbi.useHandle(h -> h.createUpdate("UPDATE github_runs SET posted = :p WHERE run_id = :id")
            .bind("p", e.status()).bind("id", e.run()).execute());
      } catch (GitHubException ex) {
        LOG.atWarn().addKeyValue("run", e.run()).addKeyValue("error", ex.getMessage()).log("could not post the run's result to GitHub; will retry");
      }
    }
  }
}
