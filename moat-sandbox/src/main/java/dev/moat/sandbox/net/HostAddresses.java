package dev.moat.sandbox.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The IPv4 addresses of this host's network namespace, read through the JDK. Stateless. */
final class HostAddresses {
  private HostAddresses() {}

  /** Every IPv4 address on every interface except job interfaces (those starting with {@code prefix}). */
  static List<Integer> current(String prefix) throws IOException {
    List<Integer> addresses = new ArrayList<>();
    for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nif.getName().startsWith(prefix)) continue;
      for (var a : Collections.list(nif.getInetAddresses())) {
        if (a instanceof Inet4Address v4) addresses.add(Ipv4Cidr.address(v4.getHostAddress()));
      }
    }
    return addresses;
  }

  /** The names of the host's network interfaces. */
  static List<String> interfaceNames() throws IOException {
    return Collections.list(NetworkInterface.getNetworkInterfaces()).stream().map(NetworkInterface::getName).toList();
  }
}
