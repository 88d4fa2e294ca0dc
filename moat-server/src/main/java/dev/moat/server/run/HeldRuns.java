package dev.moat.server.run;

import dev.moat.engine.JobState;
import dev.moat.engine.trust.HoldState;
import dev.moat.server.audit.AuditAction;
import dev.moat.server.http.ApiException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deciding held runs: approve (the run's jobs are queued as for any run, respecting {@code needs}),
 * reject and expire (its unfinished jobs are cancelled with the reason). A hold is decided once: a
 * second decision, or one on a run that isn't held, is a 409 that names what happened instead. A
 * hold past its expiry can't be approved or rejected any more; it is expired on the spot. Each
 * decision is audited in its own transaction. Who may decide is not checked here: that is
 * {@link dev.moat.server.trust.Approvals}. Thread-safe.
 */
public final class HeldRuns {
  private static final Logger LOG = LoggerFactory.getLogger(HeldRuns.class);
  private final RunService runs;

  public HeldRuns(RunService runs) {
    this.runs = runs;
  }

  /** The run's hold, if it was ever held; 404 if there is no such run. */
  public Optional<RunView.HoldView> hold(long runId) {
    return Optional.ofNullable(runs.view(runId).hold());
  }

  public RunView approve(long runId, String actor, String comment) {
    return decide(runId, HoldState.APPROVED, actor, comment);
  }

  public RunView reject(long runId, String actor, String comment) {
    return decide(runId, HoldState.REJECTED, actor, comment);
  }

  /** Expires every pending hold past its expiry (the server's periodic loop calls this); returns how many. */
  public int expireDue() {
    long now = runs.clock.millis();
    List<Long> due = runs.jdbi.withHandle(h -> runs.holds.expired(h, now));
    int expired = 0;
    for (long runId : due) {
      if (runs.jdbi.inTransaction(h -> expire(h, runId, now))) expired++;
    }
    if (expired > 0) runs.dispatch.signalAll();
    return expired;
  }

  private RunView decide(long runId, HoldState decision, String actor, String comment) {
    long now = runs.clock.millis();
    // The decided hold, or null when it had expired instead.
    HoldStore.HoldRow decided = runs.jdbi.inTransaction(h -> {
      runs.store.run(h, runId).orElseThrow(() -> ApiException.notFound("no run " + runId));
      var hold = runs.holds.find(h, runId).orElseThrow(() -> ApiException.conflict("run " + runId + " is not held"));
      if (hold.state() != HoldState.PENDING) {
        throw ApiException.conflict("run " + runId + " was already " + hold.state().wire() + " by " + hold.decidedBy());
      }
      if (hold.expiresAt() <= now) {
        expire(h, runId, now);
        return null;
      }
      if (!runs.holds.decide(h, runId, decision, actor, comment, now)) {
        throw ApiException.conflict("run " + runId + " was decided by someone else at the same time");
      }
      if (decision == HoldState.REJECTED) cancelJobs(h, runId, "rejected by " + actor + (comment == null ? "" : ": " + comment), now);
      runs.audit.record(h, actor, decision == HoldState.APPROVED ? AuditAction.RUN_APPROVED : AuditAction.RUN_REJECTED,
          runId, null, detail(hold.reason().wire(), comment));
      runs.advance(h, runId, now);
      return hold;
    });
    runs.dispatch.signalAll();
    if (decided == null) throw ApiException.conflict("run " + runId + " is expired: its hold passed its expiry without a decision");
    if (decision == HoldState.APPROVED) runs.metrics.approvedAfter(Duration.ofMillis(now - decided.createdAt()));
    LOG.atInfo().addKeyValue("run_id", runId).addKeyValue("decision", decision.wire()).addKeyValue("by", actor).log("hold decided");
    return runs.view(runId);
  }

  private boolean expire(Handle h, long runId, long now) {
    if (!runs.holds.decide(h, runId, HoldState.EXPIRED, RunService.SERVER_ACTOR, null, now)) return false;
    var hold = runs.holds.find(h, runId).orElseThrow();
    cancelJobs(h, runId, "the hold expired without a decision", now);
    runs.audit.record(h, RunService.SERVER_ACTOR, AuditAction.RUN_EXPIRED, runId, null,
        Map.of("reason", hold.reason().wire(), "expiresAt", hold.expiresAt()));
    runs.advance(h, runId, now);
    LOG.atInfo().addKeyValue("run_id", runId).log("hold expired");
    return true;
  }

  private void cancelJobs(Handle h, long runId, String reason, long now) {
    for (JobRow job : runs.store.jobsOfRun(h, runId)) {
      if (!job.state().terminal()) {
        runs.store.transition(h, job.id(), job.state(), JobState.CANCELLED, JobUpdate.finished(now, null, reason));
      }
    }
  }

  private static Map<String, Object> detail(String reason, String comment) {
    var detail = new LinkedHashMap<String, Object>();
    detail.put("reason", reason);
    if (comment != null) detail.put("comment", comment);
    return detail;
  }
}
