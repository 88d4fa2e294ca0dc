package dev.moat.server.repo;

import dev.moat.server.auth.ApiTokens;
import dev.moat.server.http.Http;
import io.javalin.config.RoutesConfig;
import java.util.function.Supplier;

/** The API for registering repositories. */
public final class RepoRoutes {
  /** Body of {@code POST /api/v1/repos}. */
  public record AddRepo(String name, String path) {}

  private final ApiTokens tokens;
  private final RepoService repos;
  private final Supplier<String> serverUrl;

  public RepoRoutes(ApiTokens tokens, RepoService repos, Supplier<String> serverUrl) {
    this.tokens = tokens;
    this.repos = repos;
    this.serverUrl = serverUrl;
  }

  public void register(RoutesConfig r) {
    r.post("/api/v1/repos", ctx -> {
      tokens.requireAdmin(ctx);
      var req = Http.body(ctx, AddRepo.class);
      Http.json(ctx, 201, repos.add(req.name(), req.path(), serverUrl.get()));
    });
    r.get("/api/v1/repos", ctx -> {
      tokens.requireAdmin(ctx);
      Http.json(ctx, 200, repos.list());
    });
  }
}
