package dev.moat.dist.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.server.github.GitHubAuth;
import dev.moat.server.github.GitHubClient;
import dev.moat.server.github.GitHubException;
import dev.moat.testkit.FakeGitHub;
import dev.moat.testkit.GitFixture;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GitHub API client against the fake GitHub's real JSON, with a token and as an App. */
class GitHubClientTest {
  @TempDir Path dir;
  FakeGitHub github;
  GitFixture git;
  String head;

  @BeforeEach
  void setUp() throws Exception {
    github = FakeGitHub.start();
    git = GitFixture.create(dir);
    git.workflow("name: base\n").write(".moat/workflows/notes.txt", "not a workflow").write("a.txt", "a");
    git.commit("base");
    git.push();
    GitFixture.git(git.work(), "checkout", "-q", "-b", "topic");
    git.write(".moat/workflows/extra.yaml", "name: extra\n");
    GitFixture.git(git.work(), "mv", "a.txt", "b.txt");
    head = git.commit("topic");
    git.pushTo("topic");
    github.repo("octo", "app", 1, git.bare()).user(7, "maya").role("octo", "app", "maya", "maintain").user(8, "rita")
        .pull("octo", "app", 5, "main", "topic");
  }

  @AfterEach
  void tearDown() {
    github.close();
  }

  private GitHubClient client(GitHubAuth auth) {
    return new GitHubClient(URI.create(github.url()), "octo", "app", auth, InstantSource.system(), Duration.ofSeconds(2));
  }

  @Test
  void readsPermissionsWithTheNumericUserId() {
    var c = client(new GitHubAuth.Token(github.token()));
    var maya = c.permission("maya").orElseThrow();
    assertThat(maya.userId()).isEqualTo(7);
    assertThat(maya.roleName()).isEqualTo("maintain");
    assertThat(maya.permission()).as("GitHub's coarse permission of a maintainer").isEqualTo("write");
    assertThat(c.permission("rita").orElseThrow().roleName()).as("not a collaborator of a public repository").isEqualTo("read");
    assertThat(c.permission("nobody")).isEmpty();
  }

  @Test
  void listsChangedFilesWithRenamesAndReadsWorkflowsAtARef() {
    var c = client(new GitHubAuth.Token(github.token()));
    assertThat(c.pullFiles(5)).extracting(GitHubClient.ChangedFile::filename)
        .containsExactlyInAnyOrder(".moat/workflows/extra.yaml", "b.txt");
    assertThat(c.pullFiles(5)).filteredOn(f -> f.filename().equals("b.txt"))
        .extracting(f -> f.previousFilename().orElseThrow()).containsExactly("a.txt");
    assertThat(c.files(".moat/workflows", "main")).isEqualTo(Map.of(".moat/workflows/ci.yml", "name: base\n"));
    assertThat(c.files(".moat/workflows", head)).containsOnlyKeys(".moat/workflows/ci.yml", ".moat/workflows/extra.yaml");
    assertThat(c.files("no/such/dir", "main")).isEmpty();
  }

  @Test
  void postsStatusesAndRefusesBadCredentials() {
    client(new GitHubAuth.Token(github.token())).postStatus(head, "pending", "held for approval: " + "x".repeat(200), "moat");
    var posted = github.statuses().getFirst();
    assertThat(posted.sha()).isEqualTo(head);
    assertThat(posted.context()).isEqualTo("moat");
    assertThat(posted.description()).hasSize(140).startsWith("held for approval: ");
    assertThatThrownBy(() -> client(new GitHubAuth.Token("ghp_wrong")).permission("maya"))
        .isInstanceOf(GitHubException.class).hasMessageContaining("answered 401");
  }

  @Test
  void asAnAppItSignsAJwtAndMintsARepositoryScopedReadOnlyCloneToken() {
    var app = new GitHubAuth.App(github.appId(), github.installationId(), github.appPrivateKeyPem());
    var c = client(app);
    assertThat(c.permission("maya").orElseThrow().roleName()).isEqualTo("maintain");
    var clone = c.cloneToken();
    var scope = github.mintedTokens().get(clone.token());
    assertThat(scope.get("repositories")).isEqualTo(List.of("app"));
    assertThat(scope.get("permissions")).isEqualTo(Map.of("contents", "read"));
    assertThat(clone.expiresAt()).isAfter(java.time.Instant.now());
    // The API token was minted once and reused; the clone token is a second, narrower one.
    c.permission("maya");
    assertThat(github.requests()).filteredOn(r -> r.contains("/access_tokens")).hasSize(2);
    assertThat(github.mintedTokens()).hasSize(2);
  }

  @Test
  void theCloneTokenCanReadThisRepositoryOnly() throws Exception {
    github.repo("octo", "other", 2, git.bare());
    var c = client(new GitHubAuth.App(github.appId(), github.installationId(), github.appPrivateKeyPem()));
    String clone = c.cloneToken().token();
    var http = java.net.http.HttpClient.newHttpClient();
    java.util.function.BiFunction<String, String, Integer> call = (method, path) -> {
      try {
        return http.send(java.net.http.HttpRequest.newBuilder(URI.create(github.url() + path)).header("Authorization", "Bearer " + clone)
            .method(method, java.net.http.HttpRequest.BodyPublishers.ofString("{\"state\":\"success\",\"context\":\"evil\"}")).build(),
            java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    assertThat(call.apply("GET", "/repos/octo/app/contents/.moat/workflows?ref=main")).isEqualTo(200);
    assertThat(call.apply("POST", "/repos/octo/app/statuses/" + head)).as("contents:read can't post statuses").isEqualTo(403);
    assertThat(call.apply("GET", "/repos/octo/other/contents/.moat/workflows?ref=main")).as("another repository").isEqualTo(403);
    // The client's own API token has what its calls need.
    c.postStatus(head, "success", "ok", "moat");
    assertThat(c.pullFiles(5)).isNotEmpty();
  }

  @Test
  void acceptsTheAppKeyAsGitHubHandsItOut() {
    // GitHub's .pem is PKCS#1: the PKCS#8 DER of an RSA key is a 26-byte header then the PKCS#1 key.
    String pem = github.appPrivateKeyPem();
    byte[] pkcs8 = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    byte[] pkcs1 = java.util.Arrays.copyOfRange(pkcs8, 26, pkcs8.length);
    String rsaPem = "-----BEGIN RSA PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(pkcs1) + "\n-----END RSA PRIVATE KEY-----\n";
    var c = client(new GitHubAuth.App(github.appId(), github.installationId(), rsaPem));
    assertThat(c.cloneToken().token()).startsWith("ghs_fake_");
    assertThatThrownBy(() -> new GitHubAuth.App(1, 1, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an RSA key");
    var stranger = new GitHubAuth.App(github.appId() + 1, github.installationId(), github.appPrivateKeyPem());
    assertThatThrownBy(() -> client(stranger).cloneToken()).isInstanceOf(GitHubException.class).hasMessageContaining("answered 401");
  }

  @Test
  void anApiThatIsDownOrHangsFailsEveryCall() {
    var c = client(new GitHubAuth.Token(github.token()));
    github.down(FakeGitHub.Failure.UNAVAILABLE);
    assertThatThrownBy(() -> c.permission("maya")).isInstanceOfSatisfying(GitHubException.class,
        e -> assertThat(e.status()).isEqualTo(503));
    github.down(FakeGitHub.Failure.HANG);
    assertThatThrownBy(() -> c.pullFiles(5)).isInstanceOfSatisfying(GitHubException.class, e -> {
      assertThat(e.status()).isZero();
      assertThat(e.getMessage()).containsIgnoringCase("timed out");
    });
  }
}
