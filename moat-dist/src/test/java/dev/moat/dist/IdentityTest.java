package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.moat.common.Json;
import dev.moat.common.wire.JobAssignment;
import dev.moat.common.wire.JobResult;
import dev.moat.testkit.FakeAgent;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.TestServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The OIDC issuer end to end (issue 5, must-show 4) and job credentials (must-show 6): a real server,
 * a job claimed over the agent protocol, its ID token fetched with the job credential and verified
 * with nimbus-jose-jwt against the JWKS fetched over HTTP from the server, as a relying party would.
 */
class IdentityTest {
  private static final String ONE_JOB = "name: ci\non: push\njobs: {a: {runs-on: [linux], steps: [{run: 'true'}]}}\n";
  private static final String AUDIENCE = "sts.example.test";
  private final HttpClient http = HttpClient.newHttpClient();
  @TempDir Path dir;
  TestServer server;
  GitFixture git;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start(dir.resolve("server"));
    git = GitFixture.create(dir.resolve("git"));
    server.addRepo("app", git.bare());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void anIdTokenVerifiesAgainstTheJwksFetchedOverHttpAndCarriesEveryClaim() throws Exception {
    var agent = FakeAgent.registered(server, List.of("linux"));
    var job = claim(agent);
    assertThat(agent.start(job.jobId()).status()).isEqualTo(204);

    var answer = idToken(job.jobToken(), AUDIENCE);
    assertThat(answer.statusCode()).isEqualTo(200);
    String token = Json.MAPPER.readTree(answer.body()).path("token").asString();
    JWTClaimsSet claims = processor(AUDIENCE, new Date()).process(token, null);

    assertThat(SignedJWT.parse(token).getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    assertThat(claims.getIssuer()).isEqualTo(server.url());
    assertThat(claims.getSubject()).isEqualTo("repo:app:ref:refs/heads/main");
    assertThat(claims.getAudience()).containsExactly(AUDIENCE);
    assertThat(claims.getNotBeforeTime()).isEqualTo(claims.getIssueTime());
    assertThat(claims.getExpirationTime().getTime() - claims.getIssueTime().getTime())
        .isPositive().isLessThanOrEqualTo(Duration.ofMinutes(10).toMillis());
    assertThat(claims.getJWTID()).isNotBlank();
    assertThat(claims.getLongClaim("run_id")).isEqualTo(job.runId());
    assertThat(claims.getLongClaim("job_id")).isEqualTo(job.jobId());
    assertThat(claims.getStringClaim("workflow")).isEqualTo("ci");
    assertThat(claims.getStringClaim("ref")).isEqualTo("refs/heads/main");
    assertThat(claims.getStringClaim("sha")).isEqualTo(job.sha());
    assertThat(claims.getStringClaim("trust_tier")).isEqualTo("trusted");
    assertThat(claims.getStringClaim("environment")).as("the job has no environment:").isEmpty();
    assertThat(claims.getStringClaim("pool")).isEqualTo("default");
    assertThat(claims.getStringClaim("sandbox_tier")).isEqualTo("bwrap");

    JsonNode audit = server.api().get("/api/v1/audit?run=" + job.runId());
    assertThat(audit.findValuesAsString("action")).contains("id_token_issued");
    assertThat(audit.toString()).contains(claims.getJWTID()).contains(AUDIENCE).doesNotContain(token);
  }

  @Test
  void anIdTokenIsRejectedAfterItExpiresAndForAnotherAudience() throws Exception {
    var agent = FakeAgent.registered(server, List.of("linux"));
    var job = claim(agent);
    agent.start(job.jobId());
    String token = Json.MAPPER.readTree(idToken(job.jobToken(), AUDIENCE).body()).path("token").asString();
    Date exp = SignedJWT.parse(token).getJWTClaimsSet().getExpirationTime();

    assertThat(processor(AUDIENCE, new Date(exp.getTime() - 1000)).process(token, null).getAudience()).containsExactly(AUDIENCE);
    // The verifier's clock just past the token's expiry plus nimbus's default 60 s clock skew.
    assertThatThrownBy(() -> processor(AUDIENCE, new Date(exp.getTime() + 61_000)).process(token, null))
        .isInstanceOf(BadJWTException.class).hasMessage("Expired JWT");
    assertThatThrownBy(() -> processor("vault.example.test", new Date()).process(token, null))
        .isInstanceOf(BadJWTException.class).hasMessage("JWT aud claim rejected");
  }

  @Test
  void aJobCredentialIsRefusedOnceItsJobHasEnded() throws Exception {
    var agent = FakeAgent.registered(server, List.of("linux"));
    var job = claim(agent);
    assertThat(idToken(job.jobToken(), AUDIENCE).statusCode()).as("dispatched").isEqualTo(200);
    var asAgent = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/agent/jobs/" + job.jobId() + "/start"))
        .header("Authorization", "Bearer " + job.jobToken()).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(asAgent.statusCode()).as("a job credential is no agent credential").isEqualTo(401);
    agent.start(job.jobId());
    assertThat(idToken(job.jobToken(), AUDIENCE).statusCode()).as("running").isEqualTo(200);
    assertThat(agent.finish(job.jobId(), new JobResult("succeeded", 0, "ok")).status()).isEqualTo(204);

    var refused = idToken(job.jobToken(), AUDIENCE);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(Json.MAPPER.readTree(refused.body()).path("detail").asString())
        .isEqualTo("job credential of job " + job.jobId() + " is no longer valid: the job is succeeded");
    assertThat(idToken("moat_job_forged", AUDIENCE).statusCode()).isEqualTo(401);
    assertThat(idToken(agent.credential(), AUDIENCE).statusCode()).as("an agent credential is no job credential").isEqualTo(401);
  }

  @Test
  void aCredentialOfAClaimThatWentBackToTheQueueNeverRevives() throws Exception {
    var silent = FakeAgent.registered(server, List.of("linux"));
    var first = claim(silent);
    var other = FakeAgent.registered(server, List.of("linux"));
    JobAssignment second = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> other.poll(1, List.of()).assignments(), a -> !a.isEmpty()).getFirst();
    assertThat(second.jobId()).isEqualTo(first.jobId());
    assertThat(second.jobToken()).isNotEqualTo(first.jobToken());

    assertThat(idToken(first.jobToken(), AUDIENCE).statusCode()).as("the first claim's credential").isEqualTo(401);
    assertThat(idToken(second.jobToken(), AUDIENCE).statusCode()).isEqualTo(200);
  }

  @Test
  void discoveryNamesTheIssuerAndAfterRotationOldTokensStillVerifyWhileNewOnesUseTheNextKey() throws Exception {
    JsonNode discovery = Json.MAPPER.readTree(get("/.well-known/openid-configuration").body());
    assertThat(discovery.path("issuer").asString()).isEqualTo(server.url());
    assertThat(discovery.path("jwks_uri").asString()).isEqualTo(server.url() + "/.well-known/jwks.json");
    assertThat(discovery.path("id_token_signing_alg_values_supported").toString()).isEqualTo("[\"ES256\"]");

    JWKSet before = JWKSet.parse(get("/.well-known/jwks.json").body());
    assertThat(before.getKeys()).as("current and next").hasSize(2).allSatisfy(k -> assertThat(k.isPrivate()).isFalse());
    var agent = FakeAgent.registered(server, List.of("linux"));
    var job = claim(agent);
    agent.start(job.jobId());
    String old = Json.MAPPER.readTree(idToken(job.jobToken(), AUDIENCE).body()).path("token").asString();
    String oldKid = SignedJWT.parse(old).getHeader().getKeyID();
    String nextKid = before.getKeys().stream().map(k -> k.getKeyID()).filter(k -> !k.equals(oldKid)).findFirst().orElseThrow();

    assertThat(server.api().post("/api/v1/admin/oidc/rotate", java.util.Map.of()).path("current").asString()).isEqualTo(nextKid);
    JWKSet after = JWKSet.parse(get("/.well-known/jwks.json").body());
    assertThat(after.getKeys()).as("retired, current, new next").hasSize(3);
    assertThat(after.getKeyByKeyId(oldKid)).isNotNull();
    assertThat(processor(AUDIENCE, new Date()).process(old, null).getSubject()).isEqualTo("repo:app:ref:refs/heads/main");
    String fresh = Json.MAPPER.readTree(idToken(job.jobToken(), AUDIENCE).body()).path("token").asString();
    assertThat(SignedJWT.parse(fresh).getHeader().getKeyID()).isEqualTo(nextKid);
    assertThat(processor(AUDIENCE, new Date()).process(fresh, null).getAudience()).containsExactly(AUDIENCE);

    Path keys = server.dataDir().resolve("oidc-keys.json");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys))).isEqualTo("rw-------");
    server.restart();
    assertThat(JWKSet.parse(get("/.well-known/jwks.json").body()).getKeys()).as("the keys survive a restart").hasSize(3);
  }

  @Test
  void moatOidcRotateNeedsAnAdminAndPublishesANewNextKey() throws Exception {
    JWKSet before = JWKSet.parse(get("/.well-known/jwks.json").body());
    var viewer = server.api().post("/api/v1/users", java.util.Map.of("name", "vic", "role", "viewer")).path("token").asString();
    var refused = CliTest.moatAs(server, viewer, "oidc", "rotate");
    assertThat(refused.code()).as(refused.err()).isEqualTo(3);
    assertThat(JWKSet.parse(get("/.well-known/jwks.json").body()).getKeys()).hasSize(2);

    var rotated = CliTest.moat(server, "oidc", "rotate");
    assertThat(rotated.code()).as(rotated.err()).isZero();
    String current = rotated.out().strip().replace("current signing key: ", "");
    assertThat(before.getKeyByKeyId(current)).as("the key published as next").isNotNull();
    assertThat(JWKSet.parse(get("/.well-known/jwks.json").body()).getKeys()).hasSize(3);
    JsonNode audit = server.api().get("/api/v1/audit");
    assertThat(audit.findValuesAsString("action")).contains("oidc_key_rotated");
  }

  @Test
  void anIdTokenRequestWithoutAnAudienceIsRefused() throws Exception {
    var job = claim(FakeAgent.registered(server, List.of("linux")));
    var answer = idToken(job.jobToken(), "");
    assertThat(answer.statusCode()).isEqualTo(400);
    assertThat(answer.body()).contains("audience must be 1 to 256 printable characters without spaces");
  }

  private JobAssignment claim(FakeAgent agent) throws Exception {
    git.workflow(ONE_JOB).commit("c");
    git.push();
    return org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> agent.poll(1, List.of()).assignments(), a -> !a.isEmpty()).getFirst();
  }

  private DefaultJWTProcessor<SecurityContext> processor(String audience, Date now) throws Exception {
    return relyingParty(server.url(), audience, now);
  }

  /**
   * A relying party of the issuer at {@code issuer}: keys from its JWKS over HTTP, ES256 only, the
   * exact issuer, one audience, every claim required, and {@code now} as its clock.
   */
  static DefaultJWTProcessor<SecurityContext> relyingParty(String issuer, String audience, Date now) throws Exception {
    var jwks = JWKSourceBuilder.<SecurityContext>create(URI.create(issuer + "/.well-known/jwks.json").toURL())
        .cache(false).refreshAheadCache(false).rateLimited(false).retrying(false).build();
    var processor = new DefaultJWTProcessor<SecurityContext>();
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, jwks));
    processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(audience,
        new JWTClaimsSet.Builder().issuer(issuer).build(),
        Set.of("sub", "exp", "iat", "nbf", "jti", "run_id", "job_id", "workflow", "ref", "sha", "trust_tier",
            "environment", "pool", "sandbox_tier")) {
      @Override
      protected Date currentTime() {
        return now;
      }
    });
    return processor;
  }

  private HttpResponse<String> idToken(String jobToken, String audience) throws Exception {
    var req = HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/ctx/id-token?audience="
            + URLEncoder.encode(audience, StandardCharsets.UTF_8)))
        .header("Authorization", "Bearer " + jobToken).timeout(Duration.ofSeconds(10)).GET().build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
