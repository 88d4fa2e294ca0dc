package dev.moat.server.github;

import dev.moat.server.auth.ApiTokens;
import dev.moat.server.http.Http;
import io.javalin.config.RoutesConfig;
import java.util.function.Supplier;

/** The API for registering GitHub repositories (admin only). */
public final class GitHubRoutes {
  private final ApiTokens tokens;
  private final GitHubRepos repos;
  private final Supplier<String> serverUrl;

  public GitHubRoutes(ApiTokens tokens, GitHubRepos repos, Supplier<String> serverUrl) {
    this.tokens = tokens;
    this.repos = repos;
    this.serverUrl = serverUrl;
  }

  public void register(RoutesConfig r) {
    r.post("/api/v1/github/repos", ctx -> {
      tokens.requireAdmin(ctx);
      Http.json(ctx, 201, repos.register(Http.body(ctx, GitHubRepos.Register.class), serverUrl.get()));
    });
    r.get("/api/v1/github/repos", ctx -> {
      tokens.requireAdmin(ctx);
      Http.json(ctx, 200, repos.list(serverUrl.get()));
    });
  }
}
