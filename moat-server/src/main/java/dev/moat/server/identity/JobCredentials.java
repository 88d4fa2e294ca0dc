package dev.moat.server.identity;

import dev.moat.common.Tokens;
import dev.moat.engine.JobState;
import dev.moat.engine.placement.IsolationTier;
import dev.moat.server.http.ApiException;
import java.time.InstantSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Per-job credentials (DESIGN I9). One is minted when an agent claims a job, inside the claim's
 * transaction, and travels to the agent in {@code JobAssignment.jobToken}; only its SHA-256 is
 * stored. A credential authenticates only while its job is {@code dispatched} or {@code running} on
 * the agent it was minted for: once the job ends (or goes back to the queue and is claimed again,
 * which replaces the credential) it is refused with 401. Thread-safe.
 */
public final class JobCredentials {
  private final Jdbi jdbi;
  private final InstantSource clock;

  public JobCredentials(Jdbi jdbi, InstantSource clock) {
    this.jdbi = jdbi;
    this.clock = clock;
  }

  /**
   * Mints the credential of {@code jobId}'s dispatch to {@code agentId} (of {@code pool}, running
   * {@code tier}) in the caller's transaction, replacing any earlier one of the job. Returns the
   * token, which is never stored.
   */
  public String mint(Handle h, long jobId, String agentId, String pool, IsolationTier tier) {
    String token = Tokens.random("moat_job");
    h.createUpdate("DELETE FROM job_credentials WHERE job_id = :job").bind("job", jobId).execute();
    h.createUpdate("""
            INSERT INTO job_credentials (job_id, hash, agent_id, pool, sandbox_tier, created_at)
            VALUES (:job, :hash, :agent, :pool, :tier, :now)""")
        .bind("job", jobId).bind("hash", Tokens.hash(token)).bind("agent", agentId).bind("pool", pool)
        .bind("tier", tier.wire()).bind("now", clock.millis()).execute();
    return token;
  }

  /**
   * The id of the job whose credential {@code token} is, while that job is dispatched or running on
   * the agent the credential was minted for; otherwise a 401 {@code ApiException} saying why.
   */
  public long authenticate(String token) {
    if (token == null || token.isBlank()) throw ApiException.unauthorized("a job credential is required");
    record Row(long jobId, JobState state, boolean sameAgent) {}
    Row row = jdbi.withHandle(h -> h.createQuery("""
            SELECT c.job_id, j.state, CASE WHEN j.agent_id = c.agent_id THEN 1 ELSE 0 END
            FROM job_credentials c JOIN jobs j ON j.id = c.job_id WHERE c.hash = :hash""")
        .bind("hash", Tokens.hash(token))
        .map((rs, c) -> new Row(rs.getLong(1), JobState.ofWire(rs.getString(2)), rs.getInt(3) == 1))
        .findOne()
        .orElseThrow(() -> ApiException.unauthorized("unknown job credential")));
    boolean live = row.state() == JobState.DISPATCHED || row.state() == JobState.RUNNING;
    if (!live || !row.sameAgent()) {
      throw ApiException.unauthorized("job credential of job " + row.jobId() + " is no longer valid: the job is " + row.state().wire());
    }
    return row.jobId();
  }
}
