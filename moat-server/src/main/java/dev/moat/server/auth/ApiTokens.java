package dev.moat.server.auth;

import dev.moat.common.Tokens;
import dev.moat.server.http.ApiException;
import dev.moat.server.http.Http;
import io.javalin.http.Context;
import java.time.InstantSource;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * People's API tokens, stored as SHA-256 hashes. For now every token is an admin token; roles
 * arrive with users. Thread-safe.
 */
public final class ApiTokens {
  private final Jdbi jdbi;
  private final InstantSource clock;

  public ApiTokens(Jdbi jdbi, InstantSource clock) {
    this.jdbi = jdbi;
    this.clock = clock;
  }

  /** Creates the first admin token if none exists; returns it only when it was created now. */
  public Optional<String> bootstrapAdmin() {
    int existing = jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM api_tokens WHERE role = 'admin'")
        .mapTo(Integer.class).one());
    if (existing > 0) return Optional.empty();
    String token = Tokens.random("moat_admin");
    jdbi.useHandle(h -> h.createUpdate("""
            INSERT INTO api_tokens (hash, name, role, created_at) VALUES (:hash, 'admin', 'admin', :now)""")
        .bind("hash", Tokens.hash(token))
        .bind("now", clock.millis())
        .execute());
    return Optional.of(token);
  }

  /** Fails with 401 unless the request carries a valid admin token. */
  public void requireAdmin(Context ctx) {
    String hash = Tokens.hash(Http.bearer(ctx));
    boolean ok = jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM api_tokens WHERE hash = :hash AND role = 'admin'")
        .bind("hash", hash).mapTo(Integer.class).one()) == 1;
    if (!ok) throw ApiException.unauthorized("unknown or revoked API token");
  }
}
