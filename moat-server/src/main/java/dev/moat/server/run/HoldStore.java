package dev.moat.server.run;

import dev.moat.engine.trust.HoldReason;
import dev.moat.engine.trust.HoldState;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * SQL for holds. A hold is decided once: {@link #decide} only moves a pending hold
 * ({@code WHERE decision IS NULL}), so of two racing decisions exactly one wins. Stateless.
 */
final class HoldStore {
  /** One hold as stored. */
  record HoldRow(long runId, HoldReason reason, String approverRole, long createdAt, long expiresAt,
      HoldState state, String decidedBy, Long decidedAt, String comment) {
    RunView.HoldView view() {
      return new RunView.HoldView(reason.wire(), approverRole, createdAt, expiresAt, state.wire(), decidedBy, decidedAt, comment);
    }
  }

  void insert(Handle h, long runId, HoldReason reason, String approverRole, long now, long expiresAt) {
    h.createUpdate("""
            INSERT INTO holds (run_id, reason, approver_role, created_at, expires_at)
            VALUES (:run, :reason, :role, :now, :expires)""")
        .bind("run", runId).bind("reason", reason.wire()).bind("role", approverRole).bind("now", now)
        .bind("expires", expiresAt).execute();
  }

  Optional<HoldRow> find(Handle h, long runId) {
    return h.createQuery("SELECT * FROM holds WHERE run_id = :run").bind("run", runId).map((rs, c) -> row(rs)).findOne();
  }

  HoldState state(Handle h, long runId) {
    return find(h, runId).map(HoldRow::state).orElse(HoldState.NONE);
  }

  /** Decides a pending hold; false if it was no longer pending. */
  boolean decide(Handle h, long runId, HoldState decision, String by, String comment, long now) {
    if (decision == HoldState.NONE || decision == HoldState.PENDING) throw new IllegalArgumentException(decision.wire());
    return h.createUpdate("""
            UPDATE holds SET decision = :d, decided_by = :by, decided_at = :now, comment = :comment
            WHERE run_id = :run AND decision IS NULL""")
        .bind("d", decision.wire()).bind("by", by).bind("now", now).bind("comment", comment).bind("run", runId)
        .execute() == 1;
  }

  /** Runs whose pending hold expired at or before {@code now}. */
  List<Long> expired(Handle h, long now) {
    return h.createQuery("SELECT run_id FROM holds WHERE decision IS NULL AND expires_at <= :now ORDER BY run_id")
        .bind("now", now).mapTo(Long.class).list();
  }

  private static HoldRow row(ResultSet rs) throws SQLException {
    String decision = rs.getString("decision");
    long decidedAt = rs.getLong("decided_at");
    Long decided = rs.wasNull() ? null : decidedAt;
    return new HoldRow(rs.getLong("run_id"), HoldReason.ofWire(rs.getString("reason")), rs.getString("approver_role"),
        rs.getLong("created_at"), rs.getLong("expires_at"),
        decision == null ? HoldState.PENDING : HoldState.ofWire(decision), rs.getString("decided_by"), decided,
        rs.getString("comment"));
  }
}
