package dev.moat.engine.placement;

import static dev.moat.engine.placement.IsolationTier.BWRAP;
import static dev.moat.engine.placement.IsolationTier.MICROVM;
import static dev.moat.engine.placement.IsolationTier.OCI;
import static dev.moat.engine.trust.TrustTier.KNOWN;
import static dev.moat.engine.trust.TrustTier.TRUSTED;
import static dev.moat.engine.trust.TrustTier.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.moat.engine.WorkflowException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The policy file: what it reads, and every validation error with its position and key. */
class PolicyParserTest {
  private static final String TRUST = """
      trust:
        trusted: bwrap
        known: oci
        unknown: oci
      """;

  private static List<String> problems(String yaml) {
    try {
      PolicyParser.parse("policy.yml", yaml);
    } catch (PolicyException e) {
      return e.problems().stream().map(WorkflowException.Problem::toString).toList();
    }
    return fail("expected a PolicyException for:%n%s", yaml);
  }

  @Test
  void readsTheIssuesExample() {
    var policy = PolicyParser.parse("policy.yml", TRUST + """
        pools:
          - name: fast
            tier: bwrap
            labels: [linux]
          - name: isolated
            tier: oci
            labels: [linux]
            admits: [known, unknown]
        """);

    assertThat(policy).isEqualTo(new PlacementPolicy(Map.of(TRUSTED, BWRAP, KNOWN, OCI, UNKNOWN, OCI), Optional.of(List.of(
        new PoolSpec("fast", BWRAP, List.of("linux")),
        new PoolSpec("isolated", OCI, List.of("linux"), EnumSet.of(KNOWN, UNKNOWN))))));
  }

  @Test
  void labelsDefaultToNoneAndASingleLabelOrTierMayBeAString() {
    var policy = PolicyParser.parse("policy.yml", TRUST + """
        pools:
          - {name: vm, tier: microvm, admits: unknown}
          - {name: bare, tier: bwrap, labels: linux}
        """);

    assertThat(policy.pool("vm")).contains(new PoolSpec("vm", MICROVM, List.of(), EnumSet.of(UNKNOWN)));
    assertThat(policy.pool("bare")).contains(new PoolSpec("bare", BWRAP, List.of("linux")));
  }

  @Test
  void reportsEveryProblemAtOnceWithItsPositionAndKey() {
    assertThat(problems("""
        trust:
          trusted: bwrap
          known: vm
          unknown: oci
          guest: oci
        pools:
          - name: Fast
            tier: bwrap
            colour: red
          - name: ok
          - name: again
            tier: oci
            labels: [linux, linux, ""]
            admits: [known, everyone, known]
          - just-a-string
        extra: 1
        """)).containsExactly(
        "policy.yml:3:10: 'trust.known': unknown sandbox tier 'vm': use bwrap, oci or microvm",
        "policy.yml:5:3: unknown key 'guest' in 'trust'; allowed: trusted, known, unknown",
        "policy.yml:7:11: 'pools[0].name': 'Fast' is not a pool name: use lower-case letters, digits and '-', "
            + "at most 32, starting with a letter or digit",
        "policy.yml:9:5: unknown key 'colour' in 'pools[0]'; allowed: name, tier, labels, admits",
        "policy.yml:10:5: missing required key 'tier' in 'pools[1] (ok)'",
        "policy.yml:13:28: 'pools[2].labels': a label must not be blank",
        "policy.yml:14:21: 'pools[2].admits': unknown trust tier 'everyone': use trusted, known or unknown",
        "policy.yml:14:31: 'pools[2].admits': 'known' is listed twice",
        "policy.yml:15:5: 'pools[3]': expected a mapping, found a string",
        "policy.yml:16:1: unknown key 'extra'; allowed: trust, pools");
  }

  @Test
  void requiresTrustForEveryTierAndAtLeastOnePool() {
    assertThat(problems("trust: {trusted: bwrap}\npools: []\n")).containsExactly(
        "policy.yml:1:8: missing required key 'known' in 'trust'",
        "policy.yml:1:8: missing required key 'unknown' in 'trust'",
        "policy.yml:2:8: 'pools' must declare at least one pool");
    assertThat(problems("pools: {name: a}\n")).containsExactly(
        "policy.yml:1:1: missing required key 'trust'",
        "policy.yml:1:8: 'pools': expected a list, found a mapping");
    assertThat(problems("trust: oci\n")).containsExactly(
        "policy.yml:1:1: missing required key 'pools'",
        "policy.yml:1:8: 'trust': expected a mapping, found a string");
  }

  @Test
  void refusesALessTrustedTierWithAWeakerSandboxAtItsValue() {
    assertThat(problems("trust: {trusted: oci, known: bwrap, unknown: oci}\npools: [{name: a, tier: oci}]\n"))
        .containsExactly("policy.yml:1:30: 'trust.known': known contributors may not get a weaker sandbox (bwrap) "
            + "than trusted contributors (oci)");
  }

  @Test
  void refusesAPoolDeclaredTwiceAndAnEmptyAdmitsList() {
    assertThat(problems(TRUST + """
        pools:
          - {name: a, tier: oci}
          - {name: a, tier: bwrap, admits: []}
          - {name: a, tier: bwrap}
        """)).containsExactly(
        "policy.yml:7:36: 'pools[1].admits' must name at least one trust tier; leave it out to admit every tier",
        "policy.yml:8:5: pool 'a' is declared twice (first at line 6)");
  }

  @Test
  void refusesNonDataAndOversizedAndEmptyFilesWithTheWorkflowParsersLimits() {
    assertThat(problems("")).containsExactly("policy.yml:1:1: the policy is empty; it needs 'trust' and 'pools'");
    assertThat(problems("- a\n")).containsExactly("policy.yml:1:1: 'policy': expected a mapping, found a list");
    assertThat(problems("trust: !!binary aGk=\npools: [{name: a, tier: oci}]\n")).containsExactly(
        "policy.yml:1:8: 'trust': expected a mapping, found a value tagged '!!binary'");
    assertThat(problems("<<: {a: 1}\n")).first().asString().contains("merge keys ('<<') are not supported");
    assertThat(problems("trust: [" + "[".repeat(100) + "\n")).first().asString()
        .contains("nested more than 64 levels deep");
    assertThat(problems("# " + "x".repeat(PolicyParser.MAX_BYTES) + "\n"))
        .containsExactly("policy.yml:1:1: the file is 65539 bytes; the limit is 65536 bytes");
    assertThat(problems("trust: {trusted: bwrap\n")).first().asString().startsWith("policy.yml:2:1: invalid YAML");
  }
}
