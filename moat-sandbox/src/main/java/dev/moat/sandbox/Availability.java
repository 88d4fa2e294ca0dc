package dev.moat.sandbox;

import java.util.Objects;

/**
 * Whether a sandbox tier can run jobs on this host, and why (not). Lets the agent and tests refuse a
 * tier with a message that names the missing piece instead of failing on the first job.
 *
 * @param available true when a real sandbox was created and ran a command successfully
 * @param reason a human-readable explanation, never blank
 */
public record Availability(boolean available, String reason) {
  public Availability {
    Objects.requireNonNull(reason, "reason");
    if (reason.isBlank()) throw new IllegalArgumentException("reason must not be blank");
  }

  public static Availability yes(String reason) {
    return new Availability(true, reason);
  }

  public static Availability no(String reason) {
    return new Availability(false, reason);
  }
}
