package dev.moat.server.repo;

import dev.moat.server.auth.ApiTokens;
import dev.moat.server.auth.Role;
import dev.moat.server.http.Http;
import io.javalin.config.RoutesConfig;
import java.util.function.Supplier;

/** The API for registering repositories (admin) and listing them (viewer). */
public final class RepoRoutes {
  /**
   * Body of {@code POST /api/v1/repos}.
   *
   * @param allowedSigners optional SSH allowed_signers text: pushes are then trusted only when signed by one of its keys
   */
  public record AddRepo(String name, String path, String allowedSigners) {}

  /** Body of {@code PUT /api/v1/repos/{name}/allowed-signers}. */
  public record Signers(String signers) {}

  private final ApiTokens tokens;
  private final RepoService repos;
  private final Supplier<String> serverUrl;
  private final AllowedSigners signers;

  public RepoRoutes(ApiTokens tokens, RepoService repos, AllowedSigners signers, Supplier<String> serverUrl) {
    this.signers = signers;
    this.tokens = tokens;
    this.repos = repos;
    this.serverUrl = serverUrl;
  }

  public void register(RoutesConfig r) {
    r.post("/api/v1/repos", ctx -> {
      var admin = tokens.requireAdmin(ctx);
      var req = Http.body(ctx, AddRepo.class);
      if (req.allowedSigners() != null) AllowedSigners.validate(req.allowedSigners());
      var added = repos.add(req.name(), req.path(), serverUrl.get());
      if (req.allowedSigners() != null) signers.set(repos.require(req.name()), req.allowedSigners(), admin);
      Http.json(ctx, 201, added);
    });
    r.get("/api/v1/repos", ctx -> {
      tokens.require(ctx, Role.VIEWER);
      Http.json(ctx, 200, repos.list());
    });
    r.put("/api/v1/repos/{name}/allowed-signers", ctx -> {
      var admin = tokens.requireAdmin(ctx);
      var repo = repos.require(ctx.pathParam("name"));
      signers.set(repo, Http.body(ctx, Signers.class, AllowedSigners.MAX_BYTES * 2).signers(), admin);
      ctx.status(204);
    });
  }
}
