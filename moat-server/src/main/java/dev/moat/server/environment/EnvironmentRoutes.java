package dev.moat.server.environment;

import dev.moat.engine.trust.TrustTier;
import dev.moat.server.auth.ApiTokens;
import dev.moat.server.auth.Role;
import dev.moat.server.http.ApiException;
import dev.moat.server.http.Http;
import io.javalin.config.RoutesConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The environment API: anyone with a token lists them; an admin creates and removes them (they are
 * protection rules, so a maintainer who manages secrets can't loosen them).
 */
public final class EnvironmentRoutes {
  /** Body of {@code POST /api/v1/environments}; absent fields: no scopes besides its own, any branch, trusted, no reviewer, no wait. */
  public record Create(String name, List<String> scopes, List<String> branches, String minTrust, Integer reviewers,
      Long waitSeconds) {}

  /** An environment as the API shows it. */
  public record View(String name, List<String> scopes, List<String> branches, String minTrust, int reviewers, long waitSeconds) {
    static View of(Environment e) {
      return new View(e.name(), e.scopes(), e.branches(), e.minTrust().wire(), e.reviewers(), e.waitTimer().toSeconds());
    }
  }

  private final ApiTokens tokens;
  private final Environments environments;

  public EnvironmentRoutes(ApiTokens tokens, Environments environments) {
    this.tokens = tokens;
    this.environments = environments;
  }

  public void register(RoutesConfig r) {
    r.get("/api/v1/environments", ctx -> {
      tokens.require(ctx, Role.VIEWER);
      Http.json(ctx, 200, environments.list().stream().map(View::of).toList());
    });
    r.post("/api/v1/environments", ctx -> {
      var admin = tokens.requireAdmin(ctx);
      Http.json(ctx, 201, View.of(environments.create(admin.actor(), environment(Http.body(ctx, Create.class)))));
    });
    r.delete("/api/v1/environments/{name}", ctx -> {
      var admin = tokens.requireAdmin(ctx);
      environments.remove(admin.actor(), ctx.pathParam("name"));
      Http.json(ctx, 200, Map.of("removed", ctx.pathParam("name")));
    });
  }

  private static Environment environment(Create c) {
    try {
      return new Environment(c.name(), c.scopes() == null ? List.of() : c.scopes(),
          c.branches() == null ? List.of() : c.branches(),
          c.minTrust() == null ? TrustTier.TRUSTED : TrustTier.ofWire(c.minTrust()),
          c.reviewers() == null ? 0 : c.reviewers(), Duration.ofSeconds(c.waitSeconds() == null ? 0 : c.waitSeconds()));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw ApiException.invalid(e.getMessage() == null ? "'name' is required" : e.getMessage());
    }
  }
}
