package dev.moat.sandbox.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * A {@link EgressPolicy.Filtered} policy after the gateway resolved its names: the (address, port)
 * pairs that go into the job's part of {@code allow4}, and the {@code /etc/hosts} lines that let the
 * job use the names without a DNS server of its own (DNS would be an exfiltration channel).
 *
 * <p>Invariants: entries and host lines are distinct and in policy order. Immutable.
 *
 * @param entries allowed TCP destinations
 * @param hostsLines {@code "<address> <name>"} lines, one per resolved address
 */
record Allowlist(List<Entry> entries, List<String> hostsLines) {
  /**
   * One allowed TCP destination.
   *
   * @param address the IPv4 address as an unsigned int
   * @param port the TCP port
   */
  record Entry(int address, int port) {
    Entry {
      if (port < 1 || port > 65535) throw new IllegalArgumentException("bad port: " + port);
    }

    /** The element of {@code allow4} for this entry on job interface {@code iface}. */
    String element(String iface) {
      return "\"" + iface + "\" . " + Ipv4Cidr.format(address) + " . " + port;
    }
  }

  Allowlist {
    entries = List.copyOf(new LinkedHashSet<>(entries));
    hostsLines = List.copyOf(new LinkedHashSet<>(hostsLines));
  }

  /**
   * Resolves every hostname of {@code policy} with {@code resolver}; IPv4 literals are taken as is.
   *
   * @throws UnknownHostException when a name has no IPv4 address: the job would fail later and
   *     less clearly without it
   */
  static Allowlist resolve(EgressPolicy.Filtered policy, HostResolver resolver) throws IOException {
    Objects.requireNonNull(resolver, "resolver");
    List<Entry> entries = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    for (AllowedHost host : policy.allow()) {
      List<Integer> addresses = new ArrayList<>();
      if (host.isAddress()) {
        addresses.add(Ipv4Cidr.address(host.host()));
      } else {
        for (Inet4Address a : resolver.resolve(host.host())) {
          addresses.add(Ipv4Cidr.address(a.getHostAddress()));
        }
        if (addresses.isEmpty()) throw new UnknownHostException("no IPv4 address for allowed host " + host.host());
        addresses.forEach(a -> lines.add(Ipv4Cidr.format(a) + " " + host.host()));
      }
      for (int a : addresses) host.ports().forEach(p -> entries.add(new Entry(a, p)));
    }
    return new Allowlist(entries, lines);
  }

  /** The lines joined, each ending with a newline; empty when no name was resolved. */
  String hostsFragment() {
    return hostsLines.stream().map(l -> l + "\n").reduce("", String::concat);
  }
}
