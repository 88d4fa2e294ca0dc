package dev.moat.server.run;

/**
 * Columns a job transition sets besides its state. Null means "leave as is", except for the two
 * deadlines, which a transition always sets (null clears them), and the agent, set only when
 * {@code setAgent}.
 *
 * @param egressDenials the refused connections the agent reported with the result; null leaves it
 */
record JobUpdate(
    boolean setAgent,
    String agentId,
    Integer exitCode,
    String reason,
    Long queuedAt,
    Long startedAt,
    Long finishedAt,
    Long ackDeadline,
    Long leaseExpires,
    Long egressDenials) {

  static JobUpdate queued(long now) {
    return new JobUpdate(true, null, null, null, now, null, null, null, null, null);
  }

  static JobUpdate dispatched(String agentId, long ackDeadline) {
    return new JobUpdate(true, agentId, null, null, null, null, null, ackDeadline, null, null);
  }

  static JobUpdate started(long now, long leaseExpires) {
    return new JobUpdate(false, null, null, null, null, now, null, null, leaseExpires, null);
  }

  static JobUpdate finished(long now, Integer exitCode, String reason) {
    return new JobUpdate(false, null, exitCode, reason, null, null, now, null, null, null);
  }

  /** How a job ended on its agent, with the egress denials it reported. */
  static JobUpdate finished(long now, Integer exitCode, String reason, long egressDenials) {
    return new JobUpdate(false, null, exitCode, reason, null, null, now, null, null, egressDenials);
  }
}
