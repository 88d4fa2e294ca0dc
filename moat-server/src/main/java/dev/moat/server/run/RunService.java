package dev.moat.server.run;

import dev.moat.common.log.LogFields;
import dev.moat.common.wire.JobAssignment;
import dev.moat.common.wire.JobResult;
import dev.moat.engine.JobSpec;
import dev.moat.engine.JobState;
import dev.moat.engine.RunGraph;
import dev.moat.engine.RunStatus;
import dev.moat.engine.StepSpec;
import dev.moat.engine.Workflow;
import dev.moat.engine.WorkflowException;
import dev.moat.engine.WorkflowParser;
import dev.moat.engine.placement.IsolationTier;
import dev.moat.engine.placement.Placement;
import dev.moat.engine.placement.PlacementPolicy;
import dev.moat.engine.trust.HoldReason;
import dev.moat.engine.trust.HoldState;
import dev.moat.engine.trust.TrustDecision;
import dev.moat.engine.trust.TrustTier;
import dev.moat.engine.trust.WorkflowSource;
import dev.moat.server.metrics.Metrics;
import dev.moat.server.audit.Audit;
import dev.moat.server.audit.AuditAction;
import dev.moat.server.event.Wakeup;
import dev.moat.server.http.ApiException;
import dev.moat.server.identity.JobCredentials;
import dev.moat.server.repo.GitReader;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs and jobs: creating runs from events, the job state machine as agents claim, start and finish
 * jobs, cancellation, and the DAG. Every change happens in one transaction that also advances the
 * run (queues or skips dependants, derives the run's status); wake-ups are signalled after commit.
 * Thread-safe.
 */
public final class RunService {
  private static final Logger LOG = LoggerFactory.getLogger(RunService.class);
  /** The least role that may decide a hold. */
  static final String APPROVER_ROLE = "maintainer";
  /** How the audit log names the server acting on its own (e.g. expiring a hold). */
  public static final String SERVER_ACTOR = "moat";
  // Package-private for HeldRuns, which decides holds in the same transactions and DAG advance.
  final Jdbi jdbi;
  final RunStore store = new RunStore();
  final HoldStore holds = new HoldStore();
  final Audit audit;
  private final Duration holdTtl;
  final InstantSource clock;
  final Wakeup dispatch;
  private final Duration ackTimeout;
  private final Duration leaseTtl;
  private final PlacementPolicy policy;
  private final JobGate gate;
  final Metrics metrics;
  /** Stateless over the database: the server's ctx routes authenticate with their own instance. */
  private final JobCredentials credentials;

  /** Without environments: a job that names one is refused ({@link JobGate#NONE}). */
  public RunService(Jdbi jdbi, InstantSource clock, Wakeup dispatch, Duration ackTimeout, Duration leaseTtl,
      Audit audit, Duration holdTtl, PlacementPolicy policy) {
    this(jdbi, clock, dispatch, ackTimeout, leaseTtl, audit, holdTtl, policy, JobGate.NONE);
  }

  /** With a registry nobody scrapes. */
  public RunService(Jdbi jdbi, InstantSource clock, Wakeup dispatch, Duration ackTimeout, Duration leaseTtl,
      Audit audit, Duration holdTtl, PlacementPolicy policy, JobGate gate) {
    this(jdbi, clock, dispatch, ackTimeout, leaseTtl, audit, holdTtl, policy, gate, Metrics.unscraped());
  }

  /**
   * @param holdTtl how long a hold waits for a decision before the run expires
   * @param policy places each job of a new run by its run's trust tier (DESIGN §5); claims hand
   *     jobs only where it placed them
   * @param gate what each job's {@code environment:} decides at creation (refusal, review, wait)
   * @param metrics where queue waits, job ends, retries and lost jobs are counted
   */
  public RunService(Jdbi jdbi, InstantSource clock, Wakeup dispatch, Duration ackTimeout, Duration leaseTtl,
      Audit audit, Duration holdTtl, PlacementPolicy policy, JobGate gate, Metrics metrics) {
    this.metrics = metrics;
    this.policy = policy;
    this.gate = gate;
    this.audit = audit;
    this.holdTtl = holdTtl;
    this.jdbi = jdbi;
    this.clock = clock;
    this.dispatch = dispatch;
    this.ackTimeout = ackTimeout;
    this.leaseTtl = leaseTtl;
    this.credentials = new JobCredentials(jdbi, clock);
  }

  /**
   * Creates one run per workflow file read from the definitions commit (the request's head, or its
   * base when the decision says {@link WorkflowSource#BASE}). For a push, only workflows whose
   * triggers match the ref run; a file that can't be used always yields a run in status {@code error}
   * with its {@code file:line:col} problems, so the author sees them. When the decision holds the
   * change, each run is created {@code held}: its jobs exist, none is queued, and it has a hold that
   * expires after the configured TTL; the hold is audited in the same transaction. Each job is
   * placed by the policy for the decision's trust tier: a job no pool admits is UNSCHEDULABLE at
   * once, with the reason (held or not). A job whose environment refuses it (unknown, a branch or
   * trust tier it doesn't admit) is CANCELLED at once with the reason, audited; its dependants are
   * skipped and the rest of the run goes on. If a job's environment requires a reviewer and the
   * run is not already held, the run is held ({@link HoldReason#ENVIRONMENT_REVIEW}): a run-level
   * hold, decided by a maintainer like any other, and one approval covers every job of the run.
   * Returns the new run ids.
   */
  public List<Long> createRuns(String repo, RunRequest req, TrustDecision decision, String definitionsSha,
      List<GitReader.WorkflowFile> files) {
    long now = clock.millis();
    List<Long> ids = jdbi.inTransaction(h -> {
      List<Long> created = new ArrayList<>();
      for (var file : files) {
        Workflow workflow;
        try {
          workflow = WorkflowParser.parse(file.path(), file.text().orElseThrow(() -> tooLarge(file)));
        } catch (WorkflowException e) {
          created.add(store.insertRun(h, repo, req, definitionsSha, decision.tier(), file.path(), baseName(file.path()),
              RunStatus.ERROR, e.getMessage(), now));
          continue;
        }
        if (req.event().equals("push") && !workflow.on().matchesPush(req.ref())) continue;
        // The definitions' own trigger decides, filtered on the branch the pull request merges into.
        if (req.event().equals("pull_request") && !workflow.on().matchesPullRequest(req.baseRef())) continue;
        RunStatus initial = decision.held() ? RunStatus.HELD : RunStatus.QUEUED;
        long runId = store.insertRun(h, repo, req, definitionsSha, decision.tier(), file.path(), workflow.name(), initial, null, now);
        boolean review = false;
        for (JobSpec job : workflow.jobs()) {
          switch (gate.check(h, repo, req.ref(), decision.tier(), job)) {
            case JobGate.Refused r -> {
              refuse(h, runId, job, decision.tier(), r, now);
            }
            case JobGate.Admitted a -> {
              insertPlaced(h, runId, job, decision.tier(), a.waitTimer(), now);
              review |= a.review();
            }
          }
        }
        if (decision.hold().isPresent()) {
          hold(h, runId, decision, now);
        } else if (review) {
          holdForReview(h, runId, decision.tier(), now);
        }
        advance(h, runId, now);
        created.add(runId);
      }
      return created;
    });
    dispatch.signalAll();
    LOG.atInfo().addKeyValue("repo", repo).addKeyValue("ref", req.ref()).addKeyValue("sha", req.headSha())
        .addKeyValue("event", req.event()).addKeyValue(LogFields.TRUST_TIER, decision.tier().wire())
        .addKeyValue("held", decision.hold().map(HoldReason::wire).orElse(null)).addKeyValue("runs", ids).log("runs created");
    return ids;
  }

  /** Inserts the job where the policy places it, or as UNSCHEDULABLE (on no pool) with the reason. */
  private void insertPlaced(Handle h, long runId, JobSpec job, TrustTier trust, Duration wait, long now) {
    switch (policy.place(job.runsOn(), trust)) {
      case Placement.Placed p -> store.insertJob(h, runId, job, plan(job), p.atLeast(), p.pools(), wait, now);
      case Placement.Unschedulable u -> {
        long id = store.insertJob(h, runId, job, plan(job), policy.weakestFor(trust), Optional.of(List.of()), wait, now);
        store.transition(h, id, JobState.PENDING, JobState.UNSCHEDULABLE, JobUpdate.finished(now, null, u.reason()));
        LOG.atInfo().addKeyValue("run_id", runId).addKeyValue("job", job.id()).addKeyValue("trust", trust.wire())
            .addKeyValue("reason", u.reason()).log("job unschedulable");
      }
    }
  }

  /** Inserts the job on no pool and cancels it with its environment's refusal, audited. */
  private void refuse(Handle h, long runId, JobSpec job, TrustTier trust, JobGate.Refused r, long now) {
    long id = store.insertJob(h, runId, job, plan(job), policy.weakestFor(trust), Optional.of(List.of()), Duration.ZERO, now);
    String reason = "refused by its environment: " + r.reason();
    store.transition(h, id, JobState.PENDING, JobState.CANCELLED, JobUpdate.finished(now, null, reason));
    audit.record(h, SERVER_ACTOR, AuditAction.ENVIRONMENT_REFUSED, runId, r.environment(),
        Map.of("job", job.id(), "environment", r.environment(), "why", r.reason(), "tier", trust.wire()));
    LOG.atInfo().addKeyValue("run_id", runId).addKeyValue("job", job.id()).addKeyValue("environment", r.environment())
        .addKeyValue("reason", r.reason()).log("job refused by its environment");
  }

  private void holdForReview(Handle h, long runId, TrustTier tier, long now) {
    holds.insert(h, runId, HoldReason.ENVIRONMENT_REVIEW, APPROVER_ROLE, now, now + holdTtl.toMillis());
    audit.record(h, SERVER_ACTOR, AuditAction.RUN_HELD, runId, null, Map.of(
        "reason", HoldReason.ENVIRONMENT_REVIEW.wire(), "tier", tier.wire(),
        "why", "a job's environment requires a reviewer's approval", "approverRole", APPROVER_ROLE,
        "expiresAt", now + holdTtl.toMillis()));
  }

  private void hold(Handle h, long runId, TrustDecision decision, long now) {
    HoldReason reason = decision.hold().orElseThrow();
    holds.insert(h, runId, reason, APPROVER_ROLE, now, now + holdTtl.toMillis());
    audit.record(h, SERVER_ACTOR, AuditAction.RUN_HELD, runId, null, Map.of(
        "reason", reason.wire(), "tier", decision.tier().wire(), "why", decision.why(), "approverRole", APPROVER_ROLE,
        "expiresAt", now + holdTtl.toMillis()));
  }

  private static WorkflowException tooLarge(GitReader.WorkflowFile file) {
    return new WorkflowException(List.of(new WorkflowException.Problem(file.path(), 1, 1,
        "workflow file is " + file.size() + " bytes; the limit is " + WorkflowParser.MAX_BYTES + " bytes")));
  }

  private static String baseName(String path) {
    String name = path.substring(path.lastIndexOf('/') + 1);
    return name.replaceFirst("\\.ya?ml$", "");
  }

  private static JobPlan plan(JobSpec job) {
    return new JobPlan(job.env(), job.steps().stream().map(RunService::step).toList(), job.image().orElse(null));
  }

  private static JobAssignment.Step step(StepSpec s) {
    return new JobAssignment.Step(s.name(), s.run(), s.secrets());
  }

  public RunView view(long runId) {
    return jdbi.withHandle(h -> {
      RunRow run = store.run(h, runId).orElseThrow(() -> ApiException.notFound("no run " + runId));
      return RunView.of(run, store.jobsOfRun(h, runId), holds.find(h, runId));
    });
  }

  public List<RunView> list(int limit) {
    return jdbi.withHandle(h -> store.runs(h, limit).stream()
        .map(r -> RunView.of(r, store.jobsOfRun(h, r.id()), holds.find(h, r.id()))).toList());
  }

  public JobRow job(long jobId) {
    return jdbi.withHandle(h -> store.job(h, jobId)).orElseThrow(() -> ApiException.notFound("no job " + jobId));
  }

  /** Cancels every unfinished job of a run; agents running them are told on their next poll. */
  public RunView cancel(long runId) {
    long now = clock.millis();
    jdbi.useTransaction(h -> {
      store.run(h, runId).orElseThrow(() -> ApiException.notFound("no run " + runId));
      if (holds.state(h, runId) == HoldState.PENDING) {
        throw ApiException.conflict("run " + runId + " is held; a " + APPROVER_ROLE + " rejects it instead");
      }
      for (JobRow job : store.jobsOfRun(h, runId)) {
        if (!job.state().terminal()) {
          store.transition(h, job.id(), job.state(), JobState.CANCELLED, JobUpdate.finished(now, null, "cancelled"));
        }
      }
      advance(h, runId, now);
    });
    dispatch.signalAll();
    LOG.atInfo().addKeyValue("run_id", runId).log("run cancelled");
    return view(runId);
  }

  /**
   * Hands up to {@code capacity} minus the jobs it already holds of the queued jobs whose labels the
   * agent serves, whose image (if they name one) is the one its pool runs, and whose placement
   * admits the agent's pool and sandbox tier, to it (state DISPATCHED with an ack deadline). A job
   * never goes to a pool its placement did not admit, whatever labels the agent claims. Each
   * assignment carries the job credential minted for this dispatch (in the same transaction).
   */
  public List<JobAssignment> claim(String agentId, String agentPool, List<String> agentLabels, String agentImage,
      IsolationTier agentTier, int capacity) {
    long now = clock.millis();
    var served = new HashSet<>(agentLabels);
    return jdbi.inTransaction(h -> {
      List<JobAssignment> out = new ArrayList<>();
      int free = capacity - store.heldBy(h, agentId);
      for (JobRow job : free <= 0 ? List.<JobRow>of() : store.queued(h, 100, now)) {
        if (out.size() == free) break;
        if (!served.containsAll(job.labels()) || !job.mayRunOn(agentPool, agentTier)) continue;
        String image = job.plan().image();
        if (image != null && !image.equals(agentImage)) continue;
        if (store.transition(h, job.id(), JobState.QUEUED, JobState.DISPATCHED,
            JobUpdate.dispatched(agentId, now + ackTimeout.toMillis()))) {
          Long queuedAt = h.createQuery("SELECT queued_at FROM jobs WHERE id = :id").bind("id", job.id())
              .mapTo(Long.class).findOne().orElse(null);
          if (queuedAt != null) metrics.queueWaited(agentPool, Duration.ofMillis(now - queuedAt));
          JobAssignment a = assignment(h, job, credentials.mint(h, job.id(), agentId, agentPool, agentTier));
          out.add(a);
          LOG.atInfo().addKeyValue(LogFields.JOB_ID, a.jobId()).addKeyValue(LogFields.RUN_ID, a.runId())
              .addKeyValue(LogFields.REPO, a.repo()).addKeyValue(LogFields.SHA, a.sha()).addKeyValue(LogFields.POOL, agentPool)
              .addKeyValue(LogFields.AGENT, agentId).addKeyValue(LogFields.TIER, agentTier.wire())
              .addKeyValue(LogFields.TRUST_TIER, store.run(h, a.runId()).map(RunRow::trustTier).orElse(null))
              .addKeyValue("image", a.image()).log("job dispatched");
        }
      }
      return out;
    });
  }

  /** The job as sent to the agent: its plan, the outputs of the jobs it needs, its credential. */
  private JobAssignment assignment(Handle h, JobRow job, String jobToken) {
    RunRow run = store.run(h, job.runId()).orElseThrow();
    var env = new java.util.LinkedHashMap<>(dev.moat.server.ctx.JobOutputs.forNeeds(h, run.id(), job.needs()));
    env.putAll(job.plan().env());
    return new JobAssignment(job.id(), run.id(), run.repo(), run.ref(), run.sha(), run.workflowName(), job.name(),
        env, Math.max(1, job.timeoutMs() / 1000), job.plan().steps(), job.plan().image(), jobToken);
  }

  /**
   * Renews the leases of the jobs an agent says it runs. Returns those it must stop: cancelled,
   * finished, or no longer its own.
   */
  public List<Long> renew(String agentId, List<Long> running) {
    if (running.isEmpty()) return List.of();
    long lease = clock.millis() + leaseTtl.toMillis();
    return jdbi.inTransaction(h -> running.stream().filter(id -> !store.renewLease(h, id, agentId, lease)).toList());
  }

  /** The agent acknowledges an assignment and starts it. */
  public void start(String agentId, long jobId) {
    long now = clock.millis();
    jdbi.useTransaction(h -> {
      JobRow job = ownJob(h, agentId, jobId);
      if (!store.transition(h, jobId, JobState.DISPATCHED, JobState.RUNNING, JobUpdate.started(now, now + leaseTtl.toMillis()))) {
        throw ApiException.conflict("job " + jobId + " is " + job.state().wire() + ", not dispatched");
      }
      advance(h, job.runId(), now);
    });
  }

  /** Records how a job ended on its agent. A job already ended (e.g. cancelled) is a conflict. */
  public void finish(String agentId, long jobId, JobResult result) {
    long now = clock.millis();
    JobState to = JobState.ofWire(result.state());
    jdbi.useTransaction(h -> {
      JobRow job = ownJob(h, agentId, jobId);
      if (job.state() != JobState.RUNNING
          || !store.transition(h, jobId, JobState.RUNNING, to, JobUpdate.finished(now, result.exitCode(), result.message(), result.egressDenials()))) {
        throw ApiException.conflict("job " + jobId + " is " + job.state().wire() + ", not running");
      }
      advance(h, job.runId(), now);
      long started = job.startedAt() != null ? job.startedAt() : now;
      String pool = poolOf(h, agentId);
      String tier = tierOf(h, jobId);
      metrics.jobEnded(pool, to.wire(), Duration.ofMillis(now - started), result.egressDenials());
      if (result.sandboxStartMillis() != null) metrics.sandboxStarted(tier, Duration.ofMillis(result.sandboxStartMillis()));
      if (result.imageIntegrityFailure()) metrics.imageIntegrityFailure();
      LOG.atInfo().addKeyValue(LogFields.JOB_ID, jobId).addKeyValue(LogFields.RUN_ID, job.runId())
          .addKeyValue(LogFields.POOL, pool).addKeyValue(LogFields.AGENT, agentId).addKeyValue(LogFields.TIER, tier)
          .addKeyValue(LogFields.STATUS, result.state()).addKeyValue(LogFields.EXIT_CODE, result.exitCode())
          .addKeyValue(LogFields.EGRESS, result.egressDenials() > 0 ? "denied" : "allowed")
          .addKeyValue(LogFields.EGRESS_DENIALS, result.egressDenials()).log("job finished");
    });
    dispatch.signalAll();
  }

  /** The sandbox tier the job was claimed on (its credential's), for a metric label ({@code unknown} when there is none). */
  private static String tierOf(Handle h, long jobId) {
    return h.createQuery("SELECT sandbox_tier FROM job_credentials WHERE job_id = :id").bind("id", jobId).mapTo(String.class)
        .findOne().orElse("unknown");
  }

  /** The pool of the agent, for a metric label ({@code unknown} when there is none). */
  private static String poolOf(Handle h, String agentId) {
    if (agentId == null) return "unknown";
    return h.createQuery("SELECT pool FROM agents WHERE id = :id").bind("id", agentId).mapTo(String.class).findOne()
        .orElse("unknown");
  }

  private JobRow ownJob(Handle h, String agentId, long jobId) {
    JobRow job = store.job(h, jobId).orElseThrow(() -> ApiException.notFound("no job " + jobId));
    if (!agentId.equals(job.agentId())) throw ApiException.forbidden("job " + jobId + " is not assigned to this agent");
    return job;
  }

  /**
   * Enforces deadlines: unacknowledged dispatches go back to the queue, jobs whose agent stopped
   * renewing the lease become LOST, and running jobs far past their timeout become TIMED_OUT.
   */
  public void reap(Duration timeoutGrace) {
    long now = clock.millis();
    boolean changed = jdbi.inTransaction(h -> {
      boolean any = false;
      for (long id : store.overdue(h, JobState.DISPATCHED, "ack_deadline", now)) {
        String agent = store.job(h, id).map(JobRow::agentId).orElse(null);
        if (store.transition(h, id, JobState.DISPATCHED, JobState.QUEUED, JobUpdate.queued(now))) {
          metrics.retried(poolOf(h, agent));
          LOG.atWarn().addKeyValue(LogFields.JOB_ID, id).addKeyValue(LogFields.AGENT, agent).addKeyValue(LogFields.POOL, poolOf(h, agent))
              .log("dispatch not acknowledged in time; job queued again");
          any = true;
        }
      }
      for (long id : store.overdue(h, JobState.RUNNING, "lease_expires", now)) {
        String agent = store.job(h, id).map(JobRow::agentId).orElse(null);
        if (endAndAdvance(h, id, JobState.LOST, "the agent stopped renewing its lease", now)) {
          metrics.lost(poolOf(h, agent));
          LOG.atWarn().addKeyValue(LogFields.JOB_ID, id).addKeyValue(LogFields.AGENT, agent).addKeyValue(LogFields.POOL, poolOf(h, agent))
              .addKeyValue(LogFields.STATUS, JobState.LOST.wire()).log("job lost: its agent stopped renewing the lease");
          any = true;
        }
      }
      for (long id : store.pastTimeout(h, now, timeoutGrace.toMillis())) {
        any |= endAndAdvance(h, id, JobState.TIMED_OUT, "timed out (the agent did not end it)", now);
      }
      return any;
    });
    if (changed) dispatch.signalAll();
  }

  private boolean endAndAdvance(Handle h, long jobId, JobState to, String reason, long now) {
    if (!store.transition(h, jobId, JobState.RUNNING, to, JobUpdate.finished(now, null, reason))) return false;
    LOG.atWarn().addKeyValue("job_id", jobId).addKeyValue("status", to.wire()).log(reason);
    advance(h, store.job(h, jobId).orElseThrow().runId(), now);
    return true;
  }

  /**
   * Queued jobs each pool may take (a job without a placement counts for every pool), for the
   * {@code moat_queue_depth} gauge. At most 10,000 jobs are looked at.
   */
  public long queuedFor(String pool) {
    long now = clock.millis();
    return jdbi.withHandle(h -> store.queued(h, 10_000, now).stream()
        .filter(j -> j.pools().map(p -> p.contains(pool)).orElse(true)).count());
  }

  /** Runs held now, waiting for a decision, by the hold's reason (its wire name). */
  public long heldFor(String reason) {
    return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM holds WHERE decision IS NULL AND reason = :r")
        .bind("r", reason).mapTo(Long.class).one());
  }

  /** After a restart: leases restart from now, so connected agents keep their jobs. */
  public void graceLeases() {
    jdbi.useHandle(h -> store.graceLeases(h, clock.millis() + leaseTtl.toMillis()));
  }

  /**
   * Queues or skips dependants per the DAG, then derives and stores the run's status. A run whose
   * hold is not approved queues nothing (invariant I5).
   */
  void advance(Handle h, long runId, long now) {
    List<JobRow> jobs = store.jobsOfRun(h, runId);
    HoldState hold = holds.state(h, runId);
    if (hold != HoldState.NONE && hold != HoldState.APPROVED) {
      store.updateRunStatus(h, runId, RunStatus.of(jobs.stream().map(JobRow::state).toList(), hold), now);
      return;
    }
    Map<String, List<String>> needs = new LinkedHashMap<>();
    Map<String, JobState> states = new LinkedHashMap<>();
    Map<String, Long> ids = new LinkedHashMap<>();
    for (JobRow j : jobs) {
      needs.put(j.key(), j.needs());
      states.put(j.key(), j.state());
      ids.put(j.key(), j.id());
    }
    var decisions = new RunGraph(needs).next(states);
    for (String key : decisions.toQueue()) {
      store.transition(h, ids.get(key), JobState.PENDING, JobState.QUEUED, JobUpdate.queued(now));
      store.startWait(h, ids.get(key), now);
      states.put(key, JobState.QUEUED);
    }
    for (String key : decisions.toSkip()) {
      store.transition(h, ids.get(key), JobState.PENDING, JobState.SKIPPED,
          JobUpdate.finished(now, null, "a job it needs did not succeed"));
      states.put(key, JobState.SKIPPED);
    }
    store.updateRunStatus(h, runId, RunStatus.of(states.values(), hold), now);
  }
}
