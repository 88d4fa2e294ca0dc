package dev.moat.engine;

import java.util.Collection;

/**
 * The status of a run, derived from its jobs ({@link #of}); {@link #ERROR} means the workflow could
 * not be used (configuration error) and no job exists; {@link #UNSCHEDULABLE} that every job has
 * ended and some could not be placed on any pool (and none failed).
 */
public enum RunStatus {
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
    return this != QUEUED && this != RUNNING;
  }
}
