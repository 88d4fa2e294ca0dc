package dev.moat.engine;

import java.util.Collection;

/**
 * The status of a run, derived from its jobs ({@link #of}); {@link #ERROR} means the workflow could
 * not be used (configuration error) and no job exists.
 */
public enum RunStatus {
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
    return this != QUEUED && this != RUNNING;
  }
}
