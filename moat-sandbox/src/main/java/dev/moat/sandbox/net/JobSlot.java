package dev.moat.sandbox.net;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Slot {@code n} of an {@link Egress}: the names and the /30 that one job network uses. Slot
 * {@code n} owns {@code pool + 4n} to {@code pool + 4n + 3}; the host side of the veth (the job's
 * gateway) is {@code +1} and the job's {@code eth0} is {@code +2}.
 *
 * <p>Invariants: {@code 0 <= index < settings.slots()}. Immutable.
 *
 * @param settings the names and pool
 * @param index the slot number
 */
record JobSlot(EgressSettings settings, int index) {
  static final Path NETNS_DIR = Path.of("/run/netns");
  /** The job's side of the veth, inside its namespace. */
  static final String JOB_INTERFACE = "eth0";

  JobSlot {
    Objects.requireNonNull(settings, "settings");
    if (index < 0 || index >= settings.slots()) throw new IllegalArgumentException("no slot " + index + " in " + settings.pool());
  }

  /** The host side of the veth; also the name of the job's nft counter. */
  String hostInterface() {
    return settings.prefix() + index + "h";
  }

  String netnsName() {
    return "moat-" + settings.prefix() + index;
  }

  Path netnsPath() {
    return NETNS_DIR.resolve(netnsName());
  }

  int gateway() {
    return settings.pool().at(4L * index + 1);
  }

  int jobAddress() {
    return settings.pool().at(4L * index + 2);
  }
}
