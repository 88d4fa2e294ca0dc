package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.agent.PoolSettings;
import dev.moat.agent.PoolSettings.Tier;
import dev.moat.common.Json;
import dev.moat.common.secret.MasterKey;
import dev.moat.common.secret.Secret;
import dev.moat.sandbox.cgroup.Limits;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Issue 5's parts together, with nothing stood in: the server's own secret store behind the ctx
 * routes and the log mask, an environment binding, a real agent and sandbox. A job bound to
 * {@code production} gets its secret both ways (step and {@code moat-ctx}) and the stored log holds
 * no value; a job of the same run without the binding is denied, and both are audited.
 */
class StoreSecretsEndToEndTest {
  static final String VALUE = "prod-" + UUID.randomUUID();
  @TempDir Path dir;

  @Test
  void onlyTheJobBoundToTheEnvironmentGetsItsSecretAndNeitherLogHoldsTheValue() throws Exception {
    try (var s = Scenario.createWith(dir, null, c -> c.withMasterKeys(List.of(MasterKey.generate(1))))) {
      s.agent(new PoolSettings(Tier.BWRAP, Optional.empty(), new Limits(512L << 20, 256, 1000), Optional.empty()));
      s.server.api().post("/api/v1/environments", Map.of("name", "production"));
      s.server.secrets().set("test", "env:production", "DEPLOY_TOKEN", Secret.of(VALUE));

      long run = s.pushOne("""
          on: push
          jobs:
            deploy:
              environment: production
              steps:
                - secrets: [DEPLOY_TOKEN]
                  run: printf 'step=%s\\n' "$DEPLOY_TOKEN"
                - run: echo "fetched=$(moat-ctx secret get DEPLOY_TOKEN)"
            sneaky:
              steps:
                - run: moat-ctx secret get DEPLOY_TOKEN || echo "denied=$?"
          """);
      JsonNode ended = s.awaitRunEnded(run);
      long deploy = Scenario.job(ended, "deploy").path("id").asLong();
      long sneaky = Scenario.job(ended, "sneaky").path("id").asLong();
      String deployLog = SecretsMaskingTest.storedLog(s, deploy);
      String sneakyLog = SecretsMaskingTest.storedLog(s, sneaky);

      assertThat(ended.path("status").asString()).as(deployLog + sneakyLog).isEqualTo("succeeded");
      assertThat(deployLog).contains("step=***\n", "fetched=***\n").doesNotContain(VALUE);
      assertThat(sneakyLog).contains("secret DEPLOY_TOKEN denied", "denied=3\n").doesNotContain(VALUE);
      String audit = Json.write(s.server.api().get("/api/v1/audit?run=" + run));
      assertThat(audit).contains("secret_read", "secret_denied", "DEPLOY_TOKEN").doesNotContain(VALUE);
    }
  }
}
