package dev.moat.sandbox.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Policies, allowlist entries and settings that exist are valid. */
class EgressPolicyTest {
  @Test
  void anAllowedHostDefaultsToHttpsAndHttp() {
    assertThat(new AllowedHost("repo.maven.apache.org").ports()).containsExactly(80, 443);
    assertThat(new AllowedHost("203.0.113.10", List.of(8443, 22)).ports()).containsExactly(22, 8443);
    assertThat(new AllowedHost("203.0.113.10").isAddress()).isTrue();
    assertThat(new AllowedHost("deb.debian.org").isAddress()).isFalse();
  }

  @Test
  void malformedOrAmbiguousHostsAndBadPortsAreRefused() {
    for (String bad : List.of("", "Example.com", "a..b", "-a.com", "a-.com", "example.com.", "1.2.3", "10.0.0.256",
        "host name", "a_b.com", "*.example.com", "2001:db8::1")) {
      assertThatThrownBy(() -> new AllowedHost(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> new AllowedHost("a.com", List.of())).hasMessageContaining("no port");
    assertThatThrownBy(() -> new AllowedHost("a.com", List.of(0))).hasMessageContaining("bad port");
    assertThatThrownBy(() -> new AllowedHost("a.com", List.of(65536))).hasMessageContaining("bad port");
    assertThatThrownBy(() -> new AllowedHost("a.com", List.of(443, 443))).hasMessageContaining("duplicate");
    assertThatThrownBy(() -> new AllowedHost("a.com", Arrays.asList(443, null))).hasMessageContaining("bad port");
  }

  @Test
  void aFilteredPolicyNeedsAHostAndIsImmutable() {
    assertThatThrownBy(() -> new EgressPolicy.Filtered(List.of())).hasMessageContaining("use None");
    EgressPolicy.Filtered f = new EgressPolicy.Filtered(new java.util.ArrayList<>(List.of(new AllowedHost("a.com"))));
    assertThatThrownBy(() -> f.allow().add(new AllowedHost("b.com"))).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void cidrsAreParsedStrictly() {
    Ipv4Cidr pool = Ipv4Cidr.parse("10.231.0.0/16");
    assertThat(pool.size()).isEqualTo(65536);
    assertThat(Ipv4Cidr.format(pool.at(65535))).isEqualTo("10.231.255.255");
    assertThat(pool).hasToString("10.231.0.0/16");
    assertThatThrownBy(() -> Ipv4Cidr.parse("10.231.0.1/16")).hasMessageContaining("host bits");
    assertThatThrownBy(() -> Ipv4Cidr.parse("localhost/16")).hasMessageContaining("not an IPv4 address");
    assertThatThrownBy(() -> Ipv4Cidr.parse("10.0.0.0")).hasMessageContaining("not a CIDR");
    assertThatThrownBy(() -> pool.at(65536)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void settingsKeepEveryInterfaceNameWithinFifteenCharacters() {
    EgressSettings defaults = EgressSettings.defaults();
    assertThat(defaults.table()).isEqualTo("moat");
    assertThat(defaults.slots()).isEqualTo(16384);
    assertThat(new JobSlot(defaults, 16383).hostInterface()).isEqualTo("moatj16383h").hasSizeLessThanOrEqualTo(15);
    EgressSettings largest = new EgressSettings("moat", "abcdefgh", Ipv4Cidr.parse("10.0.0.0/14"));
    assertThat(new JobSlot(largest, largest.slots() - 1).hostInterface()).isEqualTo("abcdefgh65535h").hasSizeLessThanOrEqualTo(15);
    assertThatThrownBy(() -> new EgressSettings("moat", "abcdefghi", Ipv4Cidr.parse("10.0.0.0/16"))).hasMessageContaining("prefix");
    assertThatThrownBy(() -> new EgressSettings("moat", "mj", Ipv4Cidr.parse("10.0.0.0/13"))).hasMessageContaining("/14");
    assertThatThrownBy(() -> new EgressSettings("moat", "m", Ipv4Cidr.parse("10.0.0.0/16"))).hasMessageContaining("prefix");
    assertThatThrownBy(() -> new EgressSettings("Moat", "mj", Ipv4Cidr.parse("10.0.0.0/16"))).hasMessageContaining("table");
    assertThatThrownBy(() -> new EgressSettings("moat", "mj", Ipv4Cidr.parse("10.0.0.0/30"))).hasMessageContaining("/29");
  }
}
