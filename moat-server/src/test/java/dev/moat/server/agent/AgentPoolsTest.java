package dev.moat.server.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.common.wire.RegisterRequest;
import dev.moat.engine.placement.PlacementPolicy;
import dev.moat.engine.placement.PolicyParser;
import dev.moat.server.db.Database;
import dev.moat.server.http.ApiException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Registration under a placement policy, on a real SQLite database: tokens only for the pools the
 * policy names, and a token made before the policy changed can't register an agent to a pool the
 * policy no longer has.
 */
class AgentPoolsTest {
  static final PlacementPolicy FAST_ONLY = PolicyParser.parse("policy.yml", """
      trust: {trusted: bwrap, known: oci, unknown: oci}
      pools: [{name: fast, tier: bwrap, labels: [linux]}]
      """);

  @TempDir Path dir;

  @Test
  void aTokenFromBeforeThePolicyNamedItsPoolRegistersNothingAndStaysUnused() throws Exception {
    try (var db = Database.openSqlite(dir.resolve("moat.db"))) {
      var before = new AgentService(db.jdbi(), InstantSource.system(), PlacementPolicy.DEFAULT);
      var after = new AgentService(db.jdbi(), InstantSource.system(), FAST_ONLY);
      String old = before.createToken("legacy", Duration.ofHours(1)).token();

      assertThatThrownBy(() -> after.register(new RegisterRequest(old, "a1", List.of("linux"))))
          .isInstanceOf(ApiException.Forbidden.class)
          .hasMessage("pool 'legacy' is not in the server's placement policy; its pools: fast");
      assertThat(before.register(new RegisterRequest(old, "a1", List.of("linux"))).pool())
          .as("the refused attempt did not use the token up").isEqualTo("legacy");

      assertThatThrownBy(() -> after.createToken("legacy", Duration.ofHours(1)))
          .isInstanceOf(ApiException.Invalid.class)
          .hasMessage("pool 'legacy' is not in the server's placement policy; its pools: fast");
      String fast = after.createToken("fast", Duration.ofHours(1)).token();
      assertThat(after.register(new RegisterRequest(fast, "a2", List.of("linux"))).pool()).isEqualTo("fast");
    }
  }

  @Test
  void aTokensLabelGrantStaysWithinItsPoolEvenWhenThePolicyNarrowedThePoolSinceTheTokenWasMade() throws Exception {
    var wide = PolicyParser.parse("policy.yml", """
        trust: {trusted: bwrap, known: oci, unknown: oci}
        pools: [{name: fast, tier: bwrap, labels: [linux, gpu]}]
        """);
    try (var db = Database.openSqlite(dir.resolve("moat.db"))) {
      var before = new AgentService(db.jdbi(), InstantSource.system(), wide);
      var after = new AgentService(db.jdbi(), InstantSource.system(), FAST_ONLY);
      String token = before.createToken("fast", List.of("linux", "gpu"), Duration.ofHours(1)).token();

      assertThatThrownBy(() -> after.register(new RegisterRequest(token, "a1", List.of("linux", "gpu"))))
          .isInstanceOf(ApiException.Forbidden.class)
          .hasMessage("pool fast grants labels linux; not gpu");
      assertThat(after.register(new RegisterRequest(token, "a1", List.of("linux"))).labels())
          .as("the refused attempt did not use the token up").containsExactly("linux");
    }
  }
}
