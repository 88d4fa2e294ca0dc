package dev.moat.server.github;

import dev.moat.engine.trust.TrustTier;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A GitHub contributor's tier (DESIGN §5): identity is the numeric {@code user.id}; the login only
 * names the user in the API call, and an answer about another id (the login was renamed and taken)
 * is {@link TrustTier#UNKNOWN}. Role {@code admin}/{@code maintain} is trusted, {@code write} is
 * known, {@code triage}/{@code read}/{@code none} or no such user is unknown. If the API fails,
 * the contributor is unknown (invariant I5) and nothing is cached. A fork's pull request is unknown
 * whatever this says; {@code TrustRules} does that from {@code fromFork}. Thread-safe.
 */
public final class GitHubTrust {
  private static final Logger LOG = LoggerFactory.getLogger(GitHubTrust.class);

  /** The resolved tier and where it came from, for the audit trail. */
  public record Resolution(TrustTier tier, String why) {}

  private final PermissionCache cache;

  public GitHubTrust(PermissionCache cache) {
    this.cache = cache;
  }

  public PermissionCache cache() {
    return cache;
  }

  /** The tier of the user {@code userId} (login {@code login}) on the Moat repository {@code repoName}. */
  public Resolution resolve(String repoName, GitHubClient client, long userId, String login) {
    var cached = cache.get(repoName, userId);
    if (cached.isPresent()) return new Resolution(cached.get(), "cached GitHub permission");
    try {
      var answer = client.permission(login);
      if (answer.isEmpty()) {
        cache.put(repoName, userId, TrustTier.UNKNOWN);
        return new Resolution(TrustTier.UNKNOWN, "GitHub does not know " + login);
      }
      var p = answer.get();
      if (p.userId() != userId) {
        LOG.atWarn().addKeyValue("login", login).addKeyValue("event_user_id", userId).addKeyValue("api_user_id", p.userId())
            .log("login now names another GitHub user: unknown");
        return new Resolution(TrustTier.UNKNOWN, "login " + login + " now belongs to GitHub user " + p.userId() + ", not " + userId);
      }
      TrustTier tier = tierOf(p.roleName());
      cache.put(repoName, userId, tier);
      return new Resolution(tier, "GitHub role " + p.roleName() + " of user " + userId);
    } catch (GitHubException e) {
      LOG.atWarn().addKeyValue("repo", repoName).addKeyValue("user_id", userId).addKeyValue("error", e.getMessage())
          .log("GitHub permission lookup failed: contributor is unknown");
      return new Resolution(TrustTier.UNKNOWN, "GitHub API failed (" + e.getMessage() + "): unknown");
    }
  }

  /** GitHub's repository role to a Moat tier; anything unexpected is unknown. */
  public static TrustTier tierOf(String roleName) {
    return switch (roleName == null ? "" : roleName.toLowerCase(Locale.ROOT)) {
      case "admin", "maintain" -> TrustTier.TRUSTED;
      case "write" -> TrustTier.KNOWN;
      default -> TrustTier.UNKNOWN;
    };
  }
}
