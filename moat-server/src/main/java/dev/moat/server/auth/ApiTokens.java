package dev.moat.server.auth;

import dev.moat.common.Tokens;
import dev.moat.server.http.ApiException;
import dev.moat.server.http.Http;
import io.javalin.http.Context;
import java.time.InstantSource;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * People's API tokens, stored as SHA-256 hashes and each belonging to a user: a request is
 * authenticated by its bearer token (missing or unknown: 401) and authorised by its user's current
 * role (too weak: 403). The token's own {@code role} column is informational; a role change applies
 * to the user's existing tokens at once. Thread-safe.
 */
public final class ApiTokens {
  private final Jdbi jdbi;
  private final InstantSource clock;

  public ApiTokens(Jdbi jdbi, InstantSource clock) {
    this.jdbi = jdbi;
    this.clock = clock;
  }

  /**
   * Creates the first admin user ({@code admin}) and its token if no admin exists; returns the token
   * only when it was created now. A database from before users existed already has its admin user
   * (migration V3 made one for the old admin tokens), so its credentials keep working.
   */
  public Optional<String> bootstrapAdmin() {
    return jdbi.inTransaction(h -> {
      int admins = h.createQuery("SELECT count(*) FROM users WHERE role = 'admin'").mapTo(Integer.class).one();
      if (admins > 0) return Optional.empty();
      long userId = h.createUpdate("INSERT INTO users (name, role, created_at) VALUES ('admin', 'admin', :now)")
          .bind("now", clock.millis()).executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
      return Optional.of(mint(h, userId, "admin", Role.ADMIN));
    });
  }

  /** Creates a token for a user inside the caller's transaction; the token itself is returned once and never stored. */
  String mint(Handle h, long userId, String name, Role role) {
    String token = Tokens.random("moat_" + role.wire());
    h.createUpdate("INSERT INTO api_tokens (hash, name, role, created_at, user_id) VALUES (:hash, :name, :role, :now, :user)")
        .bind("hash", Tokens.hash(token)).bind("name", name).bind("role", role.wire())
        .bind("now", clock.millis()).bind("user", userId)
        .execute();
    return token;
  }

  /** The user behind the request's bearer token, or 401. */
  public Caller authenticate(Context ctx) {
    String hash = Tokens.hash(Http.bearer(ctx));
    return jdbi.withHandle(h -> h.createQuery("""
                SELECT u.id, u.name, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = :hash""")
            .bind("hash", hash)
            .map((rs, c) -> new Caller(rs.getLong(1), rs.getString(2), Role.ofWire(rs.getString(3))))
            .findOne())
        .orElseThrow(() -> ApiException.unauthorized("unknown or revoked API token"));
  }

  /** The caller if their role includes {@code min}: 401 without a valid token, 403 with too weak a role. */
  public Caller require(Context ctx, Role min) {
    Caller caller = authenticate(ctx);
    if (!caller.role().atLeast(min)) {
      throw ApiException.forbidden("this needs the " + min.wire() + " role; " + caller.name() + " is " + caller.role().wire());
    }
    return caller;
  }

  public Caller requireAdmin(Context ctx) {
    return require(ctx, Role.ADMIN);
  }
}
