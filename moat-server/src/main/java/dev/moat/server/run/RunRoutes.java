package dev.moat.server.run;

import dev.moat.server.auth.ApiTokens;
import dev.moat.server.auth.Role;
import dev.moat.server.trust.Approvals;
import dev.moat.server.http.ApiException;
import dev.moat.server.http.Http;
import dev.moat.server.repo.RepoService;
import io.javalin.config.RoutesConfig;
import java.time.Duration;
import java.util.Map;

/**
 * The people's API for runs, jobs and logs. Every route needs an API token: viewers read, developers
 * trigger and cancel; approve and reject take any valid token and leave the role check (and its
 * audited refusal) to {@link Approvals}.
 */
public final class RunRoutes {
  /** Body of {@code POST /api/v1/runs}. */
  public record TriggerRequest(String repo, String ref) {}

  /** Optional body of {@code POST /api/v1/runs/{id}/approve} and {@code /reject}. */
  public record Decision(String comment) {}

  private final ApiTokens tokens;
  private final RunService runs;
  private final RunStarter starter;
  private final RepoService repos;
  private final LogService logs;
  private final Approvals approvals;

  public RunRoutes(ApiTokens tokens, RunService runs, RunStarter starter, RepoService repos, LogService logs, Approvals approvals) {
    this.approvals = approvals;
    this.tokens = tokens;
    this.runs = runs;
    this.starter = starter;
    this.repos = repos;
    this.logs = logs;
  }

  public void register(RoutesConfig r) {
    r.get("/api/v1/runs", ctx -> {
      tokens.require(ctx, Role.VIEWER);
      Http.json(ctx, 200, runs.list((int) Http.queryLong(ctx, "limit", 50, 1, 500)));
    });
    r.post("/api/v1/runs", ctx -> {
      tokens.require(ctx, Role.DEVELOPER);
      var req = Http.body(ctx, TriggerRequest.class);
      if (req.repo() == null || req.ref() == null) throw ApiException.invalid("repo and ref are required");
      var ids = starter.manual(repos.require(req.repo()), req.ref());
      Http.json(ctx, 201, ids.stream().map(runs::view).toList());
    });
    r.get("/api/v1/runs/{id}", ctx -> {
      tokens.require(ctx, Role.VIEWER);
      Http.json(ctx, 200, runs.view(Http.idParam(ctx, "id")));
    });
    r.post("/api/v1/runs/{id}/cancel", ctx -> {
      tokens.require(ctx, Role.DEVELOPER);
      Http.json(ctx, 200, runs.cancel(Http.idParam(ctx, "id")));
    });
    r.post("/api/v1/runs/{id}/approve", ctx -> {
      var who = new Approvals.Approver.MoatUser(tokens.authenticate(ctx));
      Http.json(ctx, 200, approvals.approve(Http.idParam(ctx, "id"), who, comment(ctx)));
    });
    r.post("/api/v1/runs/{id}/reject", ctx -> {
      var who = new Approvals.Approver.MoatUser(tokens.authenticate(ctx));
      Http.json(ctx, 200, approvals.reject(Http.idParam(ctx, "id"), who, comment(ctx)));
    });
    r.get("/api/v1/jobs/{id}/logs", ctx -> {
      tokens.require(ctx, Role.VIEWER);
      long job = Http.idParam(ctx, "id");
      runs.job(job);
      long from = Http.queryLong(ctx, "from", 0, 0, Long.MAX_VALUE);
      long waitSeconds = Http.queryLong(ctx, "wait", 0, 0, 60);
      var page = logs.read(job, from, Duration.ofSeconds(waitSeconds));
      Http.json(ctx, 200, Map.of("chunks", page.chunks(), "next", page.next(), "complete", page.complete()));
    });
  }

  private static String comment(io.javalin.http.Context ctx) {
    byte[] body = Http.bytes(ctx, 16 * 1024);
    if (body.length == 0) return null;
    String comment = Http.parse(body, Decision.class).comment();
    return comment == null || comment.isBlank() ? null : comment.strip();
  }
}
