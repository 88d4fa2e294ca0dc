package dev.moat.server.github;

import dev.moat.common.Tokens;
import dev.moat.server.http.ApiException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;

/**
 * Registered GitHub repositories: owner/name on GitHub, the API base URL (api.github.com or a GitHub
 * Enterprise or fake one), where to fetch from, the webhook secret and the credentials. Registering
 * one creates its mirror and a {@code repos} row of the same name whose path is the mirror.
 * Thread-safe.
 */
public final class GitHubRepos {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern GH_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  /** A registered GitHub repository. Secrets never appear in {@code toString} or the API. */
  public record GitHubRepo(String repo, String owner, String name, URI apiUrl, String cloneUrl, String webhookSecret,
      GitHubAuth auth, Path mirror) {
    public String fullName() {
      return owner + "/" + name;
    }

    @Override
    public String toString() {
      return "GitHubRepo[" + repo + " = " + fullName() + " at " + apiUrl + ", " + auth + "]";
    }
  }

  /** Body of {@code POST /api/v1/github/repos}: a token, or all three App fields. */
  public record Register(String name, String owner, String repo, String apiUrl, String cloneUrl, String webhookSecret,
      String token, Long appId, Long installationId, String privateKey) {}

  /** What the API shows of a GitHub repository. */
  public record View(String name, String github, String apiUrl, String cloneUrl, String auth, String mirror, String hook) {}

  private final Jdbi jdbi;
  private final InstantSource clock;
  private final Path mirrors;

  public GitHubRepos(Jdbi jdbi, InstantSource clock, Path mirrors) {
    this.jdbi = jdbi;
    this.clock = clock;
    this.mirrors = mirrors;
  }

  public View register(Register r, String serverUrl) {
    if (r.name() == null || !NAME.matcher(r.name()).matches()) throw ApiException.invalid("name must match " + NAME.pattern());
    if (r.owner() == null || !GH_NAME.matcher(r.owner()).matches()) throw ApiException.invalid("owner is not a GitHub owner name");
    if (r.repo() == null || !GH_NAME.matcher(r.repo()).matches()) throw ApiException.invalid("repo is not a GitHub repository name");
    if (r.webhookSecret() == null || r.webhookSecret().length() < 16) {
      throw ApiException.invalid("webhookSecret must be at least 16 characters (GitHub signs deliveries with it)");
    }
    URI api = uri(r.apiUrl() == null ? "https://api.github.com" : r.apiUrl());
    String clone = r.cloneUrl() == null ? "https://github.com/" + r.owner() + "/" + r.repo() + ".git" : r.cloneUrl();
    GitHubAuth auth;
    try {
      auth = r.token() != null
          ? (r.appId() != null ? null : new GitHubAuth.Token(r.token()))
          : new GitHubAuth.App(r.appId() == null ? 0 : r.appId(), r.installationId() == null ? 0 : r.installationId(),
              r.privateKey() == null ? "" : r.privateKey());
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(e.getMessage() + " (give a token, or appId, installationId and privateKey)");
    }
    if (auth == null) throw ApiException.invalid("give a token or an App, not both");
    Path mirror = mirrors.resolve(r.name() + ".git");
    var repo = new GitHubRepo(r.name(), r.owner(), r.repo(), api, clone, r.webhookSecret(), auth, mirror);
    jdbi.useTransaction(h -> {
      if (h.createQuery("SELECT count(*) FROM repos WHERE name = :n").bind("n", r.name()).mapTo(Integer.class).one() > 0) {
        throw ApiException.conflict("repository " + r.name() + " already exists");
      }
      if (h.createQuery("SELECT count(*) FROM github_repos WHERE owner = :o AND name = :r").bind("o", r.owner()).bind("r", r.repo())
          .mapTo(Integer.class).one() > 0) {
        throw ApiException.conflict("GitHub repository " + repo.fullName() + " is already registered");
      }
      try {
        Mirror.create(mirror);
      } catch (IOException e) {
        throw new UncheckedIOException("could not create the mirror " + mirror, e);
      }
      long now = clock.millis();
      h.createUpdate("INSERT INTO repos (name, path, hook_secret, created_at) VALUES (:n, :p, :s, :now)")
          .bind("n", r.name()).bind("p", mirror.toString()).bind("s", Tokens.random("moat_unused")).bind("now", now).execute();
      h.createUpdate("""
              INSERT INTO github_repos (repo, owner, name, api_url, clone_url, webhook_secret, token, app_id, installation_id,
                private_key, created_at) VALUES (:repo, :owner, :name, :api, :clone, :secret, :token, :app, :inst, :key, :now)""")
          .bind("repo", r.name()).bind("owner", r.owner()).bind("name", r.repo()).bind("api", api.toString()).bind("clone", clone)
          .bind("secret", r.webhookSecret())
          .bind("token", auth instanceof GitHubAuth.Token t ? t.token() : null)
          .bind("app", auth instanceof GitHubAuth.App a ? a.appId() : null)
          .bind("inst", auth instanceof GitHubAuth.App a ? a.installationId() : null)
          .bind("key", auth instanceof GitHubAuth.App a ? a.privateKeyPem() : null)
          .bind("now", now).execute();
    });
    return view(repo, serverUrl);
  }

  public List<GitHubRepo> all() {
    return jdbi.withHandle(h -> h.createQuery("""
            SELECT g.repo, g.owner, g.name, g.api_url, g.clone_url, g.webhook_secret, g.token, g.app_id, g.installation_id,
              g.private_key, r.path FROM github_repos g JOIN repos r ON r.name = g.repo ORDER BY g.repo""")
        .map((rs, c) -> new GitHubRepo(rs.getString(1), rs.getString(2), rs.getString(3), URI.create(rs.getString(4)),
            rs.getString(5), rs.getString(6),
            rs.getString(7) != null ? new GitHubAuth.Token(rs.getString(7))
                : new GitHubAuth.App(rs.getLong(8), rs.getLong(9), rs.getString(10)),
            Path.of(rs.getString(11))))
        .list());
  }

  public Optional<GitHubRepo> find(String repo) {
    return all().stream().filter(g -> g.repo().equals(repo)).findFirst();
  }

  public boolean isGitHub(String repo) {
    return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM github_repos WHERE repo = :r").bind("r", repo)
        .mapTo(Integer.class).one() > 0);
  }

  public List<View> list(String serverUrl) {
    return all().stream().map(g -> view(g, serverUrl)).toList();
  }

  private static View view(GitHubRepo g, String serverUrl) {
    return new View(g.repo(), g.fullName(), g.apiUrl().toString(), g.cloneUrl(),
        g.auth() instanceof GitHubAuth.App a ? "app " + a.appId() + " installation " + a.installationId() : "token",
        g.mirror().toString(), serverUrl + "/hooks/github");
  }

  private static URI uri(String s) {
    try {
      URI u = URI.create(s);
      if (!("https".equals(u.getScheme()) || "http".equals(u.getScheme())) || u.getHost() == null) throw new IllegalArgumentException();
      return u;
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("apiUrl must be an http(s) URL");
    }
  }
}
