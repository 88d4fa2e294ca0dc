package dev.moat.server.secret;

import dev.moat.common.secret.MasterKey;
import dev.moat.common.secret.Secret;
import dev.moat.server.auth.ApiTokens;
import dev.moat.server.auth.Role;
import dev.moat.server.http.ApiException;
import dev.moat.server.http.Http;
import io.javalin.config.RoutesConfig;
import java.util.Map;
import java.util.Optional;

/**
 * The secret API. A maintainer sets, lists (names, scopes, versions and times) and removes secrets;
 * no route returns a value (jobs read them through the ctx routes). An admin sees the key status
 * and rotates the master key. Without a master key every route here is a 503.
 */
public final class SecretRoutes {
  /** Body of {@code PUT /api/v1/secrets/{scope}/{name}}. */
  public record SetSecret(String value) {
    @Override
    public String toString() {
      return "SetSecret[***]";
    }
  }

  /** Body of {@code POST /api/v1/admin/keys/rotate}: the new key, {@code v<n>:<base64>}. */
  public record Rotate(String key) {
    @Override
    public String toString() {
      return "Rotate[***]";
    }
  }

  private final ApiTokens tokens;
  private final SecretStore store;

  public SecretRoutes(ApiTokens tokens, SecretStore store) {
    this.tokens = tokens;
    this.store = store;
  }

  public void register(RoutesConfig r) {
    r.get("/api/v1/secrets", ctx -> {
      tokens.require(ctx, Role.MAINTAINER);
      Http.json(ctx, 200, store.list(Optional.ofNullable(ctx.queryParam("scope"))));
    });
    r.put("/api/v1/secrets/{scope}/{name}", ctx -> {
      var who = tokens.require(ctx, Role.MAINTAINER);
      var body = Http.body(ctx, SetSecret.class, SecretStore.MAX_VALUE_BYTES * 7 + 1024);
      if (body.value() == null) throw ApiException.invalid("'value' is required");
      Http.json(ctx, 200, store.set(who.actor(), ctx.pathParam("scope"), ctx.pathParam("name"), Secret.of(body.value())));
    });
    r.delete("/api/v1/secrets/{scope}/{name}", ctx -> {
      var who = tokens.require(ctx, Role.MAINTAINER);
      store.remove(who.actor(), ctx.pathParam("scope"), ctx.pathParam("name"));
      Http.json(ctx, 200, Map.of("removed", ctx.pathParam("scope") + "/" + ctx.pathParam("name")));
    });
    r.get("/api/v1/admin/keys", ctx -> {
      tokens.requireAdmin(ctx);
      Http.json(ctx, 200, store.keyStatus());
    });
    r.post("/api/v1/admin/keys/rotate", ctx -> {
      var admin = tokens.requireAdmin(ctx);
      var body = Http.body(ctx, Rotate.class);
      MasterKey next;
      try {
        next = MasterKey.parse(body.key() == null ? "" : body.key());
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid(e.getMessage());
      }
      Http.json(ctx, 200, store.rotate(admin.actor(), next));
    });
  }
}
