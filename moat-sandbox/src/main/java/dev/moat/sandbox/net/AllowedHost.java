package dev.moat.sandbox.net;

import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * One entry of a job's egress allowlist: a hostname or an IPv4 literal, and the TCP ports allowed
 * to it.
 *
 * <p>Invariants: {@code host} is a dotted-quad IPv4 literal or a lowercase DNS name (letters, digits
 * and '-' in labels of at most 63, at most 253 in all, whose last label is not numeric); ports are
 * 1–65535, at least one, distinct, sorted. Immutable.
 *
 * @param host a lowercase hostname, or an IPv4 literal which is allowed as is
 * @param ports the TCP destination ports allowed to the host
 */
public record AllowedHost(String host, List<Integer> ports) {
  /** Ports allowed when none are named: HTTPS and HTTP. */
  public static final List<Integer> DEFAULT_PORTS = List.of(80, 443);

  public AllowedHost {
    Objects.requireNonNull(host, "host");
    if (!isIpv4Literal(host) && !isHostname(host)) {
      throw new IllegalArgumentException("not a lowercase hostname or IPv4 literal: " + host);
    }
    TreeSet<Integer> sorted = new TreeSet<>();
    for (Integer port : ports) {
      if (port == null || port < 1 || port > 65535) throw new IllegalArgumentException("bad port for " + host + ": " + port);
      if (!sorted.add(port)) throw new IllegalArgumentException("duplicate port for " + host + ": " + port);
    }
    if (sorted.isEmpty()) throw new IllegalArgumentException("no port for " + host);
    ports = List.copyOf(sorted);
  }

  /** {@code host} on ports 443 and 80. */
  public AllowedHost(String host) {
    this(host, DEFAULT_PORTS);
  }

  /** Whether {@link #host()} is an IPv4 literal (allowed as is, not resolved). */
  public boolean isAddress() {
    return isIpv4Literal(host);
  }

  static boolean isIpv4Literal(String s) {
    return s.matches("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
  }

  private static boolean isHostname(String s) {
    if (s.length() > 253 || s.endsWith(".")) return false;
    String[] labels = s.split("\\.", -1);
    for (String label : labels) {
      if (!label.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) return false;
    }
    // "1.2.3" or "10.0.0.256" would be read as an address by some resolvers: refuse the ambiguity.
    return !labels[labels.length - 1].matches("[0-9]+");
  }
}
