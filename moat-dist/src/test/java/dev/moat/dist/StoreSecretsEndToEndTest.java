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

  static {
    LogAudit.forbid(VALUE);
  }
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
      assertLogFields(ended, deploy, sneaky);
    }
  }

  /**
   * The log lines of the deploy job carry the fields an operator queries by (issue 6), one spelling
   * on server and agent; secrets appear by name. LogAudit checks afterwards that no line holds the value.
   */
  private static void assertLogFields(JsonNode run, long deploy, long sneaky) {
    String sha = run.path("sha").asString();
    assertThat(sha).matches("[0-9a-f]{40}");
    JsonNode dispatched = LogAudit.line("RunService", "job dispatched", deploy);
    JsonNode started = LogAudit.line("JobRunner", "job started", deploy);
    for (JsonNode n : List.of(dispatched, started)) {
      assertThat(n.path("run_id").asString()).as("%s", n).isEqualTo(run.path("id").asString());
      assertThat(n.path("repo").asString()).as("%s", n).isEqualTo("app");
      assertThat(n.path("sha").asString()).as("%s", n).isEqualTo(sha);
      assertThat(n.path("pool").asString()).as("%s", n).isEqualTo("default");
      assertThat(n.path("tier").asString()).as("%s", n).isEqualTo("bwrap");
      assertThat(n.path("agent").asString()).as("%s", n).isNotBlank();
      assertThat(n.path("level").asString()).isEqualTo("INFO");
      assertThat(java.time.OffsetDateTime.parse(n.path("ts").asString())).as("ts is ISO-8601").isNotNull();
    }
    assertThat(dispatched.path("agent").asString()).isEqualTo(started.path("agent").asString());
    assertThat(dispatched.path("trust_tier").asString()).isEqualTo(run.path("trustTier").asString()).isNotBlank();
    assertThat(LogAudit.line("JobRunner", "source fetched", deploy).path("artifact_sha256").asString()).matches("[0-9a-f]{64}");
    assertThat(LogAudit.line("JobRunner", "sandbox started", deploy).path("start_ms").asLong(-1)).isGreaterThanOrEqualTo(0);
    assertThat(LogAudit.line("JobRunner", "step asks for secrets", deploy).path("secrets").toString()).isEqualTo("[\"DEPLOY_TOKEN\"]");
    assertThat(LogAudit.line("SecretStore", "secret denied", sneaky).path("secrets").toString()).isEqualTo("[\"DEPLOY_TOKEN\"]");
    long reads = LogAudit.lines().stream().filter(n -> "secret read".equals(n.path("msg").asString())
        && Long.toString(deploy).equals(n.path("job_id").asString()) && n.path("secrets").toString().equals("[\"DEPLOY_TOKEN\"]")).count();
    assertThat(reads).as("one read per step that asked for it").isEqualTo(2);
    for (String who : List.of("JobRunner", "RunService")) {
      JsonNode finished = LogAudit.line(who, "job finished", deploy);
      assertThat(finished.path("status").asString()).as("%s", finished).isEqualTo("succeeded");
      assertThat(finished.path("exit_code").asInt(-1)).as("%s", finished).isZero();
      assertThat(finished.path("egress").asString()).as("%s", finished).isEqualTo("allowed");
      assertThat(finished.path("pool").asString()).as("%s", finished).isEqualTo("default");
    }
  }
}
