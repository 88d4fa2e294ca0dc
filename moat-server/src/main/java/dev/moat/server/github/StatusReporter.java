package dev.moat.server.github;

import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts each GitHub run's result as the {@code moat} commit status once the run has ended:
 * succeeded is {@code success}; failed, cancelled and rejected are {@code failure}; error,
 * unschedulable and an expired hold are {@code error}. A held run that was approved by any way
 * (CLI, API or a comment) and is now queued or running gets a {@code pending} "approved" status.
 * Called periodically; a status that could not be posted is tried again on the next call. Not
 * thread-safe: one caller (the server's scheduler).
 */
public final class StatusReporter {
  private static final Logger LOG = LoggerFactory.getLogger(StatusReporter.class);
  private static final Map<String, String> STATE = Map.of(
      "succeeded", "success", "failed", "failure", "cancelled", "failure", "error", "error", "rejected", "failure",
      "expired", "error", "unschedulable", "error");

  private record Ended(long run, String repo, String sha, String status, String workflow) {}

  private final GitHubProvider provider;
  private final Jdbi jdbi;

  public StatusReporter(GitHubProvider provider, Jdbi jdbi) {
    this.provider = provider;
    this.jdbi = jdbi;
  }

  public void report() {
    for (Ended e : select("""
        WHERE r.status IN ('queued', 'running') AND g.posted = 'held'""")) {
      post(e, "pending", "run " + e.run() + " (" + e.workflow() + ") approved: " + e.status(), "approved");
    }
    for (Ended e : select("""
        WHERE r.status IN ('succeeded', 'failed', 'cancelled', 'error', 'rejected', 'expired', 'unschedulable')
          AND (g.posted IS NULL OR g.posted <> r.status)""")) {
      post(e, STATE.get(e.status()), "run " + e.run() + " (" + e.workflow() + ") " + e.status(), e.status());
    }
  }

  private List<Ended> select(String where) {
    return jdbi.withHandle(h -> h.createQuery("""
            SELECT g.run_id, g.repo, g.sha, r.status, r.workflow_name FROM github_runs g JOIN runs r ON r.id = g.run_id
            """ + where + " ORDER BY g.run_id LIMIT 50")
        .map((rs, c) -> new Ended(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)))
        .list());
  }

  private void post(Ended e, String state, String description, String posted) {
    var repo = provider.repos().find(e.repo()).orElse(null);
    if (repo == null) return;
    try {
      provider.client(repo).postStatus(e.sha(), state, description, GitHubProvider.CONTEXT);
      jdbi.useHandle(h -> h.createUpdate("UPDATE github_runs SET posted = :p WHERE run_id = :id")
          .bind("p", posted).bind("id", e.run()).execute());
    } catch (GitHubException ex) {
      LOG.atWarn().addKeyValue("run", e.run()).addKeyValue("error", ex.getMessage()).log("could not post the run's status to GitHub; will retry");
    }
  }
}
