package dev.moat.server.agent;

import dev.moat.common.wire.JobResult;
import dev.moat.common.wire.LogBatch;
import dev.moat.common.wire.PollRequest;
import dev.moat.common.wire.PollResponse;
import dev.moat.common.wire.RegisterRequest;
import dev.moat.engine.JobState;
import dev.moat.engine.placement.IsolationTier;
import dev.moat.server.auth.ApiTokens;
import dev.moat.server.event.Wakeup;
import dev.moat.server.http.ApiException;
import dev.moat.server.http.Http;
import dev.moat.server.repo.GitReader;
import dev.moat.server.repo.RepoService;
import dev.moat.server.run.LogService;
import dev.moat.server.run.RunService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.List;

/**
 * The agent protocol (see {@code dev.moat.common.wire}) plus the admin route that mints
 * registration tokens. Polls block on a virtual thread until there is work, a stop, or
 * {@code pollWait} has passed.
 */
public final class AgentRoutes {
  /** Body of {@code POST /api/v1/tokens}; {@code labels} (optional) are what the agent may serve. */
  public record TokenRequest(String pool, Long ttlSeconds, List<String> labels) {}

  private final ApiTokens tokens;
  private final AgentService agents;
  private final RunService runs;
  private final LogService logs;
  private final RepoService repos;
  private final GitReader git;
  private final Wakeup dispatch;
  private final Duration pollWait;

  public AgentRoutes(ApiTokens tokens, AgentService agents, RunService runs, LogService logs, RepoService repos,
      GitReader git, Wakeup dispatch, Duration pollWait) {
    this.tokens = tokens;
    this.agents = agents;
    this.runs = runs;
    this.logs = logs;
    this.repos = repos;
    this.git = git;
    this.dispatch = dispatch;
    this.pollWait = pollWait;
  }

  public void register(RoutesConfig r) {
    r.post("/api/v1/tokens", ctx -> {
      tokens.requireAdmin(ctx);
      var req = Http.body(ctx, TokenRequest.class);
      Http.json(ctx, 201, agents.createToken(req.pool(), req.labels() == null ? List.of() : req.labels(),
          Duration.ofSeconds(req.ttlSeconds() == null ? 3600 : req.ttlSeconds())));
    });
    r.post("/api/v1/agents/register", ctx -> Http.json(ctx, 201, agents.register(Http.body(ctx, RegisterRequest.class))));
    r.post("/api/v1/agent/poll", ctx -> Http.json(ctx, 200, poll(agent(ctx), Http.body(ctx, PollRequest.class))));
    r.post("/api/v1/agent/jobs/{id}/start", ctx -> {
      runs.start(agent(ctx).id(), Http.idParam(ctx, "id"));
      ctx.status(204);
    });
    r.post("/api/v1/agent/jobs/{id}/logs", ctx -> {
      var agent = agent(ctx);
      Http.json(ctx, 200, logs.append(agent.id(), Http.idParam(ctx, "id"), Http.body(ctx, LogBatch.class, 8 << 20)));
    });
    r.post("/api/v1/agent/jobs/{id}/finish", ctx -> {
      var agent = agent(ctx);
      long job = Http.idParam(ctx, "id");
      JobResult result = Http.body(ctx, JobResult.class);
      logs.complete(agent.id(), job);
      runs.finish(agent.id(), job, result);
      ctx.status(204);
    });
    r.get("/api/v1/agent/jobs/{id}/source", ctx -> source(ctx, agent(ctx)));
  }

  private AgentService.Agent agent(Context ctx) {
    return agents.authenticate(Http.bearer(ctx));
  }

  /** Renews leases, then hands out stops and work; waits for either until {@code pollWait}. */
  private PollResponse poll(AgentService.Agent agent, PollRequest req) {
    long deadline = System.nanoTime() + pollWait.toNanos();
    IsolationTier tier = IsolationTier.ofWire(req.tier());
    agents.reportedTier(agent, tier);
    while (true) {
      if (dispatch.closed()) return PollResponse.empty();
      long seen = dispatch.generation();
      var stop = runs.renew(agent.id(), req.running());
      int capacity = req.capacity();
      var assignments = runs.claim(agent.id(), agent.pool(), agent.labels(), req.image(), tier, capacity);
      long left = deadline - System.nanoTime();
      if (!stop.isEmpty() || !assignments.isEmpty() || left <= 0 || Thread.currentThread().isInterrupted()) {
        return new PollResponse(assignments, stop);
      }
      dispatch.await(seen, Duration.ofNanos(left));
    }
  }

  private void source(Context ctx, AgentService.Agent agent) throws java.io.IOException {
    var job = runs.job(Http.idParam(ctx, "id"));
    if (!agent.id().equals(job.agentId())) throw ApiException.forbidden("job " + job.id() + " is not assigned to this agent");
    if (job.state() != JobState.DISPATCHED && job.state() != JobState.RUNNING) {
      throw ApiException.conflict("job " + job.id() + " is " + job.state().wire() + "; its source is no longer served");
    }
    var run = runs.view(job.runId());
    var repo = repos.require(run.repo());
    ctx.status(200).contentType("application/x-tar");
    try (var out = ctx.outputStream()) {
      git.archive(repo.path(), run.sha(), out);
    }
  }

}
