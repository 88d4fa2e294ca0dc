package dev.moat.engine;

import java.util.Collection;

import dev.moat.engine.trust.HoldState;

/**
 * The status of a run, derived from its jobs and its hold ({@link #of}); {@link #ERROR} means the
 * workflow could not be used (configuration error) and no job exists. {@link #HELD} waits for a
 * person (invariant I5): its jobs exist but none is queued. {@link #REJECTED} and {@link #EXPIRED}
 * are held runs that were refused or not decided in time; their jobs are cancelled. {@link
 * #UNSCHEDULABLE}: every job has ended and some could not be placed on any pool (and none failed).
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
  ERROR,
  UNSCHEDULABLE;

  /**
   * Derives a run's status: once every job is terminal, FAILED if any job failed, timed out or was
   * lost, UNSCHEDULABLE if any could not be placed, CANCELLED if any was cancelled, else SUCCEEDED
   * (skipped jobs alone don't fail a run). Before that, QUEUED while no job has been dispatched and
   * none finished (an unschedulable job doesn't count: nothing ran), else RUNNING.
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
    boolean unschedulable = false;
    for (JobState job : jobs) {
      allTerminal &= job.terminal();
      switch (job) {
        case PENDING, QUEUED -> { }
        case DISPATCHED, RUNNING, SUCCEEDED, SKIPPED -> started = true;
        case FAILED, TIMED_OUT, LOST -> started = failed = true;
        case CANCELLED -> started = cancelled = true;
        case UNSCHEDULABLE -> unschedulable = true;
      }
    }
    if (jobs.isEmpty()) return QUEUED;
    if (!allTerminal) return started ? RUNNING : QUEUED;
    if (failed) return FAILED;
    if (unschedulable) return UNSCHEDULABLE;
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
