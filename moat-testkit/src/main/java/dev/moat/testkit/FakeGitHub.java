package dev.moat.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.moat.common.Json;
import dev.moat.common.Tokens;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * A local GitHub REST API on a free port, speaking GitHub's JSON for exactly what Moat calls:
 * collaborator permission (with {@code user.id}), contents at a ref, a pull request's files,
 * commit statuses, and App installation tokens (the App JWT is verified: RS256 with the App's key,
 * {@code iss}, {@code exp}). Repository content comes from real local bare repositories. Every
 * request is recorded; {@link #down(Failure)} makes every API call fail (503 or no answer) to test
 * "forge API down". Thread-safe.
 */
public final class FakeGitHub implements AutoCloseable {
  /** How the API fails while down. */
  public enum Failure {
    /** Answers 503 with GitHub's error JSON. */
    UNAVAILABLE,
    /** Accepts the request and never answers (clients must time out). */
    HANG
  }

  /** A commit status as posted. */
  public record Status(String owner, String repo, String sha, String state, String description, String context) {}

  /** A user of the fake: the numeric id is the identity, the login a name that can change. */
  public record User(long id, String login) {}

  private record Repo(long id, String owner, String name, Path bare, Map<String, String> roles, Map<Long, String[]> pulls) {}

  private static final Pattern PERMISSION = Pattern.compile("/repos/([^/]+)/([^/]+)/collaborators/([^/]+)/permission");
  private static final Pattern FILES = Pattern.compile("/repos/([^/]+)/([^/]+)/pulls/(\\d+)/files");
  private static final Pattern CONTENTS = Pattern.compile("/repos/([^/]+)/([^/]+)/contents/(.*)");
  private static final Pattern STATUSES = Pattern.compile("/repos/([^/]+)/([^/]+)/statuses/([0-9a-f]{40})");
  private static final Pattern TOKENS = Pattern.compile("/app/installations/(\\d+)/access_tokens");

  private final HttpServer server;
  private final Map<String, Repo> repos = new ConcurrentHashMap<>();
  private final Map<String, User> users = new ConcurrentHashMap<>();
  private final List<Status> statuses = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final Map<String, Map<String, Object>> minted = new ConcurrentHashMap<>();
  private final String token = Tokens.random("ghp_fake");
  private final KeyPair appKey;
  private final long appId = 4242;
  private final long installationId = 77;
  private volatile Failure down;

  private FakeGitHub() throws IOException {
    try {
      var gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048);
      appKey = gen.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::handle);
    server.start();
  }

  public static FakeGitHub start() throws IOException {
    return new FakeGitHub();
  }

  /** The API base URL, like {@code https://api.github.com}. */
  public String url() {
    return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
  }

  /** A personal access token the API accepts. */
  public String token() {
    return token;
  }

  public long appId() {
    return appId;
  }

  public long installationId() {
    return installationId;
  }

  /** The App's private key, PKCS#8 PEM. */
  public String appPrivateKeyPem() {
    return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(appKey.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
  }

  /** Serves {@code owner/name} (numeric id {@code id}) from the bare repository {@code bare}. */
  public FakeGitHub repo(String owner, String name, long id, Path bare) {
    repos.put(owner + "/" + name, new Repo(id, owner, name, bare, new ConcurrentHashMap<>(), new ConcurrentHashMap<>()));
    return this;
  }

  /** A GitHub account. Renaming is {@code user(sameId, newLogin)}; the old login then is no one's. */
  public FakeGitHub user(long id, String login) {
    users.values().removeIf(u -> u.id() == id);
    users.put(login, new User(id, login));
    return this;
  }

  /** Gives {@code login} the repository role {@code role} (admin, maintain, write, triage, read), or none with null. */
  public FakeGitHub role(String owner, String name, String login, String role) {
    var roles = repo(owner, name).roles();
    if (role == null) roles.remove(login); else roles.put(login, role);
    return this;
  }

  /** Pull request {@code number}: base branch {@code baseRef}, head at {@code headRef} of the repository's bare. */
  public FakeGitHub pull(String owner, String name, long number, String baseRef, String headRef) {
    repo(owner, name).pulls().put(number, new String[] {baseRef, headRef});
    return this;
  }

  public void down(Failure failure) {
    this.down = failure;
  }

  public List<Status> statuses() {
    return List.copyOf(statuses);
  }

  /** Requests seen, as {@code METHOD path?query}. */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  /** The installation tokens minted, with the scope requested for each. */
  public Map<String, Map<String, Object>> mintedTokens() {
    return Map.copyOf(minted);
  }

  private Repo repo(String owner, String name) {
    Repo r = repos.get(owner + "/" + name);
    if (r == null) throw new IllegalArgumentException("no repository " + owner + "/" + name);
    return r;
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    String query = ex.getRequestURI().getRawQuery();
    requests.add(ex.getRequestMethod() + " " + path + (query == null ? "" : "?" + query));
    try (ex) {
      Failure f = down;
      if (f == Failure.HANG) {
        try {
          Thread.sleep(60_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return;
      }
      if (f == Failure.UNAVAILABLE) {
        send(ex, 503, Map.of("message", "Service Unavailable"));
        return;
      }
      byte[] body = ex.getRequestBody().readAllBytes();
      Matcher m;
      if ((m = TOKENS.matcher(path)).matches() && ex.getRequestMethod().equals("POST")) {
        accessToken(ex, Long.parseLong(m.group(1)), body);
        return;
      }
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      if (!authorized(auth)) {
        send(ex, 401, Map.of("message", "Bad credentials", "documentation_url", "https://docs.github.com/rest"));
        return;
      }
      String denied = scopeDenies(auth.substring(7), ex.getRequestMethod(), path);
      if (denied != null) {
        send(ex, 403, Map.of("message", "Resource not accessible by integration", "documentation_url", denied));
        return;
      }
      Map<String, String> q = query(query);
      if ((m = PERMISSION.matcher(path)).matches() && ex.getRequestMethod().equals("GET")) {
        permission(ex, repos.get(m.group(1) + "/" + m.group(2)), decode(m.group(3)));
      } else if ((m = FILES.matcher(path)).matches() && ex.getRequestMethod().equals("GET")) {
        files(ex, repos.get(m.group(1) + "/" + m.group(2)), Long.parseLong(m.group(3)), Integer.parseInt(q.getOrDefault("page", "1")),
            Integer.parseInt(q.getOrDefault("per_page", "30")));
      } else if ((m = CONTENTS.matcher(path)).matches() && ex.getRequestMethod().equals("GET")) {
        contents(ex, repos.get(m.group(1) + "/" + m.group(2)), decode(m.group(3)), q.getOrDefault("ref", "HEAD"));
      } else if ((m = STATUSES.matcher(path)).matches() && ex.getRequestMethod().equals("POST")) {
        JsonNode s = Json.MAPPER.readTree(body);
        var st = new Status(m.group(1), m.group(2), m.group(3), s.path("state").asString(), s.path("description").asString(),
            s.path("context").asString("default"));
        statuses.add(st);
        send(ex, 201, Map.of("id", statuses.size(), "state", st.state(), "description", st.description(), "context", st.context(),
            "target_url", s.path("target_url").asString(""), "url", url() + path, "created_at", Instant.now().toString(),
            "updated_at", Instant.now().toString()));
      } else {
        notFound(ex);
      }
    } catch (RuntimeException e) {
      send(ex, 500, Map.of("message", "fake GitHub: " + e));
    }
  }

  private boolean authorized(String header) {
    if (header == null || !header.startsWith("Bearer ")) return false;
    String t = header.substring(7);
    if (t.equals(token)) return true;
    var scope = minted.get(t);
    return scope != null && Instant.parse((String) scope.get("expires_at")).isAfter(Instant.now());
  }

  /**
   * What an installation token may not do, as GitHub enforces it: only the repositories it was minted
   * for, and only with the permission each endpoint needs. Null when allowed (and for the PAT).
   */
  private String scopeDenies(String t, String method, String path) {
    var scope = minted.get(t);
    if (scope == null) return null;
    Matcher m = Pattern.compile("/repos/[^/]+/([^/]+)/(\\w+)").matcher(path);
    if (!m.lookingAt()) return "no installation token access to " + path;
    @SuppressWarnings("unchecked")
    var repos = (List<String>) scope.get("repositories");
    if (!repos.isEmpty() && !repos.contains(m.group(1))) return "token not minted for repository " + m.group(1);
    String needed = switch (m.group(2)) {
      case "statuses" -> "statuses:write";
      case "pulls" -> "pull_requests:read";
      case "contents" -> "contents:read";
      default -> "metadata:read";
    };
    @SuppressWarnings("unchecked")
    var perms = (Map<String, String>) scope.get("permissions");
    String[] want = needed.split(":");
    String have = perms.get(want[0]);
    boolean ok = have != null && (have.equals("write") || have.equals(want[1]))
        || want[0].equals("metadata") && !perms.isEmpty(); // every installation token can read metadata
    return ok ? null : "token lacks " + needed + " for " + method + " " + path;
  }

  private void permission(HttpExchange ex, Repo repo, String login) throws IOException {
    User u = users.get(login);
    if (repo == null || u == null) {
      notFound(ex);
      return;
    }
    // A public repository: anyone who is not a collaborator can read.
    String role = repo.roles().getOrDefault(login, "read");
    String permission = switch (role) {
      case "maintain" -> "write";
      case "triage" -> "read";
      default -> role;
    };
    var user = new LinkedHashMap<String, Object>();
    user.put("login", u.login());
    user.put("id", u.id());
    user.put("node_id", "MDQ6VXNlcj" + u.id());
    user.put("avatar_url", "https://avatars.githubusercontent.com/u/" + u.id() + "?v=4");
    user.put("url", url() + "/users/" + u.login());
    user.put("html_url", "https://github.com/" + u.login());
    user.put("type", "User");
    user.put("site_admin", false);
    user.put("permissions", Map.of("admin", role.equals("admin"), "maintain", role.equals("admin") || role.equals("maintain"),
        "push", List.of("admin", "maintain", "write").contains(role), "triage", !role.equals("read"), "pull", true));
    user.put("role_name", role);
    send(ex, 200, Map.of("permission", permission, "role_name", role, "user", user));
  }

  private void files(HttpExchange ex, Repo repo, long number, int page, int perPage) throws IOException {
    String[] pr = repo == null ? null : repo.pulls().get(number);
    if (pr == null) {
      notFound(ex);
      return;
    }
    String base = GitFixture.git(repo.bare(), "merge-base", pr[0], pr[1]).strip();
    List<Map<String, Object>> all = new ArrayList<>();
    for (String line : GitFixture.git(repo.bare(), "diff", "--name-status", "-M", base, pr[1]).split("\n")) {
      if (line.isBlank()) continue;
      String[] f = line.split("\t");
      var file = new LinkedHashMap<String, Object>();
      String name = f[f.length - 1];
      file.put("sha", "0".repeat(40));
      file.put("filename", name);
      file.put("status", switch (f[0].charAt(0)) {
        case 'A' -> "added";
        case 'D' -> "removed";
        case 'R' -> "renamed";
        default -> "modified";
      });
      file.put("additions", 1);
      file.put("deletions", 0);
      file.put("changes", 1);
      file.put("blob_url", "https://github.com/" + repo.owner() + "/" + repo.name() + "/blob/" + pr[1] + "/" + name);
      file.put("raw_url", "https://github.com/" + repo.owner() + "/" + repo.name() + "/raw/" + pr[1] + "/" + name);
      file.put("contents_url", url() + "/repos/" + repo.owner() + "/" + repo.name() + "/contents/" + name + "?ref=" + pr[1]);
      file.put("patch", "@@ -0,0 +1 @@");
      if (f[0].startsWith("R")) file.put("previous_filename", f[1]);
      all.add(file);
    }
    int from = Math.min(all.size(), (page - 1) * perPage);
    send(ex, 200, all.subList(from, Math.min(all.size(), from + perPage)));
  }

  private void contents(HttpExchange ex, Repo repo, String path, String ref) throws IOException {
    if (repo == null) {
      notFound(ex);
      return;
    }
    String type;
    try {
      type = GitFixture.git(repo.bare(), "cat-file", "-t", ref + ":" + path).strip();
    } catch (IOException e) {
      notFound(ex);
      return;
    }
    if (type.equals("tree")) {
      List<Map<String, Object>> entries = new ArrayList<>();
      for (String line : GitFixture.git(repo.bare(), "ls-tree", "-l", ref + ":" + path).split("\n")) {
        if (line.isBlank()) continue;
        String[] meta = line.substring(0, line.indexOf('\t')).trim().split("\\s+");
        String name = line.substring(line.indexOf('\t') + 1);
        entries.add(entry(repo, path + "/" + name, name, meta[1].equals("tree") ? "dir" : "file", meta[2],
            meta[3].equals("-") ? 0 : Long.parseLong(meta[3]), ref));
      }
      send(ex, 200, entries);
      return;
    }
    byte[] data = GitFixture.gitBytes(repo.bare(), "cat-file", "blob", ref + ":" + path);
    String sha = GitFixture.git(repo.bare(), "rev-parse", ref + ":" + path).strip();
    var file = entry(repo, path, path.substring(path.lastIndexOf('/') + 1), "file", sha, data.length, ref);
    file.put("encoding", "base64");
    file.put("content", Base64.getMimeEncoder(60, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(data) + "\n");
    send(ex, 200, file);
  }

  private Map<String, Object> entry(Repo repo, String path, String name, String type, String sha, long size, String ref) {
    var e = new LinkedHashMap<String, Object>();
    String self = url() + "/repos/" + repo.owner() + "/" + repo.name() + "/contents/" + path + "?ref=" + ref;
    e.put("type", type);
    e.put("size", size);
    e.put("name", name);
    e.put("path", path);
    e.put("sha", sha);
    e.put("url", self);
    e.put("git_url", url() + "/repos/" + repo.owner() + "/" + repo.name() + "/git/" + (type.equals("dir") ? "trees/" : "blobs/") + sha);
    e.put("html_url", "https://github.com/" + repo.owner() + "/" + repo.name() + "/blob/" + ref + "/" + path);
    e.put("download_url", type.equals("dir") ? null : "https://raw.githubusercontent.com/" + repo.owner() + "/" + repo.name() + "/" + ref + "/" + path);
    e.put("_links", Map.of("self", self, "git", e.get("git_url"), "html", e.get("html_url")));
    return e;
  }

  private void accessToken(HttpExchange ex, long installation, byte[] body) throws IOException {
    String header = ex.getRequestHeaders().getFirst("Authorization");
    String jwt = header != null && header.startsWith("Bearer ") ? header.substring(7) : "";
    if (!validJwt(jwt)) {
      send(ex, 401, Map.of("message", "A JSON web token could not be decoded", "documentation_url", "https://docs.github.com/rest"));
      return;
    }
    if (installation != installationId) {
      notFound(ex);
      return;
    }
    JsonNode req = body.length == 0 ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(body);
    String t = Tokens.random("ghs_fake");
    var scope = new LinkedHashMap<String, Object>();
    scope.put("token", t);
    scope.put("expires_at", Instant.now().plusSeconds(3600).toString().replaceAll("\\.\\d+Z$", "Z"));
    scope.put("permissions", req.path("permissions").isObject() ? Json.MAPPER.convertValue(req.path("permissions"), Map.class) : Map.of());
    scope.put("repository_selection", "selected");
    List<String> names = new ArrayList<>();
    req.path("repositories").forEach(n -> names.add(n.asString()));
    scope.put("repositories", names);
    minted.put(t, scope);
    send(ex, 201, scope);
  }

  private boolean validJwt(String jwt) {
    String[] parts = jwt.split("\\.");
    if (parts.length != 3) return false;
    try {
      var rsa = Signature.getInstance("SHA256withRSA");
      rsa.initVerify(appKey.getPublic());
      rsa.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      if (!rsa.verify(Base64.getUrlDecoder().decode(parts[2]))) return false;
      JsonNode header = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[0]));
      JsonNode claims = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
      long now = Instant.now().getEpochSecond();
      return header.path("alg").asString().equals("RS256") && claims.path("iss").asString().equals(Long.toString(appId))
          && claims.path("exp").asLong() > now && claims.path("exp").asLong() - claims.path("iat").asLong() <= 600
          && claims.path("iat").asLong() <= now + 60;
    } catch (java.security.GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private void notFound(HttpExchange ex) throws IOException {
    send(ex, 404, Map.of("message", "Not Found", "documentation_url", "https://docs.github.com/rest", "status", "404"));
  }

  private static void send(HttpExchange ex, int status, Object body) throws IOException {
    byte[] out = Json.write(body).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    ex.sendResponseHeaders(status, out.length);
    ex.getResponseBody().write(out);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
    if (raw == null) return q;
    for (String kv : raw.split("&")) {
      int i = kv.indexOf('=');
      if (i > 0) q.put(decode(kv.substring(0, i)), decode(kv.substring(i + 1)));
    }
    return q;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
