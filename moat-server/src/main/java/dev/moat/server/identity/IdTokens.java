package dev.moat.server.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.moat.server.audit.Audit;
import dev.moat.server.audit.AuditAction;
import dev.moat.server.http.ApiException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;

/**
 * Issues OIDC ID tokens to running jobs (DESIGN I9), for cloud or Vault federation instead of static
 * keys. A token is an ES256 JWT signed with the issuer's current key, bound to the one audience the
 * job asked for, and lives {@code ttl} (at most {@link #MAX_TTL}). Its subject names repository, ref
 * and, when the job has one, environment: {@code repo:app:ref:refs/heads/main:environment:prod}.
 * Every issued token is audited ({@code id_token_issued}: job, audience, jti), never the token
 * itself. Thread-safe.
 */
public final class IdTokens {
  /** The longest an ID token may live. */
  public static final Duration MAX_TTL = Duration.ofMinutes(10);
  /** How long the server's ID tokens live: minutes, enough for one federation exchange. */
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);
  /** Audiences are printable, without spaces, at most 256 characters. */
  private static final Pattern AUDIENCE = Pattern.compile("[\\x21-\\x7e]{1,256}");
  /** Every claim a token carries, as the discovery document lists them. */
  public static final List<String> CLAIMS = List.of("iss", "sub", "aud", "exp", "iat", "nbf", "jti", "run_id", "job_id",
      "workflow", "ref", "sha", "trust_tier", "environment", "pool", "sandbox_tier");

  /** An issued token and what a caller needs to know about it. */
  public record IdToken(String value, Instant expiresAt, String jti) {
    @Override
    public String toString() {
      return "IdToken[jti=" + jti + ", expiresAt=" + expiresAt + "]";
    }
  }

  /**
   * What a job's token says about it, read in one query. A run from before trust tiers carries
   * {@code unknown}: a relying party must never be told more trust than was decided. A job without
   * {@code environment:} has the empty environment.
   */
  private record JobFacts(long runId, long jobId, String repo, String ref, String sha, String workflow, String trustTier,
      String pool, String sandboxTier, String environment) {}

  private final Jdbi jdbi;
  private final InstantSource clock;
  private final SigningKeys keys;
  private final Supplier<String> issuer;
  private final Duration ttl;
  private final Audit audit;

  /** @param issuer the server's public URL, known once it listens */
  public IdTokens(Jdbi jdbi, InstantSource clock, SigningKeys keys, Supplier<String> issuer, Duration ttl, Audit audit) {
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException("an ID token lives more than 0 and at most " + MAX_TTL.toMinutes() + " minutes");
    }
    this.jdbi = jdbi;
    this.clock = clock;
    this.keys = keys;
    this.issuer = issuer;
    this.ttl = ttl;
    this.audit = audit;
  }

  /** Signs a token for job {@code jobId} (already authenticated by its job credential) and {@code audience}. */
  public IdToken issue(long jobId, String audience) {
    if (audience == null || !AUDIENCE.matcher(audience).matches()) {
      throw ApiException.invalid("audience must be 1 to 256 printable characters without spaces");
    }
    JobFacts job = facts(jobId);
    String environment = job.environment();
    Instant now = clock.instant();
    Instant exp = now.plus(ttl);
    String jti = UUID.randomUUID().toString();
    String sub = "repo:" + job.repo() + ":ref:" + job.ref() + (environment.isEmpty() ? "" : ":environment:" + environment);
    var claims = new JWTClaimsSet.Builder()
        .issuer(issuer.get()).subject(sub).audience(audience)
        .expirationTime(Date.from(exp)).issueTime(Date.from(now)).notBeforeTime(Date.from(now)).jwtID(jti)
        .claim("run_id", job.runId()).claim("job_id", job.jobId()).claim("workflow", job.workflow())
        .claim("ref", job.ref()).claim("sha", job.sha()).claim("trust_tier", job.trustTier())
        .claim("environment", environment).claim("pool", job.pool()).claim("sandbox_tier", job.sandboxTier())
        .build();
    var key = keys.current();
    var jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("signing an ID token with key " + key.getKeyID() + " failed", e);
    }
    audit.record("job:" + jobId, AuditAction.ID_TOKEN_ISSUED, job.runId(), "job:" + jobId,
        Map.of("job_id", jobId, "audience", audience, "jti", jti, "kid", key.getKeyID()));
    return new IdToken(jwt.serialize(), exp, jti);
  }

  private JobFacts facts(long jobId) {
    return jdbi.withHandle(h -> h.createQuery("""
            SELECT r.id, j.id, r.repo, r.ref, r.sha, r.workflow_name, r.trust_tier, c.pool, c.sandbox_tier, j.environment
            FROM jobs j JOIN runs r ON r.id = j.run_id JOIN job_credentials c ON c.job_id = j.id
            WHERE j.id = :job""")
        .bind("job", jobId)
        .map((rs, c) -> new JobFacts(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5),
            rs.getString(6), rs.getString(7) == null ? "unknown" : rs.getString(7), rs.getString(8), rs.getString(9),
            rs.getString(10) == null ? "" : rs.getString(10)))
        .findOne()
        .orElseThrow(() -> ApiException.notFound("no job " + jobId + " with a credential")));
  }
}
