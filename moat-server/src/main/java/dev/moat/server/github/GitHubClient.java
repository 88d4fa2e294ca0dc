package dev.moat.server.github;

import dev.moat.common.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The few calls Moat makes to GitHub's REST API for one repository, over {@code java.net.http} with
 * a timeout on every call (connect and whole response). With {@link GitHubAuth.App} it signs a JWT
 * and uses an installation token (cached until a minute before it expires); with
 * {@link GitHubAuth.Token} it uses the token. Every failure is a {@link GitHubException}; nothing
 * is retried, because the callers fail closed. Thread-safe.
 */
public final class GitHubClient {
  /**
   * The timeout of one call. GitHub answers in well under a second, and gives up on a webhook
   * delivery after 10 s: a delivery makes at most three calls while the API hangs (the clone or
   * API token, the permission, the status), so a hung API still gets its answer in time.
   */
  public static final Duration TIMEOUT = Duration.ofSeconds(3);
  /** Response bodies larger than this are refused (a file list page is ~100 kB at most). */
  static final int MAX_RESPONSE = 4 << 20;
  private static final int FILES_PER_PAGE = 100;
  /** GitHub lists at most 3000 files of a pull request. */
  private static final int MAX_FILE_PAGES = 30;

  /** A contributor's permission on the repository, as GitHub reports it for a login. */
  public record Permission(long userId, String login, String permission, String roleName) {}

  /** A file of a pull request: its path, and the path it was renamed from, if it was. */
  public record ChangedFile(String filename, Optional<String> previousFilename) {}

  /** A short-lived token and when it expires. */
  public record AccessToken(String token, Instant expiresAt) {
    @Override
    public String toString() {
      return "AccessToken[***, expiresAt=" + expiresAt + "]";
    }
  }

  private final URI api;
  private final String owner;
  private final String repo;
  private final GitHubAuth auth;
  private final InstantSource clock;
  private final HttpClient http;
  private final Duration timeout;
  private volatile AccessToken apiToken;

  public GitHubClient(URI api, String owner, String repo, GitHubAuth auth, InstantSource clock, Duration timeout) {
    this.api = URI.create(Objects.requireNonNull(api, "api").toString().replaceAll("/+$", "") + "/");
    this.owner = owner;
    this.repo = repo;
    this.auth = Objects.requireNonNull(auth, "auth");
    this.clock = clock;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  public GitHubClient(URI api, String owner, String repo, GitHubAuth auth, InstantSource clock) {
    this(api, owner, repo, auth, clock, TIMEOUT);
  }

  /**
   * {@code GET /repos/{o}/{r}/collaborators/{login}/permission}. Empty when GitHub doesn't know the
   * login (404). The answer carries {@code user.id}, which the caller must compare with the id it
   * resolved the login from: a login can be renamed and taken by someone else.
   */
  public Optional<Permission> permission(String login) {
    JsonNode body = call("GET", repoPath("collaborators/" + enc(login) + "/permission"), null, 200, 404);
    if (body == null) return Optional.empty();
    JsonNode user = body.path("user");
    if (!user.path("id").isIntegralNumber()) throw new GitHubException(200, "permission answer without user.id");
    String permission = text(body, "permission");
    return Optional.of(new Permission(user.path("id").asLong(), user.path("login").asString(""), permission,
        body.path("role_name").isString() ? body.path("role_name").asString() : permission));
  }

  /** {@code GET /repos/{o}/{r}/pulls/{n}/files}, every page (at most GitHub's 3000 files). */
  public List<ChangedFile> pullFiles(long number) {
    List<ChangedFile> files = new ArrayList<>();
    for (int page = 1; page <= MAX_FILE_PAGES; page++) {
      JsonNode body = call("GET", repoPath("pulls/" + number + "/files?per_page=" + FILES_PER_PAGE + "&page=" + page), null, 200);
      if (!body.isArray()) throw new GitHubException(200, "pull request files: expected a list");
      for (JsonNode f : body) {
        files.add(new ChangedFile(text(f, "filename"),
            f.path("previous_filename").isString() ? Optional.of(f.path("previous_filename").asString()) : Optional.empty()));
      }
      if (body.size() < FILES_PER_PAGE) return files;
    }
    return files;
  }

  /**
   * The {@code *.yml}/{@code *.yaml} files directly in {@code dir} at {@code ref}, path to text, via
   * {@code GET /repos/{o}/{r}/contents/{dir}?ref=}; empty when the directory doesn't exist there.
   */
  public Map<String, String> files(String dir, String ref) {
    JsonNode listing = call("GET", repoPath("contents/" + dir + "?ref=" + enc(ref)), null, 200, 404);
    Map<String, String> out = new LinkedHashMap<>();
    if (listing == null || !listing.isArray()) return out;
    for (JsonNode entry : listing) {
      String name = entry.path("name").asString("");
      if (!"file".equals(entry.path("type").asString()) || !(name.endsWith(".yml") || name.endsWith(".yaml"))) continue;
      JsonNode file = call("GET", repoPath("contents/" + text(entry, "path") + "?ref=" + enc(ref)), null, 200);
      if (!"base64".equals(file.path("encoding").asString())) throw new GitHubException(200, "contents: expected base64 for " + name);
      byte[] data = Base64.getMimeDecoder().decode(text(file, "content"));
      out.put(text(entry, "path"), new String(data, StandardCharsets.UTF_8));
    }
    return out;
  }

  /**
   * {@code POST /repos/{o}/{r}/statuses/{sha}}: the commit status {@code context} in
   * {@code state} (pending, success, failure, error). The description is cut to GitHub's 140.
   */
  public void postStatus(String sha, String state, String description, String context) {
    String text = description.length() > 140 ? description.substring(0, 139) + "…" : description;
    call("POST", repoPath("statuses/" + sha), Map.of("state", state, "description", text, "context", context), 201);
  }

  /**
   * The read-only token for fetching this repository's source: with an App, a new installation
   * token limited to this one repository and {@code contents: read} (GitHub makes it expire within
   * an hour); with a fixed token, that token.
   */
  public AccessToken cloneToken() {
    return switch (auth) {
      case GitHubAuth.Token t -> new AccessToken(t.token(), Instant.MAX);
      case GitHubAuth.App a -> installationToken(a, Map.of("contents", "read"));
    };
  }

  private AccessToken installationToken(GitHubAuth.App app, Map<String, String> permissions) {
    JsonNode body = send("POST", "app/installations/" + app.installationId() + "/access_tokens",
        Map.of("repositories", List.of(repo), "permissions", permissions), "Bearer " + app.jwt(clock.instant()), 201);
    try {
      return new AccessToken(text(body, "token"), Instant.parse(text(body, "expires_at")));
    } catch (java.time.format.DateTimeParseException e) {
      throw new GitHubException(201, "installation token: bad expires_at", e);
    }
  }

  private String apiAuthorization() {
    return switch (auth) {
      case GitHubAuth.Token t -> "Bearer " + t.token();
      case GitHubAuth.App a -> {
        AccessToken t = apiToken;
        if (t == null || clock.instant().plusSeconds(60).isAfter(t.expiresAt())) {
          t = installationToken(a, Map.of("contents", "read", "statuses", "write", "pull_requests", "read", "metadata", "read"));
          apiToken = t;
        }
        yield "Bearer " + t.token();
      }
    };
  }

  private String repoPath(String rest) {
    return "repos/" + enc(owner) + "/" + enc(repo) + "/" + rest;
  }

  private JsonNode call(String method, String path, Object body, int... ok) {
    return send(method, path, body, apiAuthorization(), ok);
  }

  /** One request; the parsed body for an expected status, null for an expected 404, else an exception. */
  private JsonNode send(String method, String path, Object body, String authorization, int... ok) {
    var req = HttpRequest.newBuilder(api.resolve(path)).timeout(timeout)
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .header("User-Agent", "moat")
        .header("Authorization", authorization);
    req = body == null ? req.method(method, HttpRequest.BodyPublishers.noBody())
        : req.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)));
    HttpResponse<byte[]> res;
    try {
      res = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new GitHubException(0, method + " " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GitHubException(0, method + " " + path + ": interrupted", e);
    }
    int status = res.statusCode();
    for (int s : ok) {
      if (s != status) continue;
      if (status == 404) return null;
      if (res.body().length > MAX_RESPONSE) throw new GitHubException(status, method + " " + path + ": response too large");
      try {
        return res.body().length == 0 ? Json.MAPPER.missingNode() : Json.MAPPER.readTree(res.body());
      } catch (JacksonException e) {
        throw new GitHubException(status, method + " " + path + ": malformed JSON", e);
      }
    }
    throw new GitHubException(status, method + " " + path + " answered " + status);
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.path(field);
    if (!v.isString()) throw new GitHubException(200, "GitHub's answer lacks " + field);
    return v.asString();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
