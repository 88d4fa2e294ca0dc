package dev.moat.agent;

import dev.moat.common.log.LogFields;
import dev.moat.common.tar.TarExtractor;
import dev.moat.common.wire.JobAssignment;
import dev.moat.common.wire.JobResult;
import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.SandboxTier;
import dev.moat.sandbox.ctx.CtxServer;
import dev.moat.sandbox.image.ImageIntegrityException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one assigned job: acknowledges it, fetches the source into a fresh workspace (the agent's
 * credential stays outside the sandbox), runs each step with {@code /bin/sh -e -c} in a new sandbox,
 * ships the log, reports the result, and deletes the workspace. {@link #stop()} (cancel, or the
 * server took the job back) kills the whole sandbox. One thread runs {@link #run()}; {@code stop} may
 * come from any thread.
 */
final class JobRunner implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);
  private static final long MAX_SOURCE_BYTES = 2L << 30;
  private final JobAssignment job;
  private final ServerClient server;
  private final SandboxTier tier;
  private final Workspaces workspaces;
  private final AtomicBoolean stopped = new AtomicBoolean();
  private final AtomicReference<Sandbox> sandbox = new AtomicReference<>();
  /** How long the sandbox took to create, reported with the result; null until it was. */
  private volatile Duration sandboxStart;

  private final Optional<String> image;
  private final Path ctxHelper;
  /** The fields every log line of this job carries, in the MDC of each thread that works for it. */
  private final Map<String, String> logFields;

  /**
   * @param ctxHelper the built {@code moat-ctx} ({@link dev.moat.sandbox.ctx.CtxHelper}), or null when
   *     this agent could not build it: its jobs then have no ctx socket
   */
  JobRunner(JobAssignment job, ServerClient server, SandboxTier tier, Workspaces workspaces, Optional<String> image,
      Path ctxHelper, String agentId, String pool) {
    this.job = job;
    var fields = new LinkedHashMap<String, String>();
    fields.put(LogFields.JOB_ID, Long.toString(job.jobId()));
    fields.put(LogFields.RUN_ID, Long.toString(job.runId()));
    fields.put(LogFields.REPO, job.repo());
    fields.put(LogFields.SHA, job.sha());
    fields.put(LogFields.AGENT, agentId);
    fields.put(LogFields.POOL, pool);
    fields.put(LogFields.TIER, tier.name());
    tier.imageDigest().ifPresent(d -> fields.put(LogFields.IMAGE_DIGEST, d));
    this.logFields = Map.copyOf(fields);
    this.ctxHelper = ctxHelper;
    this.image = image;
    this.server = server;
    this.tier = tier;
    this.workspaces = workspaces;
  }

  long jobId() {
    return job.jobId();
  }

  /** Kills the job's sandbox; the job ends as cancelled. Idempotent. */
  void stop() {
    stopped.set(true);
    Sandbox s = sandbox.get();
    if (s != null) s.kill();
  }

  @Override
  public void run() {
    MDC.setContextMap(logFields);
    try {
      runJob();
    } finally {
      MDC.clear();
    }
  }

  private void runJob() {
    try {
      server.start(job.jobId());
    } catch (IOException e) {
      LOG.atWarn().addKeyValue("error", e.getMessage()).log("could not acknowledge job; dropping it");
      return;
    }
    LOG.info("job started");
    var logs = new MaskedLog(new LogShipper(batch -> server.logs(job.jobId(), batch).next(), Long.toString(job.jobId())));
    JobResult result;
    long denials = 0;
    boolean integrityFailure = false;
    Path workspace = null;
    try {
      workspace = workspaces.create(job.jobId());
      result = execute(workspace, logs);
    } catch (IOException | RuntimeException e) {
      integrityFailure = e instanceof ImageIntegrityException;
      LOG.atError().setCause(e).log("job could not run");
      logs.line("moat: the job could not run: " + e.getMessage());
      result = new JobResult("failed", null, "the agent could not run the job: " + e.getMessage());
    } finally {
      Sandbox s = sandbox.getAndSet(null);
      if (s != null) {
        denials = reportDenials(s, logs);
        s.close();
      }
    }
    Duration start = sandboxStart;
    finish(logs, result.withEgressDenials(denials).withSandbox(start == null ? null : start.toMillis(), integrityFailure));
    if (workspace != null) workspaces.delete(workspace);
  }

  /**
   * Tells the user, and the agent's log, how many connections the pool's egress policy refused,
   * and returns the count for the job's result (0 when it can't be read: the log says so).
   */
  private long reportDenials(Sandbox s, MaskedLog logs) {
    try {
      long denied = s.egressDenials();
      if (denied == 0) return 0;
      logs.line("==> egress: " + denied + " connection(s) refused by the pool's egress policy");
      LOG.atWarn().addKeyValue(LogFields.EGRESS, "denied").addKeyValue(LogFields.EGRESS_DENIALS, denied)
          .log("egress denied: the pool's egress policy refused connections");
      return denied;
    } catch (IOException | RuntimeException e) {
      LOG.atWarn().addKeyValue("error", e.toString()).log("could not read egress denials");
      return 0;
    }
  }

  private JobResult execute(Path workspace, MaskedLog logs) throws IOException {
    if (job.image() != null && !image.equals(Optional.of(job.image()))) {
      // The server matches images; this is the agent's own check that a pool never runs another.
      String offered = image.map(i -> "only image " + i).orElse("no image (its sandboxes run over the host's /usr)");
      logs.line("moat: this pool runs " + offered + "; the job asks for image " + job.image());
      return new JobResult("failed", null, "image " + job.image() + " is not allowed on this pool");
    }
    var sourceDigest = sha256();
    try (var source = new java.security.DigestInputStream(server.source(job.jobId()), sourceDigest)) {
      new TarExtractor(workspace, MAX_SOURCE_BYTES, 200_000).extract(source);
      source.transferTo(java.io.OutputStream.nullOutputStream());
    }
    LOG.atInfo().addKeyValue("artifact", "source")
        .addKeyValue(LogFields.ARTIFACT_SHA256, java.util.HexFormat.of().formatHex(sourceDigest.digest())).log("source fetched");
    long t0 = System.nanoTime();
    sandbox.set(tier.create(new SandboxSpec("job-" + job.jobId(), workspace, ctxHelper)));
    sandboxStart = Duration.ofNanos(System.nanoTime() - t0);
    LOG.atInfo().addKeyValue("start_ms", sandboxStart.toMillis()).log("sandbox started");
    if (stopped.get()) sandbox.get().kill();
    JobCtx ctx = new JobCtx(server, job.jobToken(), logs, logFields);
    Optional<java.nio.file.Path> socket = sandbox.get().ctxSocket();
    try (CtxServer _ = socket.isEmpty() ? null : CtxServer.start(socket.get(), ctx, "job-" + job.jobId())) {
      return steps(ctx, socket.isPresent(), logs);
    }
  }

  private JobResult steps(JobCtx ctx, boolean hasCtx, MaskedLog logs) throws IOException {
    Instant deadline = Instant.now().plusSeconds(job.timeoutSeconds());
    List<JobAssignment.Step> steps = job.steps();
    for (int i = 0; i < steps.size(); i++) {
      var step = steps.get(i);
      logs.line("==> step " + (i + 1) + "/" + steps.size() + ": " + step.name());
      String which = "step " + (i + 1) + " (" + step.name() + ")";
      ctx.step(which);
      Map<String, String> env = env(hasCtx);
      // I7: the step's own secrets, fetched just in time, in this step's environment only. Without
      // moat-ctx the oci tier would have to put them in config.json, on disk: refused instead.
      if (!step.secrets().isEmpty() && !hasCtx) {
        logs.line("==> " + which + " needs secrets, but this agent has no moat-ctx (install gcc and libc6-dev)");
        return new JobResult("failed", null, which + " needs secrets, but the agent has no moat-ctx to hand them over");
      }
      if (!step.secrets().isEmpty()) LOG.atInfo().addKeyValue(LogFields.SECRETS, step.secrets()).log("step asks for secrets");
      for (String name : step.secrets()) {
        try {
          env.put(name, ctx.secret(name).revealText());
        } catch (ServerClient.Rejected e) {
          logs.line("==> " + which + " was refused secret " + name + ": " + e.detail);
          return new JobResult("failed", null, which + " was refused secret " + name + ": " + e.detail);
        }
      }
      ExecResult r = sandbox.get().exec(List.of("/bin/sh", "-e", "-c", step.run()), env, logs::write, deadline);
      if (r.limitsHit().contains(ExecResult.LimitHit.PIDS)) {
        logs.line("==> " + which + " hit the job's process limit: a fork or thread was refused");
      }
      switch (r.outcome()) {
        case EXITED -> {
          if (r.exitCode() != 0 && r.limitsHit().contains(ExecResult.LimitHit.MEMORY)) {
            logs.line("==> " + which + " ran out of memory: the kernel killed a process at the job's memory limit");
            return new JobResult("failed", r.exitCode(), which + " ran out of memory (exit " + r.exitCode() + ")");
          }
          if (r.exitCode() != 0) {
            logs.line("==> " + which + " failed with exit code " + r.exitCode());
            return new JobResult("failed", r.exitCode(), which + " exited with " + r.exitCode());
          }
        }
        case TIMED_OUT -> {
          logs.line("==> the job exceeded its timeout of " + Duration.ofSeconds(job.timeoutSeconds()) + " and was killed");
          return new JobResult("timed_out", null, "exceeded the timeout of " + job.timeoutSeconds() + "s in " + which);
        }
        case KILLED -> {
          logs.line("==> the job was cancelled");
          return new JobResult("cancelled", null, "cancelled during " + which);
        }
      }
    }
    return new JobResult("succeeded", 0, "all " + steps.size() + " steps succeeded");
  }

  private static java.security.MessageDigest sha256() {
    try {
      return java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private Map<String, String> env(boolean hasCtx) {
    var env = new LinkedHashMap<String, String>();
    String path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    env.put("PATH", hasCtx ? path + ":" + SandboxSpec.CTX_BIN : path);
    if (hasCtx) env.put("MOAT_CTX", SandboxSpec.CTX_SOCKET);
    env.put("HOME", SandboxSpec.WORKSPACE);
    env.put("LANG", "C.UTF-8");
    env.put("CI", "true");
    env.put("MOAT", "true");
    env.put("MOAT_RUN_ID", Long.toString(job.runId()));
    env.put("MOAT_JOB_ID", Long.toString(job.jobId()));
    env.put("MOAT_REPO", job.repo());
    env.put("MOAT_REF", job.ref());
    env.put("MOAT_SHA", job.sha());
    env.put("MOAT_WORKFLOW", job.workflow());
    env.put("MOAT_JOB", job.job());
    env.putAll(job.env());
    return env;
  }

  /** Ships the whole log, then the result; both are retried until the server answers. */
  private void finish(MaskedLog logs, JobResult result) {
    try {
      logs.close();
      Retry.untilAnswered(() -> server.finish(job.jobId(), result), stopped::get);
      LOG.atInfo().addKeyValue(LogFields.STATUS, result.state()).addKeyValue(LogFields.EXIT_CODE, result.exitCode())
          .addKeyValue(LogFields.EGRESS, result.egressDenials() > 0 ? "denied" : "allowed")
          .addKeyValue(LogFields.EGRESS_DENIALS, result.egressDenials()).log("job finished");
    } catch (ServerClient.Rejected e) {
      LOG.atInfo().addKeyValue("error", e.getMessage()).log("server did not take the result");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
