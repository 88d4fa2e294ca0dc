package dev.moat.agent;

import dev.moat.common.tar.TarExtractor;
import dev.moat.common.wire.JobAssignment;
import dev.moat.common.wire.JobResult;
import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.SandboxTier;
import dev.moat.sandbox.ctx.CtxServer;
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

  private final Optional<String> image;
  private final Path ctxHelper;

  /**
   * @param ctxHelper the built {@code moat-ctx} ({@link dev.moat.sandbox.ctx.CtxHelper}), or null when
   *     this agent could not build it: its jobs then have no ctx socket
   */
  JobRunner(JobAssignment job, ServerClient server, SandboxTier tier, Workspaces workspaces, Optional<String> image,
      Path ctxHelper) {
    this.job = job;
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
    try {
      server.start(job.jobId());
    } catch (IOException e) {
      LOG.atWarn().addKeyValue("job_id", job.jobId()).addKeyValue("error", e.getMessage()).log("could not acknowledge job; dropping it");
      return;
    }
    LOG.atInfo().addKeyValue("job_id", job.jobId()).addKeyValue("run_id", job.runId()).addKeyValue("repo", job.repo())
        .addKeyValue("sha", job.sha()).log("job started");
    var logs = new MaskedLog(new LogShipper(batch -> server.logs(job.jobId(), batch).next(), Long.toString(job.jobId())));
    JobResult result;
    long denials = 0;
    Path workspace = null;
    try {
      workspace = workspaces.create(job.jobId());
      result = execute(workspace, logs);
    } catch (IOException | RuntimeException e) {
      LOG.atError().setCause(e).addKeyValue("job_id", job.jobId()).log("job could not run");
      logs.line("moat: the job could not run: " + e.getMessage());
      result = new JobResult("failed", null, "the agent could not run the job: " + e.getMessage());
    } finally {
      Sandbox s = sandbox.getAndSet(null);
      if (s != null) {
        denials = reportDenials(s, logs);
        s.close();
      }
    }
    finish(logs, result.withEgressDenials(denials));
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
      LOG.atWarn().addKeyValue("job_id", job.jobId()).addKeyValue("egress_denials", denied).log("egress denied");
      return denied;
    } catch (IOException | RuntimeException e) {
      LOG.atWarn().addKeyValue("job_id", job.jobId()).addKeyValue("error", e.toString()).log("could not read egress denials");
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
    try (var source = server.source(job.jobId())) {
      new TarExtractor(workspace, MAX_SOURCE_BYTES, 200_000).extract(source);
    }
    sandbox.set(tier.create(new SandboxSpec("job-" + job.jobId(), workspace, ctxHelper)));
    if (stopped.get()) sandbox.get().kill();
    JobCtx ctx = new JobCtx(server, job.jobToken(), logs, job.jobId());
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
      LOG.atInfo().addKeyValue("job_id", job.jobId()).addKeyValue("status", result.state())
          .addKeyValue("exit_code", result.exitCode()).log("job finished");
    } catch (ServerClient.Rejected e) {
      LOG.atInfo().addKeyValue("job_id", job.jobId()).addKeyValue("error", e.getMessage()).log("server did not take the result");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
