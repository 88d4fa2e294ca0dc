package dev.moat.sandbox.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Names, addresses and the host commands of one job network, as data. */
class JobNetCommandsTest {
  static final JobSlot SLOT = new JobSlot(EgressSettings.defaults(), 3);
  static final Allowlist ALLOW = new Allowlist(
      List.of(new Allowlist.Entry(Ipv4Cidr.address("203.0.113.10"), 443), new Allowlist.Entry(Ipv4Cidr.address("203.0.113.10"), 80)),
      List.of("203.0.113.10 allowed.example"));

  @Test
  void aSlotOwnsAThirtyAndItsNames() {
    assertThat(SLOT.hostInterface()).isEqualTo("moatj3h");
    assertThat(SLOT.netnsName()).isEqualTo("moat-moatj3");
    assertThat(SLOT.netnsPath()).isEqualTo(Path.of("/run/netns/moat-moatj3"));
    assertThat(Ipv4Cidr.format(SLOT.gateway())).isEqualTo("10.231.0.13");
    assertThat(Ipv4Cidr.format(SLOT.jobAddress())).isEqualTo("10.231.0.14");
    assertThatThrownBy(() -> new JobSlot(EgressSettings.defaults(), 16384)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theJobsNftEntriesAreAddedAndRemovedTogether() {
    assertThat(JobNetCommands.addPolicy(SLOT, ALLOW)).isEqualTo(new NetCommand(List.of("/usr/sbin/nft", "-f", "-"), """
        add counter inet moat moatj3h
        add element inet moat denied { "moatj3h" : "moatj3h" }
        add element inet moat allow4 { "moatj3h" . 203.0.113.10 . 443, "moatj3h" . 203.0.113.10 . 80 }
        """));
    assertThat(JobNetCommands.removePolicy(SLOT, ALLOW).input()).isEqualTo("""
        delete element inet moat allow4 { "moatj3h" . 203.0.113.10 . 443, "moatj3h" . 203.0.113.10 . 80 }
        delete element inet moat denied { "moatj3h" }
        delete counter inet moat moatj3h
        """);
    assertThat(JobNetCommands.readCounter(SLOT).argv()).containsExactly("/usr/sbin/nft", "list", "counter", "inet", "moat", "moatj3h");
  }

  @Test
  void theHostSideCreatesTheNamespaceAndAVethWhosePeerIsTheJobsEth0() {
    assertThat(JobNetCommands.hostSetUp(SLOT, true)).isEqualTo(new NetCommand(List.of("/usr/sbin/ip", "-batch", "-"), """
        netns add moat-moatj3
        link add moatj3h type veth peer name eth0 netns moat-moatj3
        addr add 10.231.0.13/30 dev moatj3h
        link set moatj3h up
        """));
    assertThat(JobNetCommands.hostSetUp(SLOT, false).input()).isEqualTo("netns add moat-moatj3\n");
  }

  @Test
  void theJobSideTurnsIpv6OffThenConfiguresLoAndEth0InsideTheNamespace() {
    NetCommand job = JobNetCommands.jobSetUp(SLOT, true);
    assertThat(job.argv()).containsExactly("/usr/bin/nsenter", "--net=/run/netns/moat-moatj3", "--", "/bin/sh", "-c",
        "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6"
            + " && exec /usr/sbin/ip -batch -");
    assertThat(job.input()).isEqualTo("link set lo up\naddr add 10.231.0.14/30 dev eth0\nlink set eth0 up\n"
        + "route add default via 10.231.0.13\n");
    assertThat(JobNetCommands.jobSetUp(SLOT, false).input()).isEqualTo("link set lo up\n");
  }

  @Test
  void teardownDeletesTheVethBeforeTheNamespace() {
    assertThat(JobNetCommands.hostTearDown(SLOT, true))
        .isEqualTo(new NetCommand(List.of("/usr/sbin/ip", "-force", "-batch", "-"), "link del moatj3h\nnetns del moat-moatj3\n"));
    assertThat(JobNetCommands.hostTearDown(SLOT, false).input()).isEqualTo("netns del moat-moatj3\n");
  }

  @Test
  void namesAreResolvedByTheGatewayIntoAllowEntriesAndHostsLines() throws Exception {
    Map<String, List<String>> dns = Map.of("mirror.example", List.of("203.0.113.10", "203.0.113.11"));
    HostResolver resolver = name -> {
      if (!dns.containsKey(name)) throw new UnknownHostException(name);
      return dns.get(name).stream().map(JobNetCommandsTest::inet).toList();
    };
    Allowlist allow = Allowlist.resolve(new EgressPolicy.Filtered(List.of(new AllowedHost("mirror.example", List.of(443)),
        new AllowedHost("198.51.100.7", List.of(22)), new AllowedHost("mirror.example", List.of(443)))), resolver);

    assertThat(allow.entries().stream().map(e -> e.element("x")))
        .containsExactly("\"x\" . 203.0.113.10 . 443", "\"x\" . 203.0.113.11 . 443", "\"x\" . 198.51.100.7 . 22");
    assertThat(allow.hostsFragment()).isEqualTo("203.0.113.10 mirror.example\n203.0.113.11 mirror.example\n");
    assertThatThrownBy(() -> Allowlist.resolve(new EgressPolicy.Filtered(List.of(new AllowedHost("v6only.example"))),
        name -> List.of())).isInstanceOf(UnknownHostException.class).hasMessageContaining("v6only.example");
  }

  @Test
  void theEnterPrefixGoesInFrontOfTheCommand() {
    NetnsEnter enter = new NetnsEnter(Path.of("/run/netns/moat-moatj3"));
    assertThat(enter.wrap(List.of("/usr/bin/setpriv", "--reuid=65500", "--", "/bin/true")))
        .containsExactly("/usr/bin/nsenter", "--net=/run/netns/moat-moatj3", "--", "/usr/bin/setpriv", "--reuid=65500", "--", "/bin/true");
    assertThatThrownBy(() -> new NetnsEnter(Path.of("moat-moatj3"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> enter.wrap(List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aCounterListingGivesItsPackets() throws Exception {
    assertThat(JobNetwork.packets("table inet moat {\n\tcounter moatj3h {\n\t\tpackets 7 bytes 420\n\t}\n}\n")).isEqualTo(7);
    assertThatThrownBy(() -> JobNetwork.packets("garbage")).hasMessageContaining("no packet count");
  }

  static Inet4Address inet(String dotted) {
    try {
      return (Inet4Address) InetAddress.getByName(dotted);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
