package dev.moat.server.webhook;

import dev.moat.server.http.ApiException;
import java.time.InstantSource;
import org.jdbi.v3.core.Jdbi;

/**
 * Webhook delivery ids, each accepted once (the {@code deliveries} table): a replayed delivery is
 * refused with 409 before it can start anything. Thread-safe.
 */
public final class Deliveries {
  private final Jdbi jdbi;
  private final InstantSource clock;

  public Deliveries(Jdbi jdbi, InstantSource clock) {
    this.jdbi = jdbi;
    this.clock = clock;
  }

  /** Records delivery {@code id} for {@code repo}, or 409 if it was received before. */
  public void accept(String id, String repo) {
    boolean fresh = jdbi.withHandle(h -> h.createUpdate("""
            INSERT INTO deliveries (id, repo, received_at) VALUES (:id, :repo, :now) ON CONFLICT (id) DO NOTHING""")
        .bind("id", id).bind("repo", repo).bind("now", clock.millis()).execute() == 1);
    if (!fresh) throw ApiException.conflict("delivery " + id + " was already received");
  }

  /** Forgets delivery {@code id}, when nothing came of it, so that the sender's redelivery is accepted. */
  public void forget(String id) {
    jdbi.useHandle(h -> h.createUpdate("DELETE FROM deliveries WHERE id = :id").bind("id", id).execute());
  }
}
