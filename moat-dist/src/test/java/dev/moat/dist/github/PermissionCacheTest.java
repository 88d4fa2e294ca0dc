package dev.moat.dist.github;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.engine.trust.TrustTier;
import dev.moat.server.github.GitHubTrust;
import dev.moat.server.github.PermissionCache;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The permission cache's TTL and invalidation, and GitHub's roles mapped to tiers. */
class PermissionCacheTest {
  @Test
  void entriesExpireAfterTheTtlAndInvalidationDropsThem() {
    var now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    InstantSource clock = now::get;
    var cache = new PermissionCache(clock, Duration.ofMinutes(5));
    cache.put("app", 7, TrustTier.TRUSTED);
    now.set(now.get().plus(Duration.ofMinutes(4)));
    assertThat(cache.get("app", 7)).contains(TrustTier.TRUSTED);
    now.set(now.get().plus(Duration.ofMinutes(1)));
    assertThat(cache.get("app", 7)).as("expired at exactly the TTL").isEmpty();

    cache.put("app", 7, TrustTier.TRUSTED);
    cache.put("app", 8, TrustTier.KNOWN);
    cache.put("lib", 7, TrustTier.KNOWN);
    cache.invalidateUser(7);
    assertThat(cache.get("app", 7)).isEmpty();
    assertThat(cache.get("lib", 7)).isEmpty();
    assertThat(cache.get("app", 8)).contains(TrustTier.KNOWN);
    cache.invalidateRepo("app");
    assertThat(cache.size()).isZero();
  }

  @Test
  void rolesMapToTiersAndAnythingElseIsUnknown() {
    assertThat(GitHubTrust.tierOf("admin")).isEqualTo(TrustTier.TRUSTED);
    assertThat(GitHubTrust.tierOf("maintain")).isEqualTo(TrustTier.TRUSTED);
    assertThat(GitHubTrust.tierOf("write")).isEqualTo(TrustTier.KNOWN);
    for (String r : new String[] {"triage", "read", "none", "", "custom-role", null}) {
      assertThat(GitHubTrust.tierOf(r)).as(String.valueOf(r)).isEqualTo(TrustTier.UNKNOWN);
    }
  }
}
