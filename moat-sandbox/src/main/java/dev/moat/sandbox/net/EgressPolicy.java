package dev.moat.sandbox.net;

import java.util.List;

/**
 * What a job may reach on the network (DESIGN invariant I4). A closed set:
 * <ul>
 *   <li>{@link None}: loopback only. The job's network namespace has {@code lo} and nothing else, so
 *       every connect outside it fails with "Network is unreachable".
 *   <li>{@link Filtered}: a veth to the agent's host, NAT out, and TCP to the listed hosts and
 *       ports only. Private, CGNAT, link-local, metadata, multicast and the host's own addresses
 *       stay refused even when an allowed name resolves to them.
 * </ul>
 * Immutable.
 */
public sealed interface EgressPolicy {
  /** Loopback only. */
  record None() implements EgressPolicy {}

  /**
   * TCP to these hosts and ports only; hostnames are resolved by the agent when the job starts.
   *
   * @param allow at least one host; duplicates are kept as given (they add the same entries)
   */
  record Filtered(List<AllowedHost> allow) implements EgressPolicy {
    public Filtered {
      allow = List.copyOf(allow);
      if (allow.isEmpty()) throw new IllegalArgumentException("a filtered policy needs at least one allowed host; use None");
    }
  }

  public static EgressPolicy none() {
    return new None();
  }

  public static EgressPolicy filtered(AllowedHost... allow) {
    return new Filtered(List.of(allow));
  }
}
