package dev.moat.server.audit;

import dev.moat.server.auth.ApiTokens;
import dev.moat.server.auth.Role;
import dev.moat.server.http.Http;
import io.javalin.config.RoutesConfig;
import java.util.Optional;

/** {@code GET /api/v1/audit?run=ID&limit=N}: the audit log, for maintainers and admins. */
public final class AuditRoutes {
  private final ApiTokens tokens;
  private final Audit audit;

  public AuditRoutes(ApiTokens tokens, Audit audit) {
    this.tokens = tokens;
    this.audit = audit;
  }

  public void register(RoutesConfig r) {
    r.get("/api/v1/audit", ctx -> {
      tokens.require(ctx, Role.MAINTAINER);
      Optional<Long> run = ctx.queryParam("run") == null ? Optional.empty()
          : Optional.of(Http.queryLong(ctx, "run", 0, 1, Long.MAX_VALUE));
      Http.json(ctx, 200, audit.list(run, (int) Http.queryLong(ctx, "limit", 1000, 1, 10_000)));
    });
  }
}
