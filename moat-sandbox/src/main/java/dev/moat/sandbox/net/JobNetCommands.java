package dev.moat.sandbox.net;

import java.util.ArrayList;
import java.util.List;

/**
 * The host commands that set up and tear down one job's network, as data. Set-up order matters:
 * the job's nft entries exist before its veth does, so the job is never counted wrongly, and a
 * half-built job interface is refused everything by the table's wildcard rules anyway. Tear-down
 * deletes the veth first (which cuts the job off at once, and is synchronous, unlike a namespace's
 * deletion), then the namespace, then the nft entries. Stateless.
 */
final class JobNetCommands {
  private JobNetCommands() {}

  /** Adds the job's counter, its {@code denied} map entry and its {@code allow4} elements. */
  static NetCommand addPolicy(JobSlot slot, Allowlist allow) {
    String t = "inet " + slot.settings().table();
    String iface = slot.hostInterface();
    List<String> lines = new ArrayList<>(List.of(
        "add counter " + t + " " + iface,
        "add element " + t + " " + EgressRuleset.DENIED_MAP + " { \"" + iface + "\" : \"" + iface + "\" }"));
    if (!allow.entries().isEmpty()) lines.add("add element " + t + " " + EgressRuleset.ALLOW_SET + " { " + elements(iface, allow) + " }");
    return NetCommand.nft(String.join("\n", lines) + "\n");
  }

  /** Removes everything {@link #addPolicy} added. */
  static NetCommand removePolicy(JobSlot slot, Allowlist allow) {
    String t = "inet " + slot.settings().table();
    String iface = slot.hostInterface();
    List<String> lines = new ArrayList<>();
    if (!allow.entries().isEmpty()) lines.add("delete element " + t + " " + EgressRuleset.ALLOW_SET + " { " + elements(iface, allow) + " }");
    lines.add("delete element " + t + " " + EgressRuleset.DENIED_MAP + " { \"" + iface + "\" }");
    lines.add("delete counter " + t + " " + iface);
    return NetCommand.nft(String.join("\n", lines) + "\n");
  }

  /**
   * Reads the job's counter. Always a command of its own: nft 1.0.6 prints nothing, or fails on its
   * cache, when a {@code list} shares a batch with other commands in a table whose rules use sets.
   */
  static NetCommand readCounter(JobSlot slot) {
    return new NetCommand(List.of(NetCommand.NFT, "list", "counter", "inet", slot.settings().table(), slot.hostInterface()), "");
  }

  /**
   * On the host: the namespace and, when the job has a network, the veth with its peer moved into
   * the namespace as {@code eth0}, and the gateway address, up.
   */
  static NetCommand hostSetUp(JobSlot slot, boolean veth) {
    List<String> lines = new ArrayList<>(List.of("netns add " + slot.netnsName()));
    if (veth) {
      String iface = slot.hostInterface();
      lines.add("link add " + iface + " type veth peer name " + JobSlot.JOB_INTERFACE + " netns " + slot.netnsName());
      lines.add("addr add " + Ipv4Cidr.format(slot.gateway()) + "/30 dev " + iface);
      lines.add("link set " + iface + " up");
    }
    return NetCommand.ipBatch(String.join("\n", lines) + "\n");
  }

  /**
   * In the job's namespace: IPv6 off for every interface (writing {@code all} also sets the ones
   * already there), {@code lo} up, and with a veth, the job's address and a default route via the
   * gateway. {@code /proc/sys/net} shows the namespace of the process that opens it, so entering
   * the network namespace alone is enough.
   */
  static NetCommand jobSetUp(JobSlot slot, boolean veth) {
    String script = "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6"
        + " && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 && exec " + NetCommand.IP + " -batch -";
    List<String> lines = new ArrayList<>(List.of("link set lo up"));
    if (veth) {
      lines.add("addr add " + Ipv4Cidr.format(slot.jobAddress()) + "/30 dev " + JobSlot.JOB_INTERFACE);
      lines.add("link set " + JobSlot.JOB_INTERFACE + " up");
      lines.add("route add default via " + Ipv4Cidr.format(slot.gateway()));
    }
    return new NetCommand(new NetnsEnter(slot.netnsPath()).wrap(List.of("/bin/sh", "-c", script)),
        String.join("\n", lines) + "\n");
  }

  /** On the host: deletes the veth (both ends) and the namespace; goes on past missing ones. */
  static NetCommand hostTearDown(JobSlot slot, boolean veth) {
    List<String> lines = new ArrayList<>();
    if (veth) lines.add("link del " + slot.hostInterface());
    lines.add("netns del " + slot.netnsName());
    return new NetCommand(List.of(NetCommand.IP, "-force", "-batch", "-"), String.join("\n", lines) + "\n");
  }

  private static String elements(String iface, Allowlist allow) {
    return String.join(", ", allow.entries().stream().map(e -> e.element(iface)).toList());
  }
}
