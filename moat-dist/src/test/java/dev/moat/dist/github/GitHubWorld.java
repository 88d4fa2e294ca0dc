package dev.moat.dist.github;

import dev.moat.testkit.FakeGitHub;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.GitHubWebhooks;
import dev.moat.testkit.TestServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One test's GitHub world: a fake GitHub serving {@code octo/app} (id {@link #REPO_ID}) from a real
 * bare repository whose {@code main} has the base workflow, a fork {@code mallory/app} of it, and a
 * real Moat server with {@code octo/app} registered as repository {@code app} (token auth). Users:
 * {@link #MAINTAINER}, {@link #WRITER}, {@link #READER} and an outsider, {@link #STRANGER}.
 */
final class GitHubWorld implements AutoCloseable {
  static final long REPO_ID = 9001;
  static final long FORK_ID = 9002;
  static final String SECRET = "whsec-0123456789abcdef";
  static final FakeGitHub.User MAINTAINER = new FakeGitHub.User(1001, "maya");
  static final FakeGitHub.User WRITER = new FakeGitHub.User(1002, "wes");
  static final FakeGitHub.User READER = new FakeGitHub.User(1003, "rita");
  static final FakeGitHub.User STRANGER = new FakeGitHub.User(1004, "mallory");
  static final String BASE_WORKFLOW = """
      name: base-ci
      on: [push, pull_request]
      jobs:
        build:
          steps:
            - run: echo "defined by the BASE branch"
      """;
  static final String HEAD_WORKFLOW = """
      name: head-ci
      on: [push, pull_request]
      jobs:
        build:
          steps:
            - run: echo "defined by the HEAD commit"
      """;

  final FakeGitHub github;
  final TestServer server;
  final GitFixture origin;
  final GitFixture fork;
  final String baseSha;
  private int prs;

  private GitHubWorld(FakeGitHub github, TestServer server, GitFixture origin, GitFixture fork, String baseSha) {
    this.github = github;
    this.server = server;
    this.origin = origin;
    this.fork = fork;
    this.baseSha = baseSha;
  }

  static GitHubWorld create(Path dir) throws IOException {
    var github = FakeGitHub.start();
    var origin = GitFixture.create(dir.resolve("octo-app"));
    origin.workflow(BASE_WORKFLOW).write("README.md", "app\n");
    String base = origin.commit("base");
    origin.push();
    var fork = GitFixture.create(dir.resolve("mallory-app"));
    GitFixture.git(fork.work(), "fetch", "-q", origin.bare().toString(), "main");
    GitFixture.git(fork.work(), "reset", "-q", "--hard", "FETCH_HEAD");
    github.repo("octo", "app", REPO_ID, origin.bare()).repo("mallory", "app", FORK_ID, fork.bare());
    for (var u : new FakeGitHub.User[] {MAINTAINER, WRITER, READER, STRANGER}) github.user(u.id(), u.login());
    github.role("octo", "app", MAINTAINER.login(), "maintain").role("octo", "app", WRITER.login(), "write")
        .role("octo", "app", READER.login(), "triage");
    var server = TestServer.start(dir.resolve("server"));
    server.api().post("/api/v1/github/repos", Map.of("name", "app", "owner", "octo", "repo", "app", "apiUrl", github.url(),
        "cloneUrl", origin.bare().toString(), "webhookSecret", SECRET, "token", github.token()));
    return new GitHubWorld(github, server, origin, fork, base);
  }

  /**
   * Opens a pull request against main: commits {@code files} (path, content) on a branch of the
   * origin or of the fork, stores its head at {@code refs/pull/N/head} of the origin as GitHub
   * does, and returns the {@code pull_request.opened} payload by {@code author}.
   */
  Pr openPr(boolean fromFork, FakeGitHub.User author, Map<String, String> files) throws IOException {
    int number = ++prs;
    GitFixture repo = fromFork ? fork : origin;
    GitFixture.git(repo.work(), "checkout", "-q", "-B", "pr-" + number, fromFork ? "HEAD" : "main");
    GitFixture.git(repo.work(), "reset", "-q", "--hard", baseSha);
    for (var f : files.entrySet()) repo.write(f.getKey(), f.getValue());
    String head = repo.commit("pr " + number);
    repo.pushTo("pr-" + number);
    GitFixture.git(origin.bare(), "fetch", "-q", repo.bare().toString(), "+refs/heads/pr-" + number + ":refs/pull/" + number + "/head");
    github.pull("octo", "app", number, "main", "refs/pull/" + number + "/head");
    ObjectNode e = GitHubWebhooks.load("pull_request.opened");
    GitHubWebhooks.repository(e, "octo", "app", REPO_ID);
    e.put("number", number);
    var pr = (ObjectNode) e.path("pull_request");
    pr.put("number", number);
    ((ObjectNode) pr.path("head")).put("sha", head).put("ref", "pr-" + number);
    ((ObjectNode) pr.path("base")).put("sha", baseSha).put("ref", "main");
    if (fromFork) {
      var headRepo = (ObjectNode) pr.path("head").path("repo");
      headRepo.put("id", FORK_ID).put("full_name", "mallory/app").put("fork", true);
      ((ObjectNode) headRepo.path("owner")).put("login", "mallory");
    }
    GitHubWebhooks.user(pr.path("user"), author.id(), author.login());
    GitHubWebhooks.user(e.path("sender"), author.id(), author.login());
    return new Pr(number, head, e);
  }

  /** Commits {@code files} on main of the origin and pushes; returns the {@code push} event by {@code pusher}. */
  Pr push(FakeGitHub.User pusher, Map<String, String> files) throws IOException {
    GitFixture.git(origin.work(), "checkout", "-q", "main");
    String before = GitFixture.git(origin.work(), "rev-parse", "HEAD").strip();
    for (var f : files.entrySet()) origin.write(f.getKey(), f.getValue());
    String after = origin.commit("push");
    origin.push();
    ObjectNode e = GitHubWebhooks.load("push");
    GitHubWebhooks.repository(e, "octo", "app", REPO_ID);
    e.put("ref", "refs/heads/main").put("before", before).put("after", after);
    GitHubWebhooks.user(e.path("sender"), pusher.id(), pusher.login());
    return new Pr(0, after, e);
  }

  /** A pull request and the {@code pull_request} event that announces it. */
  record Pr(int number, String head, ObjectNode event) {}

  /** An {@code issue_comment} created on pull request {@code number} by {@code who}. */
  ObjectNode comment(int number, FakeGitHub.User who, String body) {
    ObjectNode e = GitHubWebhooks.load("issue_comment.created");
    GitHubWebhooks.repository(e, "octo", "app", REPO_ID);
    var issue = (ObjectNode) e.path("issue");
    issue.put("number", number);
    issue.putObject("pull_request").put("url", github.url() + "/repos/octo/app/pulls/" + number)
        .put("html_url", "https://github.com/octo/app/pull/" + number)
        .put("diff_url", "https://github.com/octo/app/pull/" + number + ".diff")
        .put("patch_url", "https://github.com/octo/app/pull/" + number + ".patch").putNull("merged_at");
    ((ObjectNode) e.path("comment")).put("body", body);
    GitHubWebhooks.user(e.path("comment").path("user"), who.id(), who.login());
    GitHubWebhooks.user(e.path("sender"), who.id(), who.login());
    return e;
  }

  HttpResponse<String> deliver(String event, JsonNode payload) {
    return GitHubWebhooks.deliver(server.url(), event, GitHubWebhooks.newDelivery(), SECRET, payload);
  }

  /** A Moat user with {@code role}, linked to the GitHub account {@code github} when it is not null; returns its API token. */
  String moatUser(String name, String role, FakeGitHub.User github) {
    String token = server.api().post("/api/v1/users", Map.of("name", name, "role", role)).path("token").asString();
    if (github != null) {
      server.api().post("/api/v1/users/" + name + "/identities", Map.of("forge", "github", "id", github.id(), "login", github.login()));
    }
    return token;
  }

  /** The result of running the real CLI. */
  record Cli(int exit, String out, String err) {}

  /** Runs the real CLI in a new JVM against the server as the holder of {@code token}. */
  Cli cli(String token, String... args) throws IOException, InterruptedException {
    var argv = new java.util.ArrayList<>(java.util.List.of(ProcessHandle.current().info().command().orElseThrow(),
        "-cp", System.getProperty("java.class.path"), dev.moat.dist.Main.class.getName()));
    argv.addAll(java.util.List.of(args));
    var pb = new ProcessBuilder(argv);
    pb.environment().put("MOAT_URL", server.url());
    pb.environment().put("MOAT_TOKEN", token);
    Process p = pb.start();
    var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      } catch (IOException e) {
        return e.toString();
      }
    });
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    return new Cli(p.waitFor(), out, err.join());
  }

  /** {@code SELECT count(*) FROM table} on the server's database. */
  long count(String table) {
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + server.dataDir().resolve("moat.db"));
        var rs = c.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The commit statuses posted for {@code sha}, in order. */
  java.util.List<FakeGitHub.Status> statuses(String sha) {
    return github.statuses().stream().filter(s -> s.sha().equals(sha)).toList();
  }

  @Override
  public void close() {
    server.close();
    github.close();
  }
}
