package dev.moat.engine;

import java.util.Collection;

import dev.moat.engine.trust.HoldState;

/**
 * The status of a run, derived from its jobs and its hold ({@link #of}); {@link #ERROR} means the
 * workflow could not be used (configuration error) and no job exists. {@link #HELD} waits for a
 * person (invariant I5): its jobs exist but none is queued. {@link #REJECTED} and {@link #EXPIRED}
 * are held runs that were refused or not decided in time; their jobs are cancelled.
 */
public enum RunStatus {
  HELD,
  REJECTED,
  EXPIRED,
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED,
  ERROR;

  /**
   * Derives a run's status: QUEUED while no job has been dispatched and none finished, RUNNING while
   * any job is not terminal, otherwise FAILED if any job failed, timed out or was lost, CANCELLED if
   * any was cancelled, else SUCCEEDED (skipped jobs alone don't fail a run).
   */
  public static RunStatus of(Collection<JobState> jobs) {
    return of(jobs, HoldState.NONE);
  }

  /**
   * Derives a run's status from its jobs and its hold: a pending hold is HELD, a rejected or expired
   * one REJECTED or EXPIRED whatever the jobs say; an approved hold (or none) leaves it to the jobs.
   */
  public static RunStatus of(Collection<JobState> jobs, HoldState hold) {
    switch (hold) {
      case PENDING -> { return HELD; }
      case REJECTED -> { return REJECTED; }
      case EXPIRED -> { return EXPIRED; }
      case NONE, APPROVED -> { }
    }
    boolean allTerminal = true;
    boolean started = false; // some job was dispatched or has finished
    boolean failed = false;
    boolean cancelled = false;
    for (JobState job : jobs) {
      allTerminal &= job.terminal();
      switch (job) {
        case PENDING, QUEUED -> { }
        case DISPATCHED, RUNNING, SUCCEEDED, SKIPPED -> started = true;
        case FAILED, TIMED_OUT, LOST -> started = failed = true;
        case CANCELLED -> started = cancelled = true;
      }
    }
    if (jobs.isEmpty() || !started) return QUEUED;
    if (!allTerminal) return RUNNING;
    if (failed) return FAILED;
    return cancelled ? CANCELLED : SUCCEEDED;
  }

  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static RunStatus ofWire(String s) {
    return valueOf(s.toUpperCase(java.util.Locale.ROOT));
  }

  public boolean terminal() {
    return this != QUEUED && this != RUNNING && this != HELD;
  }
}
