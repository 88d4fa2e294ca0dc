package dev.moat.server.identity;

import dev.moat.server.metrics.Metrics;
import dev.moat.server.audit.Audit;
import dev.moat.server.audit.AuditAction;
import dev.moat.server.auth.ApiTokens;
import dev.moat.server.http.Http;
import io.javalin.config.RoutesConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The OIDC issuer's HTTP side: discovery ({@code /.well-known/openid-configuration}), the public
 * keys ({@code /.well-known/jwks.json}: current, next and recently retired), ID tokens for running
 * jobs ({@code GET /api/v1/ctx/id-token?audience=A}, authenticated by the job credential, which only
 * the agent holds; the agent proxies {@code moat-ctx id-token}), and the admin's key rotation
 * ({@code POST /api/v1/admin/oidc/rotate}).
 */
public final class IdentityRoutes {
  /** Body of a successful {@code GET /api/v1/ctx/id-token}. */
  public record IdTokenResponse(String token, long expiresAt) {
    @Override
    public String toString() {
      return "IdTokenResponse[expiresAt=" + expiresAt + "]";
    }
  }

  private final ApiTokens tokens;
  private final JobCredentials jobs;
  private final IdTokens idTokens;
  private final SigningKeys keys;
  private final Audit audit;
  private final Supplier<String> issuer;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(IdentityRoutes.class);
  private final Metrics metrics;

  /** @param metrics counts issued ID tokens */
  public IdentityRoutes(ApiTokens tokens, JobCredentials jobs, IdTokens idTokens, SigningKeys keys, Audit audit,
      Supplier<String> issuer, Metrics metrics) {
    this.metrics = metrics;
    this.tokens = tokens;
    this.jobs = jobs;
    this.idTokens = idTokens;
    this.keys = keys;
    this.audit = audit;
    this.issuer = issuer;
  }

  public void register(RoutesConfig r) {
    r.get("/.well-known/openid-configuration", ctx -> Http.json(ctx, 200, discovery()));
    r.get("/.well-known/jwks.json", ctx -> ctx.status(200).contentType("application/json")
        .header("Cache-Control", "max-age=300").result(keys.publicJwks().toString()));
    r.get("/api/v1/ctx/id-token", ctx -> {
      long jobId = jobs.authenticate(Http.bearer(ctx));
      var token = idTokens.issue(jobId, ctx.queryParam("audience"));
      metrics.idTokenIssued();
      LOG.atInfo().addKeyValue(dev.moat.common.log.LogFields.JOB_ID, jobId).addKeyValue("audience", ctx.queryParam("audience"))
          .log("ID token issued");
      ctx.header("Cache-Control", "no-store");
      Http.json(ctx, 200, new IdTokenResponse(token.value(), token.expiresAt().getEpochSecond()));
    });
    r.post("/api/v1/admin/oidc/rotate", ctx -> {
      var caller = tokens.requireAdmin(ctx);
      String kid = keys.rotate();
      audit.record(caller.name(), AuditAction.OIDC_KEY_ROTATED, null, "oidc", Map.of("current_kid", kid));
      Http.json(ctx, 200, Map.of("current", kid));
    });
  }

  private Map<String, Object> discovery() {
    String iss = issuer.get();
    var doc = new LinkedHashMap<String, Object>();
    doc.put("issuer", iss);
    doc.put("jwks_uri", iss + "/.well-known/jwks.json");
    doc.put("response_types_supported", List.of("id_token"));
    doc.put("subject_types_supported", List.of("public"));
    doc.put("id_token_signing_alg_values_supported", List.of("ES256"));
    doc.put("scopes_supported", List.of("openid"));
    doc.put("claims_supported", IdTokens.CLAIMS);
    return doc;
  }
}
