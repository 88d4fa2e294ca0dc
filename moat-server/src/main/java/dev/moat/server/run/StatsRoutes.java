package dev.moat.server.run;

import dev.moat.server.auth.ApiTokens;
import dev.moat.server.auth.Role;
import dev.moat.server.http.Http;
import io.javalin.config.RoutesConfig;
import java.time.Duration;

/** {@code GET /api/v1/stats?window=SECONDS} (default a day): the {@link ServiceLevels}, for any user. */
public final class StatsRoutes {
  private final ApiTokens tokens;
  private final ServiceLevels levels;

  public StatsRoutes(ApiTokens tokens, ServiceLevels levels) {
    this.tokens = tokens;
    this.levels = levels;
  }

  public void register(RoutesConfig r) {
    r.get("/api/v1/stats", ctx -> {
      tokens.require(ctx, Role.VIEWER);
      long window = Http.queryLong(ctx, "window", Duration.ofDays(1).toSeconds(), 1, Duration.ofDays(366).toSeconds());
      Http.json(ctx, 200, levels.over(Duration.ofSeconds(window)));
    });
  }
}
