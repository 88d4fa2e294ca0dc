package dev.moat.sandbox.net;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Moat's nftables table as data: the text {@code nft -f} loads when an {@link Egress} starts.
 *
 * <p>What the rules enforce, for every packet that enters the host from a job interface
 * ({@code "<prefix>*"}):
 * <ul>
 *   <li>IPv6 is dropped (and counted); the job's namespace has IPv6 disabled as well.
 *   <li>To the host itself (input hook: every host address, each job's gateway included):
 *       refused.
 *   <li>Forwarded: replies of connections already accepted pass. Then {@code blocked4} (private,
 *       CGNAT, loopback, link-local and metadata, TEST-NET-1 which is this host's uplink here,
 *       benchmarking, multicast and reserved, and the job pool itself, so jobs can't reach each
 *       other) and {@code host4} (the host's addresses read at start) are refused, before the
 *       per-job allowlist is consulted: an allowed name that resolves to a private address stays
 *       refused. TCP to an {@code allow4} entry of the same interface is accepted; everything
 *       else is refused.
 *   <li>Refused means TCP reset (a blocking connect fails at once with ECONNREFUSED; an ICMP
 *       reject would make it take about a second) and ICMP admin-prohibited otherwise, and one
 *       count on the job's own counter, found through the {@code denied} map by interface.
 *   <li>Nothing new is forwarded <em>to</em> a job interface, and job traffic leaving the host is
 *       masqueraded.
 * </ul>
 * A job interface that has no entries yet (while it is set up or torn down) is refused
 * everything, uncounted. TEST-NET-2 and TEST-NET-3 (198.51.100.0/24, 203.0.113.0/24) are not
 * blocked: tests use them as the public internet.
 *
 * <p>The table is replaced atomically ({@code add}, {@code delete}, then the definition, in one
 * transaction), so a start also drops whatever a crashed agent left in it. Immutable.
 *
 * @param settings table name, interface prefix and pool
 * @param hostAddresses the host's own IPv4 addresses (kept distinct, in address order)
 */
record EgressRuleset(EgressSettings settings, List<Integer> hostAddresses) {
  /** Ranges no job may reach, whatever its allowlist says. */
  static final List<String> BLOCKED = List.of(
      "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
      "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/3");
  static final String ALLOW_SET = "allow4";
  static final String DENIED_MAP = "denied";

  EgressRuleset {
    TreeSet<Integer> sorted = new TreeSet<>(Integer::compareUnsigned);
    sorted.addAll(hostAddresses);
    hostAddresses = List.copyOf(sorted);
  }

  String text() {
    String t = "inet " + settings.table();
    String jobs = "\"" + settings.prefix() + "*\"";
    List<String> blocked = new ArrayList<>(BLOCKED);
    blocked.add(settings.pool().toString());
    List<String> lines = new ArrayList<>(List.of("add table " + t, "delete table " + t, "table " + t + " {"));
    lines.addAll(List.of(
        "  set blocked4 {", "    type ipv4_addr", "    flags interval", "    auto-merge",
        "    elements = { " + String.join(", ", blocked) + " }", "  }",
        "  set host4 {", "    type ipv4_addr"));
    if (!hostAddresses.isEmpty()) {
      lines.add("    elements = { " + String.join(", ", hostAddresses.stream().map(Ipv4Cidr::format).toList()) + " }");
    }
    lines.addAll(List.of("  }",
        "  set " + ALLOW_SET + " {", "    type ifname . ipv4_addr . inet_service", "  }",
        "  map " + DENIED_MAP + " {", "    type ifname : counter", "  }",
        "  chain deny {",
        "    counter name iifname map @" + DENIED_MAP,
        "    meta l4proto tcp reject with tcp reset",
        "    reject with icmpx admin-prohibited",
        "  }",
        "  chain drop6 {",
        "    counter name iifname map @" + DENIED_MAP,
        "    drop",
        "  }",
        "  chain job_out {",
        "    meta nfproto ipv6 goto drop6",
        "    ct state established,related accept",
        "    ip daddr @blocked4 goto deny",
        "    ip daddr @host4 goto deny",
        "    iifname . ip daddr . tcp dport @" + ALLOW_SET + " accept",
        "    goto deny",
        "  }",
        "  chain forward {",
        "    type filter hook forward priority filter - 10; policy accept;",
        "    iifname " + jobs + " goto job_out",
        "    oifname " + jobs + " ct state established,related accept",
        "    oifname " + jobs + " drop",
        "  }",
        "  chain input {",
        "    type filter hook input priority filter - 10; policy accept;",
        "    iifname " + jobs + " meta nfproto ipv6 goto drop6",
        "    iifname " + jobs + " goto deny",
        "  }",
        "  chain postrouting {",
        "    type nat hook postrouting priority srcnat; policy accept;",
        "    iifname " + jobs + " oifname != " + jobs + " masquerade",
        "  }",
        "}"));
    return String.join("\n", lines) + "\n";
  }

  /** The text that removes the table again. */
  String deletion() {
    return "delete table inet " + settings.table() + "\n";
  }
}
