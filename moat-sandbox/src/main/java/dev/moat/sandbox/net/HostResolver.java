package dev.moat.sandbox.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;

/**
 * Resolves an allowlisted hostname to IPv4 addresses on the agent (the job's gateway), never in the
 * job: the job gets no DNS server. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface HostResolver {
  /** The IPv4 addresses of {@code hostname}; empty or an exception when it has none. */
  List<Inet4Address> resolve(String hostname) throws IOException;

  /** The JDK's resolver ({@code /etc/hosts}, then DNS, with the JDK's address cache). */
  static HostResolver jdk() {
    return hostname -> Arrays.stream(InetAddress.getAllByName(hostname))
        .filter(Inet4Address.class::isInstance).map(Inet4Address.class::cast).toList();
  }
}
