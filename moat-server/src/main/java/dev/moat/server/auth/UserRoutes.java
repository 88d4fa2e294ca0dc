package dev.moat.server.auth;

import dev.moat.server.http.Http;
import io.javalin.config.RoutesConfig;

/**
 * The admin API for users: add (with a first token, shown once), mint more tokens, change a role,
 * link a forge identity. Every route needs the admin role.
 */
public final class UserRoutes {
  /** Body of {@code POST /api/v1/users}. */
  public record AddUser(String name, String role) {}

  /** Body of {@code PUT /api/v1/users/{name}/role}. */
  public record SetRole(String role) {}

  /** Body of {@code POST /api/v1/users/{name}/identities}: the forge's numeric user id, and its login for display. */
  public record Link(String forge, Long id, String login) {}

  private final ApiTokens tokens;
  private final Users users;

  public UserRoutes(ApiTokens tokens, Users users) {
    this.tokens = tokens;
    this.users = users;
  }

  public void register(RoutesConfig r) {
    r.post("/api/v1/users", ctx -> {
      var admin = tokens.requireAdmin(ctx);
      var req = Http.body(ctx, AddUser.class);
      Http.json(ctx, 201, users.add(req.name(), req.role(), admin));
    });
    r.get("/api/v1/users", ctx -> {
      tokens.requireAdmin(ctx);
      Http.json(ctx, 200, users.list());
    });
    r.post("/api/v1/users/{name}/tokens", ctx -> {
      var admin = tokens.requireAdmin(ctx);
      Http.json(ctx, 201, users.mintToken(ctx.pathParam("name"), admin));
    });
    r.put("/api/v1/users/{name}/role", ctx -> {
      var admin = tokens.requireAdmin(ctx);
      Http.json(ctx, 200, users.setRole(ctx.pathParam("name"), Http.body(ctx, SetRole.class).role(), admin));
    });
    r.post("/api/v1/users/{name}/identities", ctx -> {
      var admin = tokens.requireAdmin(ctx);
      var req = Http.body(ctx, Link.class);
      Http.json(ctx, 201, users.link(ctx.pathParam("name"), req.forge(), req.id(), req.login(), admin));
    });
  }
}
