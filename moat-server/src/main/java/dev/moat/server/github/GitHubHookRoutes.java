package dev.moat.server.github;

import dev.moat.server.metrics.Metrics;
import dev.moat.common.Json;
import dev.moat.common.Tokens;
import dev.moat.server.github.GitHubRepos.GitHubRepo;
import dev.moat.server.http.ApiException;
import dev.moat.server.http.Http;
import dev.moat.server.http.Problems;
import dev.moat.server.webhook.Deliveries;
import io.javalin.config.RoutesConfig;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /hooks/github}: GitHub's webhook deliveries (invariant I11). In this order, and
 * nothing is stored before the last check passes: the body is read up to {@link #MAX_BODY}; its
 * {@code X-Hub-Signature-256} must be the HMAC-SHA256 of the raw body under the webhook secret of
 * a registered GitHub repository (constant-time compare; a bad or missing signature is 401); only
 * then is it parsed (malformed is 400), and the repository it names must be one whose secret signed
 * it; the {@code X-GitHub-Delivery} id is stored once (a replay is 409 and starts nothing). Events:
 * {@code push}, {@code pull_request}, {@code issue_comment}, the membership events, {@code ping};
 * any other event is 202 and ignored.
 */
public final class GitHubHookRoutes {
  /** GitHub caps payloads at 25 MB; the events Moat acts on are far smaller (a push lists at most 20 commits). */
  static final int MAX_BODY = 1 << 20;
  private static final Logger LOG = LoggerFactory.getLogger(GitHubHookRoutes.class);
  private static final List<String> MEMBERSHIP = List.of("member", "membership", "organization", "team");

  private final GitHubProvider provider;
  private final Deliveries deliveries;

  private final Metrics metrics;

  /** @param metrics counts each delivery by result ({@code source="github"}) */
  public GitHubHookRoutes(GitHubProvider provider, Jdbi jdbi, InstantSource clock, Metrics metrics) {
    this.metrics = metrics;
    this.provider = provider;
    this.deliveries = new Deliveries(jdbi, clock);
  }

  public void register(RoutesConfig r) {
    r.post("/hooks/github", ctx -> metrics.webhook("github", ctx::statusCode, () -> {
      byte[] body = Http.bytes(ctx, MAX_BODY);
      List<GitHubRepo> signedBy = authenticate(ctx.header("X-Hub-Signature-256"), body);
      String event = ctx.header("X-GitHub-Event");
      String delivery = ctx.header("X-GitHub-Delivery");
      if (event == null || !event.matches("[a-z_]{1,64}")) throw ApiException.invalid("X-GitHub-Event is missing or malformed");
      if (delivery == null || !delivery.matches("[A-Za-z0-9-]{8,64}")) throw ApiException.invalid("X-GitHub-Delivery is missing or malformed");
      JsonNode json;
      try {
        json = Json.MAPPER.readTree(body);
      } catch (JacksonException e) {
        throw ApiException.invalid("malformed JSON: " + e.getOriginalMessage());
      }
      if (!json.isObject()) throw ApiException.invalid("the event is not a JSON object");
      GitHubRepo repo = select(signedBy, json);
      // Namespaced: a GitHub delivery id never collides with a git hook one.
      deliveries.accept("github:" + delivery, repo.repo());
      Map<String, Object> result;
      try {
        result = switch (event) {
          case "ping" -> Map.of("pong", true);
          case "push" -> provider.push(repo, json);
          case "pull_request" -> provider.pullRequest(repo, json);
          case "issue_comment" -> provider.comment(repo, json);
          default -> MEMBERSHIP.contains(event) ? provider.membership(event, json) : Map.of("ignored", "event " + event);
        };
      } catch (ApiException | GitHubProvider.SourceUnavailable e) {
        // Nothing was started: forget the delivery so that GitHub's redelivery can succeed.
        deliveries.forget("github:" + delivery);
        if (e instanceof GitHubProvider.SourceUnavailable) {
          LOG.atWarn().addKeyValue("delivery", delivery).log(e.getMessage());
          Problems.write(ctx, 502, "Bad gateway", e.getMessage());
          return null;
        }
        throw e;
      }
      Http.json(ctx, event.equals("ping") ? 200 : 202, result);
      return null;
    }));
  }

  /** The registered repositories whose secret signed {@code body}; 401 if none did. */
  private List<GitHubRepo> authenticate(String signature, byte[] body) {
    if (signature == null || !signature.startsWith("sha256=")) throw ApiException.unauthorized("unsigned delivery");
    List<GitHubRepo> matched = provider.repos().all().stream()
        .filter(g -> Tokens.constantTimeEquals(signature.toLowerCase(Locale.ROOT),
            Tokens.hmacSignature(g.webhookSecret().getBytes(java.nio.charset.StandardCharsets.UTF_8), body)))
        .toList();
    if (matched.isEmpty()) {
      LOG.warn("GitHub webhook refused: bad signature");
      throw ApiException.unauthorized("bad signature");
    }
    return matched;
  }

  /**
   * The repository the signed event is about: {@code repository.full_name}, or for an
   * organisation's event without one, the first signing repository of that owner.
   */
  private static GitHubRepo select(List<GitHubRepo> signedBy, JsonNode json) {
    JsonNode named = json.path("repository").path("full_name");
    if (named.isString()) {
      return signedBy.stream().filter(g -> g.fullName().equalsIgnoreCase(named.asString())).findFirst()
          .orElseThrow(() -> ApiException.invalid("the signed event is about " + named.asString()
              + ", which is not registered with the secret that signed it"));
    }
    String org = json.path("organization").path("login").asString("");
    return signedBy.stream().filter(g -> g.owner().equalsIgnoreCase(org)).findFirst()
        .orElseThrow(() -> ApiException.invalid("the signed event names no registered repository or owner"));
  }
}
