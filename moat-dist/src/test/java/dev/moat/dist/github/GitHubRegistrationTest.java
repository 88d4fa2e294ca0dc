package dev.moat.dist.github;

import static dev.moat.dist.github.GitHubWorld.MAINTAINER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Json;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.GitHubWebhooks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Registering GitHub repositories with the real CLI, and a GitHub App's repository end to end. */
class GitHubRegistrationTest {
  @TempDir Path dir;

  @Test
  void anAppRepositoryRegisteredWithTheCliFetchesWithARepositoryScopedReadOnlyToken() throws Exception {
    try (var w = GitHubWorld.create(dir.resolve("world"))) {
      var lib = GitFixture.create(dir.resolve("octo-lib"));
      lib.workflow("name: lib-ci\non: push\njobs: {a: {steps: [{run: 'true'}]}}\n");
      String before = lib.commit("one");
      lib.push();
      lib.write("b.txt", "b");
      String after = lib.commit("two");
      lib.push();
      w.github.repo("octo", "lib", 9100, lib.bare()).role("octo", "lib", MAINTAINER.login(), "admin");
      Path secret = Files.writeString(dir.resolve("secret"), "lib-secret-0123456789\n");
      Path key = Files.writeString(dir.resolve("app.pem"), w.github.appPrivateKeyPem());
      String admin = w.server.token();
      var added = w.cli(admin, "repo", "add-github", "lib", "--github", "octo/lib", "--secret-file", secret.toString(),
          "--app-id", Long.toString(w.github.appId()), "--installation-id", Long.toString(w.github.installationId()),
          "--key-file", key.toString(), "--api-url", w.github.url(), "--clone-url", lib.bare().toString());
      assertThat(added.exit()).as(added.err()).isZero();
      assertThat(added.out()).contains("added GitHub repository octo/lib as lib").contains(w.server.url() + "/hooks/github");

      var push = GitHubWebhooks.load("push");
      GitHubWebhooks.repository(push, "octo", "lib", 9100);
      push.put("ref", "refs/heads/main").put("before", before).put("after", after);
      GitHubWebhooks.user(push.path("sender"), MAINTAINER.id(), MAINTAINER.login());
      // Signed with the other repository's secret: refused.
      assertThat(GitHubWebhooks.deliver(w.server.url(), "push", GitHubWebhooks.newDelivery(), GitHubWorld.SECRET, push).statusCode())
          .isEqualTo(400);
      var res = GitHubWebhooks.deliver(w.server.url(), "push", GitHubWebhooks.newDelivery(), "lib-secret-0123456789", push);
      assertThat(res.statusCode()).as(res.body()).isEqualTo(202);
      JsonNode decided = Json.MAPPER.readTree(res.body());
      assertThat(decided.path("tier").asString()).isEqualTo("trusted");
      assertThat(w.server.run(decided.path("runs").get(0).asLong()).path("workflow").asString()).isEqualTo("lib-ci");
      assertThat(w.github.mintedTokens().values()).anySatisfy(scope -> {
        assertThat(scope.get("repositories")).isEqualTo(List.of("lib"));
        assertThat(scope.get("permissions")).isEqualTo(Map.of("contents", "read"));
      });

      JsonNode listed = w.server.api().get("/api/v1/github/repos");
      assertThat(listed.findValuesAsString("github")).containsExactly("octo/app", "octo/lib");
      assertThat(listed.toString()).doesNotContain("lib-secret").doesNotContain("PRIVATE KEY").doesNotContain(w.github.token());
    }
  }

  @Test
  void badRegistrationsAreRefusedWithTheReason() throws Exception {
    try (var w = GitHubWorld.create(dir.resolve("world"))) {
      String admin = w.server.token();
      Path shortSecret = Files.writeString(dir.resolve("short"), "too-short");
      Path token = Files.writeString(dir.resolve("token"), "ghp_x");
      var weak = w.cli(admin, "repo", "add-github", "x", "--github", "octo/x", "--secret-file", shortSecret.toString(),
          "--token-file", token.toString());
      assertThat(weak.exit()).isNotZero();
      assertThat(weak.err()).contains("webhookSecret must be at least 16 characters");
      Path secret = Files.writeString(dir.resolve("secret"), "0123456789abcdef0123");
      var taken = w.cli(admin, "repo", "add-github", "app2", "--github", "octo/app", "--secret-file", secret.toString(),
          "--token-file", token.toString());
      assertThat(taken.err()).contains("GitHub repository octo/app is already registered");
      var noAuth = w.cli(admin, "repo", "add-github", "y", "--github", "octo/y", "--secret-file", secret.toString());
      assertThat(noAuth.err()).contains("give a token, or appId, installationId and privateKey");
      var badUrl = w.cli(admin, "repo", "add-github", "z", "--github", "octo/z", "--secret-file", secret.toString(),
          "--token-file", token.toString(), "--api-url", "file:///etc");
      assertThat(badUrl.err()).contains("apiUrl must be an http(s) URL");
      String viewer = w.moatUser("vic", "viewer", null);
      var notAdmin = w.cli(viewer, "repo", "add-github", "w", "--github", "octo/w", "--secret-file", secret.toString(),
          "--token-file", token.toString());
      assertThat(notAdmin.exit()).isNotZero();
      assertThat(w.server.api().get("/api/v1/github/repos")).hasSize(1);
    }
  }
}
