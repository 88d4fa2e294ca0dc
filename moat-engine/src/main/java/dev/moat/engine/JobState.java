package dev.moat.engine;

/**
 * The life of one job. Transitions are explicit: {@link #canMoveTo} is the only authority, and
 * every store update checks it.
 *
 * <pre>
 * PENDING --needs succeeded--> QUEUED --claimed--> DISPATCHED --agent acked--> RUNNING --> SUCCEEDED | FAILED | TIMED_OUT
 * PENDING --a need did not succeed--> SKIPPED          DISPATCHED --ack deadline passed--> QUEUED
 * any non-terminal --cancel--> CANCELLED               DISPATCHED | RUNNING --lease expired--> LOST
 * PENDING --no pool admits it, at creation--> UNSCHEDULABLE
 * </pre>
 *
 * {@link #UNSCHEDULABLE} is decided once, when the run is created: the placement policy admits the
 * job to no pool (its labels, its sandbox tier, its author's trust tier), so no agent may ever take
 * it; its reason says why.
 */
public enum JobState {
  PENDING,
  QUEUED,
  DISPATCHED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED,
  TIMED_OUT,
  LOST,
  SKIPPED,
  UNSCHEDULABLE;

  /** Whether the job has finished for good. */
  public boolean terminal() {
    return switch (this) {
      case PENDING, QUEUED, DISPATCHED, RUNNING -> false;
      case SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, LOST, SKIPPED, UNSCHEDULABLE -> true;
    };
  }

  /** Whether a job in this state may move to {@code next}. */
  public boolean canMoveTo(JobState next) {
    java.util.Objects.requireNonNull(next, "next");
    return switch (this) {
      case PENDING -> next == QUEUED || next == SKIPPED || next == CANCELLED || next == UNSCHEDULABLE;
      case QUEUED -> next == DISPATCHED || next == CANCELLED;
      // Back to QUEUED when the agent never acknowledged the claim in time.
      case DISPATCHED -> next == RUNNING || next == QUEUED || next == LOST || next == CANCELLED;
      case RUNNING -> next == SUCCEEDED || next == FAILED || next == TIMED_OUT || next == LOST
          || next == CANCELLED;
      case SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, LOST, SKIPPED, UNSCHEDULABLE -> false;
    };
  }

  /** Lower-case wire name, e.g. {@code timed_out}. */
  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static JobState ofWire(String s) {
    return valueOf(s.toUpperCase(java.util.Locale.ROOT));
  }
}
