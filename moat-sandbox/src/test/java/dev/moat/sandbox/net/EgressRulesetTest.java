package dev.moat.sandbox.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Moat's nft table as text, and the real nft's opinion of it. */
class EgressRulesetTest {
  static final EgressRuleset RULESET = new EgressRuleset(EgressSettings.defaults(),
      List.of(Ipv4Cidr.address("192.0.2.2"), Ipv4Cidr.address("127.0.0.1"), Ipv4Cidr.address("192.0.2.2")));

  @Test
  void theTableIsReplacedInOneTransaction() {
    assertThat(RULESET.text()).startsWith("add table inet moat\ndelete table inet moat\ntable inet moat {\n");
    assertThat(RULESET.deletion()).isEqualTo("delete table inet moat\n");
  }

  @Test
  void privateMetadataHostAndPoolAddressesAreBlockedButTheLabsPublicRangesAreNot() {
    String text = RULESET.text();
    assertThat(text).contains("elements = { 0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, "
        + "172.16.0.0/12, 192.0.0.0/24, 192.0.2.0/24, 192.168.0.0/16, 198.18.0.0/15, 224.0.0.0/3, 10.231.0.0/16 }");
    assertThat(text).contains("set host4 {\n    type ipv4_addr\n    elements = { 127.0.0.1, 192.0.2.2 }\n  }");
    assertThat(text).doesNotContain("198.51.100.", "203.0.113.");
  }

  @Test
  void jobTrafficIsCheckedAgainstBlocksBeforeTheAllowlistAndRefusedWithAResetAndACount() {
    assertThat(RULESET.text()).contains("""
          chain deny {
            counter name iifname map @denied
            meta l4proto tcp reject with tcp reset
            reject with icmpx admin-prohibited
          }
        """, """
          chain job_out {
            meta nfproto ipv6 goto drop6
            ct state established,related accept
            ip daddr @blocked4 goto deny
            ip daddr @host4 goto deny
            iifname . ip daddr . tcp dport @allow4 accept
            goto deny
          }
        """);
  }

  @Test
  void jobInterfacesAreMatchedByPrefixInForwardInputAndNat() {
    assertThat(RULESET.text()).contains(
        "type filter hook forward priority filter - 10; policy accept;\n    iifname \"moatj*\" goto job_out\n"
            + "    oifname \"moatj*\" ct state established,related accept\n    oifname \"moatj*\" drop\n",
        "type filter hook input priority filter - 10; policy accept;\n    iifname \"moatj*\" meta nfproto ipv6 goto drop6\n"
            + "    iifname \"moatj*\" goto deny\n",
        "iifname \"moatj*\" oifname != \"moatj*\" masquerade");
  }

  @Test
  void aHostWithoutAddressesGetsAnEmptyHostSet() {
    String text = new EgressRuleset(EgressSettings.defaults(), List.of()).text();
    assertThat(text).contains("set host4 {\n    type ipv4_addr\n  }");
  }

  @Test
  void theRealNftAcceptsTheRuleset() throws IOException {
    EgressFixture.assumeCapable("the nft syntax check");
    String text = new EgressRuleset(EgressFixture.settings("er"), List.of(Ipv4Cidr.address("192.0.2.2"))).text();
    new NetCommand(List.of(NetCommand.NFT, "-c", "-f", "-"), text).run();
  }
}
