package dev.moat.server.ctx;

import dev.moat.server.metrics.Metrics;
import dev.moat.common.secret.Secret;
import dev.moat.common.wire.CtxOutput;
import dev.moat.common.wire.CtxSecretValue;
import dev.moat.server.http.ApiException;
import dev.moat.server.http.Http;
import dev.moat.server.identity.JobCredentials;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/**
 * The server side of the ctx socket (contract 3): {@code GET /api/v1/ctx/secrets/{name}} and
 * {@code POST /api/v1/ctx/outputs}, authenticated by the job's own credential
 * ({@code Authorization: Bearer <jobToken>}), which only the agent holds: the sandbox talks to the
 * agent's socket, never to these routes. Which secrets a job gets, and the audit of each read or
 * denial, are the secret store's ({@link CtxBackends#secrets()}); a credential is valid only while
 * its job is dispatched or running ({@link JobCredentials#authenticate}). {@code GET
 * /api/v1/ctx/id-token} is the identity part's ({@code IdentityRoutes}). Thread-safe.
 */
public final class CtxRoutes {
  /** Longest step label ({@code ?step=}, for the audit) accepted. */
  static final int MAX_STEP = 200;
  private final JobCredentials credentials;
  private final CtxBackends backends;
  private final JobOutputs outputs;

  private final Metrics metrics;

  /** @param metrics counts secret fetches: ok, denied (refused to the job) or error */
  public CtxRoutes(JobCredentials credentials, CtxBackends backends, JobOutputs outputs, Metrics metrics) {
    this.metrics = metrics;
    this.credentials = credentials;
    this.backends = backends;
    this.outputs = outputs;
  }

  public void register(RoutesConfig r) {
    r.get("/api/v1/ctx/secrets/{name}", ctx -> {
      long job = job(ctx);
      String name = ctx.pathParam("name");
      String step = ctx.queryParam("step");
      if (step != null && step.length() > MAX_STEP) throw ApiException.invalid("step is longer than " + MAX_STEP + " characters");
      Secret value;
      try {
        value = backends.secrets().forJob(job, name, step);
      } catch (ApiException e) {
        metrics.secretFetch(e.status() < 500 ? "denied" : "error");
        throw e;
      } catch (RuntimeException e) {
        metrics.secretFetch("error");
        throw e;
      }
      metrics.secretFetch("ok");
      Http.json(ctx, 200, new CtxSecretValue(name, value.revealText()));
    });
    r.post("/api/v1/ctx/outputs", ctx -> {
      long job = job(ctx);
      CtxOutput output;
      try {
        output = Http.body(ctx, CtxOutput.class, 2 * CtxOutput.MAX_VALUE + 1024);
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid(e.getMessage());
      }
      outputs.set(job, output);
      ctx.status(204);
    });
  }

  private long job(Context ctx) {
    return credentials.authenticate(Http.bearer(ctx));
  }
}
