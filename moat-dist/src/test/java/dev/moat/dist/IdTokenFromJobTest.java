package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.agent.PoolSettings;
import dev.moat.common.secret.MasterKey;
import dev.moat.sandbox.cgroup.Limits;
import dev.moat.agent.PoolSettings.Tier;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Must-show 4 from inside a real sandbox: a job bound to an environment runs {@code moat-ctx id-token}
 * (the agent proxies it with the job credential), and the token it gets verifies with nimbus-jose-jwt
 * against the JWKS fetched over HTTP, naming the repository, ref and environment in its subject.
 */
class IdTokenFromJobTest {
  private static final Pattern JWT = Pattern.compile("jwt=([A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)");
  @TempDir Path dir;

  @Test
  void aJobsIdTokenFromMoatCtxVerifiesAndNamesItsEnvironment() throws Exception {
    try (var s = Scenario.createWith(dir, null, c -> c.withMasterKeys(List.of(MasterKey.generate(1))))) {
      s.agent(new PoolSettings(Tier.BWRAP, Optional.empty(), new Limits(512L << 20, 256, 1000), Optional.empty()));
      s.server.api().post("/api/v1/environments", Map.of("name", "production"));
      long run = s.pushOne("""
          name: release
          on: push
          jobs:
            deploy:
              environment: production
              steps:
                - run: echo "jwt=$(moat-ctx id-token --audience sts.example.test)"
                - run: moat-ctx id-token --audience '' || echo "refused=$?"
          """);
      JsonNode job = Scenario.job(s.awaitRunEnded(run), "deploy");
      String log = s.server.log(job.path("id").asLong());
      assertThat(job.path("status").asString()).as(log).isEqualTo("succeeded");
      var m = JWT.matcher(log);
      assertThat(m.find()).as(log).isTrue();

      var claims = IdentityTest.relyingParty(s.server.url(), "sts.example.test", new Date()).process(m.group(1), null);
      assertThat(claims.getSubject()).isEqualTo("repo:app:ref:refs/heads/main:environment:production");
      assertThat(claims.getStringClaim("environment")).isEqualTo("production");
      assertThat(claims.getStringClaim("workflow")).isEqualTo("release");
      assertThat(claims.getLongClaim("job_id")).isEqualTo(job.path("id").asLong());
      assertThat(claims.getStringClaim("sandbox_tier")).isEqualTo("bwrap");
      assertThat(log).contains("audience must be 1 to 256 printable characters without spaces").contains("refused=");
    }
  }
}
