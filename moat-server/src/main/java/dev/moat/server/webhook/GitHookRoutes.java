package dev.moat.server.webhook;

import dev.moat.server.metrics.Metrics;
import dev.moat.common.Tokens;
import dev.moat.server.http.ApiException;
import dev.moat.server.http.Http;
import dev.moat.engine.trust.Change;
import dev.moat.engine.trust.TrustDecision;
import dev.moat.engine.trust.TrustRules;
import dev.moat.engine.trust.TrustTier;
import dev.moat.server.repo.AllowedSigners;
import dev.moat.server.repo.RepoService;
import dev.moat.server.run.RunRequest;
import dev.moat.server.run.RunStarter;
import io.javalin.config.RoutesConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /hooks/git}: pushes from the hook that Moat installs in local repositories. The body is
 * authenticated before anything in it is trusted or stored: the repository named in
 * {@code X-Moat-Repo} selects the secret, {@code X-Moat-Signature-256} must be the HMAC-SHA256 of
 * the raw body under it (compared in constant time), and the signed body must name the same
 * repository. A delivery id is accepted once, and only within {@link #MAX_SKEW} of its timestamp.
 */
public final class GitHookRoutes {
  static final int MAX_BODY = 64 * 1024;
  static final Duration MAX_SKEW = Duration.ofMinutes(10);
  private static final Logger LOG = LoggerFactory.getLogger(GitHookRoutes.class);
  private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}");
  private static final String ZERO = "0".repeat(40);

  /** The signed body of a push event. */
  public record PushEvent(String repo, String delivery, long sentAt, String ref, String before, String after) {}

  private final RepoService repos;
  private final RunStarter starter;
  private final Deliveries deliveries;
  private final InstantSource clock;
  private final AllowedSigners signers;

  private final Metrics metrics;

  /** @param metrics counts each delivery by result ({@code source="git"}) */
  public GitHookRoutes(RepoService repos, AllowedSigners signers, RunStarter starter, Jdbi jdbi, InstantSource clock,
      Metrics metrics) {
    this.metrics = metrics;
    this.signers = signers;
    this.repos = repos;
    this.starter = starter;
    this.deliveries = new Deliveries(jdbi, clock);
    this.clock = clock;
  }

  public void register(RoutesConfig r) {
    r.post("/hooks/git", ctx -> metrics.webhook("git", ctx::statusCode, () -> {
      byte[] body = Http.bytes(ctx, MAX_BODY);
      var repo = authenticate(ctx.header("X-Moat-Repo"), ctx.header("X-Moat-Signature-256"), body);
      PushEvent event = Http.parse(body, PushEvent.class);
      validate(event, repo);
      if (event.after().equals(ZERO)) {
        Http.json(ctx, 202, Map.of("runs", List.of()));
        return null;
      }
      var decision = decide(repo, event);
      List<Long> runs = starter.start(repo, RunRequest.push(event.ref(), event.after(), Optional.empty()), decision);
      var answer = new java.util.LinkedHashMap<String, Object>();
      answer.put("runs", runs);
      decision.hold().ifPresent(reason -> answer.put("held", reason.wire()));
      Http.json(ctx, 202, answer);
      return null;
    }));
  }

  /**
   * A plain git push has no forge identity: the hook's signature proves that the repository's host
   * sent it, and whoever may push there is trusted as before. With allowed signers, the head commit's
   * signature decides instead (unverified: held, {@code unverified_push}).
   */
  private TrustDecision decide(RepoService.Repo repo, PushEvent event) {
    Boolean verified = signers.find(repo.name()).map(list -> signers.verify(repo, event.after(), list)).orElse(null);
    return TrustRules.decide(new Change(Change.Kind.PUSH, TrustTier.TRUSTED, false, false, verified));
  }

  private RepoService.Repo authenticate(String repoName, String signature, byte[] body) {
    if (repoName == null || signature == null) throw ApiException.unauthorized("unsigned delivery");
    var repo = repos.find(repoName).orElse(null);
    // Same answer for an unknown repository and a bad signature: don't reveal which names exist.
    if (repo == null
        || !Tokens.constantTimeEquals(signature, Tokens.hmacSignature(repo.hookSecret().getBytes(StandardCharsets.UTF_8), body))) {
      LOG.atWarn().addKeyValue("repo", repoName).log("webhook refused: bad signature");
      throw ApiException.unauthorized("bad signature");
    }
    return repo;
  }

  private void validate(PushEvent event, RepoService.Repo repo) {
    if (!repo.name().equals(event.repo())) throw ApiException.invalid("the signed body names another repository");
    if (event.delivery() == null || !event.delivery().matches("[A-Za-z0-9-]{8,64}")) throw ApiException.invalid("bad delivery id");
    if (event.ref() == null || !event.ref().startsWith("refs/")) throw ApiException.invalid("ref must be a full ref");
    if (event.after() == null || !SHA.matcher(event.after()).matches()) throw ApiException.invalid("after must be a sha");
    long skew = Math.abs(clock.millis() - event.sentAt());
    if (skew > MAX_SKEW.toMillis()) throw ApiException.invalid("delivery timestamp is too far from the server's clock");
    deliveries.accept(event.delivery(), repo.name());
  }
}
