package dev.moat.server.audit;

import dev.moat.common.Json;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import tools.jackson.core.type.TypeReference;

/**
 * The audit log: an append-only table of decisions that matter (invariant I10). This class only
 * ever INSERTs and SELECTs; nothing in Moat updates or deletes an event. Events that go with a state
 * change are written through {@link #record(Handle, String, AuditAction, Long, String, Map)} in the
 * change's own transaction, so that neither exists without the other. The hash chain that makes
 * tampering detectable is not built yet. Thread-safe.
 */
public final class Audit {
  private static final TypeReference<Map<String, Object>> DETAIL = new TypeReference<>() {};

  /**
   * One event.
   *
   * @param actor who acted: {@code user:NAME}, {@code github:12345} (a forge identity), or {@code moat}
   *     for the server itself
   * @param subject what was acted on besides the run, e.g. the user added (null when the run says it)
   */
  public record Event(long id, long at, String actor, String action, Long runId, String subject, Map<String, Object> detail) {}

  private final Jdbi jdbi;
  private final InstantSource clock;

  public Audit(Jdbi jdbi, InstantSource clock) {
    this.jdbi = jdbi;
    this.clock = clock;
  }

  /** Appends an event inside the caller's transaction. */
  public void record(Handle h, String actor, AuditAction action, Long runId, String subject, Map<String, ?> detail) {
    Objects.requireNonNull(actor, "actor");
    h.createUpdate("""
            INSERT INTO audit_events (at, actor, action, run_id, subject, detail)
            VALUES (:at, :actor, :action, :run, :subject, :detail)""")
        .bind("at", clock.millis()).bind("actor", actor).bind("action", action.wire()).bind("run", runId)
        .bind("subject", subject).bind("detail", Json.write(detail))
        .execute();
  }

  /** Appends an event in its own transaction (for decisions that change nothing else, e.g. a refusal). */
  public void record(String actor, AuditAction action, Long runId, String subject, Map<String, ?> detail) {
    jdbi.useHandle(h -> record(h, actor, action, runId, subject, detail));
  }

  /** Events, oldest first: those of one run, or the latest {@code limit} of all. */
  public List<Event> list(Optional<Long> run, int limit) {
    return jdbi.withHandle(h -> {
      var q = run.isPresent()
          ? h.createQuery("SELECT * FROM audit_events WHERE run_id = :run ORDER BY id LIMIT :limit").bind("run", run.get())
          : h.createQuery("SELECT * FROM (SELECT * FROM audit_events ORDER BY id DESC LIMIT :limit) ORDER BY id");
      return q.bind("limit", limit)
          .map((rs, c) -> new Event(rs.getLong("id"), rs.getLong("at"), rs.getString("actor"), rs.getString("action"),
              rs.getObject("run_id") == null ? null : rs.getLong("run_id"), rs.getString("subject"),
              Json.MAPPER.readValue(rs.getString("detail"), DETAIL)))
          .list();
    });
  }
}
