package dev.moat.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.agent.PoolSettings.Tier;
import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.cgroup.Limits;
import dev.moat.sandbox.net.AllowedHost;
import dev.moat.sandbox.net.EgressPolicy;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PoolFileTest {
  @Test
  void readsEveryField() {
    PoolSettings pool = PoolFile.parse("""
        tier: oci
        image: debian-bookworm
        limits: {memory: 512MiB, pids: 100, cpu: 1500m, disk: 2GiB}
        """);
    assertThat(pool).isEqualTo(new PoolSettings(Tier.OCI, Optional.of("debian-bookworm"),
        new Limits(512L << 20, 100, 1500), Optional.of(2L << 30)));
  }

  @Test
  void anEmptyFileIsABwrapPoolWithTheDefaultLimits() {
    assertThat(PoolFile.parse("{}")).isEqualTo(PoolSettings.defaults());
    assertThat(PoolFile.parse("limits: {cpu: 2}").limits())
        .isEqualTo(new Limits(BwrapSettings.DEFAULT_LIMITS.memoryBytes(), BwrapSettings.DEFAULT_LIMITS.pidsMax(), 2000));
  }

  @Test
  void readsAnEgressAllowlist() {
    PoolSettings pool = PoolFile.parse("egress: {mode: filtered, allow: [deb.debian.org, 'example.com:443,8443']}");
    assertThat(pool.egress()).contains(EgressPolicy.filtered(new AllowedHost("deb.debian.org"),
        new AllowedHost("example.com", java.util.List.of(443, 8443))));
    assertThat(PoolFile.parse("egress: {mode: none}").egress()).contains(EgressPolicy.none());
    assertThatThrownBy(() -> PoolFile.parse("egress: {mode: open}")).hasMessageContaining("unknown egress mode 'open'");
    assertThatThrownBy(() -> PoolFile.parse("egress: {mode: filtered, allow: ['Bad Host']}")).hasMessageContaining("Bad Host");
  }

  @Test
  void anOciPoolMayFilterEgressToo() {
    PoolSettings pool = PoolFile.parse("""
        tier: oci
        image: debian-bookworm
        egress: {mode: filtered, allow: [deb.debian.org]}
        """);
    assertThat(pool.tier()).isEqualTo(Tier.OCI);
    assertThat(pool.egress()).contains(EgressPolicy.filtered(new AllowedHost("deb.debian.org")));
    assertThat(PoolFile.parse("tier: oci\nimage: debian-bookworm\negress: {mode: none}").egress()).contains(EgressPolicy.none());
  }

  @Test
  void refusesTyposAndBadValuesNamingTheKey() {
    assertThatThrownBy(() -> PoolFile.parse("limits: {memroy: 1GiB}")).hasMessageContaining("unknown key 'memroy' in limits");
    assertThatThrownBy(() -> PoolFile.parse("limits: {memory: lots}")).hasMessageContaining("'limits.memory' must be a size");
    assertThatThrownBy(() -> PoolFile.parse("limits: {cpu: fast}")).hasMessageContaining("'limits.cpu'");
    assertThatThrownBy(() -> PoolFile.parse("tier: vm")).hasMessageContaining("unknown tier 'vm'");
    assertThatThrownBy(() -> PoolFile.parse("tier: oci")).hasMessageContaining("must name its image");
    assertThatThrownBy(() -> PoolFile.parse("image: debian-bookworm")).hasMessageContaining("can't name an image");
    assertThatThrownBy(() -> PoolFile.parse("tier: oci\nimage: ../x")).hasMessageContaining("bad image name");
    assertThatThrownBy(() -> PoolFile.parse("limits: {disk: 1MiB}")).hasMessageContaining("at least 8MiB");
  }
}
