package dev.moat.server.run;

import dev.moat.common.Json;
import dev.moat.engine.JobSpec;
import dev.moat.engine.JobState;
import dev.moat.engine.RunStatus;
import dev.moat.engine.placement.IsolationTier;
import dev.moat.engine.trust.TrustTier;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import tools.jackson.core.type.TypeReference;

/**
 * SQL for runs and jobs. Every method takes the caller's {@link Handle}, so that the service decides
 * transaction boundaries. Job state changes are conditional on the state they leave
 * ({@code WHERE state = :from}) and checked against {@link JobState#canMoveTo}: a transition that
 * lost a race does nothing and reports false. Stateless and thread-safe.
 */
final class RunStore {
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final String JOB_COLUMNS = """
      id, run_id, job_key, name, state, needs, labels, spec, timeout_ms, agent_id, exit_code, reason,
      started_at, finished_at, egress_denials, min_tier, pools""";

  long insertRun(Handle h, String repo, RunRequest req, String definitionsSha, TrustTier tier, String file, String name,
      RunStatus status, String error, long now) {
    var author = req.author();
    return h.createUpdate("""
            INSERT INTO runs (repo, ref, sha, event, workflow_file, workflow_name, status, error, created_at, finished_at,
              definitions_sha, trust_tier, author_forge, author_id, author_login)
            VALUES (:repo, :ref, :sha, :event, :file, :name, :status, :error, :now, :finished,
              :definitions, :tier, :authorForge, :authorId, :authorLogin)""")
        .bind("repo", repo).bind("ref", req.ref()).bind("sha", req.headSha()).bind("event", req.event())
        .bind("file", file).bind("name", name).bind("status", status.wire()).bind("error", error)
        .bind("now", now).bind("finished", status.terminal() ? now : null)
        .bind("definitions", definitionsSha).bind("tier", tier.wire())
        .bind("authorForge", author.map(RunRequest.Author::forge).orElse(null))
        .bind("authorId", author.map(RunRequest.Author::id).orElse(null))
        .bind("authorLogin", author.map(RunRequest.Author::login).orElse(null))
        .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
  }

  /**
   * Inserts a PENDING job with where it may run: {@code atLeast} and {@code pools} (empty: any pool;
   * an empty list: none, for a job about to become UNSCHEDULABLE). Returns its id.
   */
  long insertJob(Handle h, long runId, JobSpec spec, JobPlan plan, IsolationTier atLeast,
      Optional<List<String>> pools, java.time.Duration wait, long now) {
    return h.createUpdate("""
            INSERT INTO jobs (run_id, job_key, name, state, needs, labels, spec, timeout_ms, created_at, min_tier, pools,
              environment, wait_ms)
            VALUES (:run, :key, :name, 'pending', :needs, :labels, :spec, :timeout, :now, :tier, :pools, :env, :wait)""")
        .bind("env", spec.environment().orElse(null)).bind("wait", wait.toMillis())
        .bind("run", runId).bind("key", spec.id()).bind("name", spec.name())
        .bind("needs", Json.write(spec.needs())).bind("labels", Json.write(spec.runsOn()))
        .bind("spec", Json.write(plan)).bind("timeout", spec.timeout().toMillis()).bind("now", now)
        .bind("tier", atLeast.wire()).bind("pools", pools.map(Json::write).orElse(null))
        .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
  }

  Optional<RunRow> run(Handle h, long id) {
    return h.createQuery("SELECT * FROM runs WHERE id = :id").bind("id", id).map((rs, c) -> runRow(rs)).findOne();
  }

  List<RunRow> runs(Handle h, int limit) {
    return h.createQuery("SELECT * FROM runs ORDER BY id DESC LIMIT :limit")
        .bind("limit", limit).map((rs, c) -> runRow(rs)).list();
  }

  List<JobRow> jobsOfRun(Handle h, long runId) {
    return h.createQuery("SELECT " + JOB_COLUMNS + " FROM jobs WHERE run_id = :run ORDER BY id")
        .bind("run", runId).map((rs, c) -> jobRow(rs)).list();
  }

  Optional<JobRow> job(Handle h, long id) {
    return h.createQuery("SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = :id")
        .bind("id", id).map((rs, c) -> jobRow(rs)).findOne();
  }

  /** Queued jobs, oldest first: the candidates for a claim. */
  List<JobRow> queued(Handle h, int limit, long now) {
    return h.createQuery("SELECT " + JOB_COLUMNS + """
             FROM jobs WHERE state = 'queued' AND (not_before IS NULL OR not_before <= :now)
            ORDER BY queued_at, id LIMIT :limit""")
        .bind("limit", limit).bind("now", now).map((rs, c) -> jobRow(rs)).list();
  }

  /** Starts a queued job's wait timer, once: an agent may take it {@code wait_ms} after this. */
  void startWait(Handle h, long jobId, long now) {
    h.createUpdate("UPDATE jobs SET not_before = :now + wait_ms WHERE id = :id AND not_before IS NULL")
        .bind("now", now).bind("id", jobId).execute();
  }

  /** How many jobs an agent holds (dispatched or running). */
  int heldBy(Handle h, String agentId) {
    return h.createQuery("SELECT count(*) FROM jobs WHERE agent_id = :agent AND state IN ('dispatched', 'running')")
        .bind("agent", agentId).mapTo(Integer.class).one();
  }

  /** Ids of jobs in {@code state} whose {@code column} (a deadline) lies before {@code now}. */
  List<Long> overdue(Handle h, JobState state, String column, long now) {
    if (!column.matches("ack_deadline|lease_expires")) throw new IllegalArgumentException(column);
    return h.createQuery("SELECT id FROM jobs WHERE state = :state AND " + column + " < :now")
        .bind("state", state.wire()).bind("now", now).mapTo(Long.class).list();
  }

  /** Running jobs past their own timeout plus {@code graceMs}: the agent failed to end them. */
  List<Long> pastTimeout(Handle h, long now, long graceMs) {
    return h.createQuery("SELECT id FROM jobs WHERE state = 'running' AND started_at + timeout_ms + :grace < :now")
        .bind("grace", graceMs).bind("now", now).mapTo(Long.class).list();
  }

  /**
   * Moves a job from {@code from} to {@code to} and sets the given columns, only if it is still in
   * {@code from}. Returns whether it moved.
   */
  boolean transition(Handle h, long jobId, JobState from, JobState to, JobUpdate update) {
    if (!from.canMoveTo(to)) throw new IllegalStateException("illegal job transition " + from + " -> " + to);
    return h.createUpdate("""
            UPDATE jobs SET state = :to,
              agent_id = CASE WHEN :setAgent THEN :agent ELSE agent_id END,
              exit_code = COALESCE(:exit, exit_code),
              reason = COALESCE(:reason, reason),
              queued_at = COALESCE(:queuedAt, queued_at),
              started_at = COALESCE(:startedAt, started_at),
              finished_at = COALESCE(:finishedAt, finished_at),
              ack_deadline = :ackDeadline,
              lease_expires = :lease,
              egress_denials = COALESCE(:denials, egress_denials)
            WHERE id = :id AND state = :from""")
        .bind("to", to.wire()).bind("from", from.wire()).bind("id", jobId)
        .bind("setAgent", update.setAgent()).bind("agent", update.agentId())
        .bind("exit", update.exitCode()).bind("reason", update.reason())
        .bind("queuedAt", update.queuedAt()).bind("startedAt", update.startedAt())
        .bind("finishedAt", update.finishedAt()).bind("ackDeadline", update.ackDeadline())
        .bind("lease", update.leaseExpires()).bind("denials", update.egressDenials())
        .execute() == 1;
  }

  /** Extends the lease of a job held by {@code agentId}; false if it is no longer that agent's. */
  boolean renewLease(Handle h, long jobId, String agentId, long leaseExpires) {
    return h.createUpdate("""
            UPDATE jobs SET lease_expires = :lease
            WHERE id = :id AND agent_id = :agent AND state IN ('dispatched', 'running')""")
        .bind("lease", leaseExpires).bind("id", jobId).bind("agent", agentId).execute() == 1;
  }

  /** After a restart, gives every held job a fresh lease so that its agent has time to reconnect. */
  void graceLeases(Handle h, long leaseExpires) {
    h.createUpdate("UPDATE jobs SET lease_expires = :lease WHERE state IN ('dispatched', 'running') AND lease_expires < :lease")
        .bind("lease", leaseExpires).execute();
  }

  void updateRunStatus(Handle h, long runId, RunStatus status, long now) {
    h.createUpdate("UPDATE runs SET status = :status, finished_at = :finished WHERE id = :id")
        .bind("status", status.wire()).bind("finished", status.terminal() ? now : null).bind("id", runId)
        .execute();
  }

  private static RunRow runRow(ResultSet rs) throws SQLException {
    return new RunRow(
        rs.getLong("id"), rs.getString("repo"), rs.getString("ref"), rs.getString("sha"), rs.getString("event"),
        rs.getString("workflow_file"), rs.getString("workflow_name"), RunStatus.ofWire(rs.getString("status")),
        rs.getString("error"), rs.getLong("created_at"), nullableLong(rs, "finished_at"),
        rs.getString("definitions_sha"), rs.getString("trust_tier"),
        rs.getString("author_forge") == null ? null
            : new RunRequest.Author(rs.getString("author_forge"), rs.getLong("author_id"), rs.getString("author_login")));
  }

  private static JobRow jobRow(ResultSet rs) throws SQLException {
    return new JobRow(
        rs.getLong("id"), rs.getLong("run_id"), rs.getString("job_key"), rs.getString("name"),
        JobState.ofWire(rs.getString("state")),
        Json.MAPPER.readValue(rs.getString("needs"), STRINGS),
        Json.MAPPER.readValue(rs.getString("labels"), STRINGS),
        Json.read(rs.getString("spec"), JobPlan.class),
        rs.getLong("timeout_ms"), rs.getString("agent_id"),
        nullableLong(rs, "exit_code") == null ? null : rs.getInt("exit_code"),
        rs.getString("reason"), nullableLong(rs, "started_at"), nullableLong(rs, "finished_at"),
        rs.getLong("egress_denials"), IsolationTier.ofWire(rs.getString("min_tier")),
        Optional.ofNullable(rs.getString("pools")).map(p -> Json.MAPPER.readValue(p, STRINGS)));
  }

  private static Long nullableLong(ResultSet rs, String column) throws SQLException {
    long value = rs.getLong(column);
    return rs.wasNull() ? null : value;
  }
}
