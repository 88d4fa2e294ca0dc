package dev.moat.dist;

import static dev.moat.dist.CliTest.moat;
import static dev.moat.dist.CliTest.moatAs;
import static dev.moat.dist.CliTest.moatWithInput;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.common.Json;
import dev.moat.common.secret.MasterKey;
import dev.moat.server.MoatServer;
import dev.moat.server.ServerConfig;
import dev.moat.testkit.FakeAgent;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code moat secret}, {@code moat env} and {@code moat admin rotate-key} against a real server
 * started with a master key file: values go in on stdin and never come out, roles are enforced,
 * a server without a key answers 503 for secrets only, and after a rotation the old key file is
 * deleted and the server restarts without it (must-show 5), while a ring missing a key still in use
 * is refused at start.
 */
class SecretsCliTest {
  private static final String VALUE = "s3cr3t-deploy-token-value";

  static {
    LogAudit.forbid(VALUE);
  }
  @TempDir Path dir;

  private static Path keyFile(Path dir, MasterKey key) throws Exception {
    Path f = dir.resolve("master-v" + key.version() + ".key");
    key.writeNew(f);
    return f;
  }

  @Test
  void secretsGoInOnStdinNeverComeOutAndSurviveARotationWithoutTheOldKey() throws Exception {
    Path v1 = keyFile(dir, MasterKey.generate(1));
    Path v2 = dir.resolve("new.key");
    Path data = dir.resolve("data");
    try (var server = TestServer.startWith(data, null, c -> c.withMasterKeys(List.of(readKey(v1))))) {
      var set = moatWithInput(server, null, VALUE + "\n", "secret", "set", "env:production", "DEPLOY_TOKEN");
      assertThat(set.code()).as(set.err()).isZero();
      assertThat(set.out()).contains("set env:production/DEPLOY_TOKEN (version 1, key v1)");

      var tooShort = moatWithInput(server, null, "abc\n", "secret", "set", "global", "PIN");
      assertThat(tooShort.code()).isEqualTo(2);
      assertThat(tooShort.err()).contains("a secret value must have at least 4 characters");

      var listed = moat(server, "secret", "list");
      assertThat(listed.code()).isZero();
      assertThat(listed.out()).contains("env:production", "DEPLOY_TOKEN", "v1").doesNotContain(VALUE);
      assertThat(Json.write(server.api().get("/api/v1/audit"))).contains("secret_set").doesNotContain(VALUE);

      String dev = server.api().post("/api/v1/users", Map.of("name", "dave", "role", "developer")).path("token").asString();
      var denied = moatAs(server, dev, "secret", "list");
      assertThat(denied.code()).isEqualTo(3);
      assertThat(denied.err()).contains("this needs the maintainer role; dave is developer");
      var asDev = new dev.moat.cli.ApiClient(new dev.moat.cli.Target(server.url(), dev));
      assertThatThrownBy(() -> asDev.put("/api/v1/secrets/global/X", Map.of("value", "long enough")))
          .hasMessage("this needs the maintainer role; dave is developer");
      assertThatThrownBy(() -> server.api().get("/api/v1/secrets/env:production/DEPLOY_TOKEN"))
          .as("no route returns a value, not even to the admin").isInstanceOf(dev.moat.cli.CliException.class);
      assertThatThrownBy(() -> asDev.post("/api/v1/environments", Map.of("name", "loose")))
          .hasMessage("this needs the admin role; dave is developer");

      var env = moat(server, "env", "create", "production", "--branch", "main", "--reviewers", "1", "--wait", "30s");
      assertThat(env.code()).as(env.err()).isZero();
      var envs = moat(server, "env", "ls");
      assertThat(envs.out()).contains("production", "env:production", "main", "trusted", "30s");

      var rotated = moat(server, "admin", "rotate-key", "--new-key", v2.toString());
      assertThat(rotated.code()).as(rotated.err()).isZero();
      assertThat(rotated.out()).contains("re-sealed 1 secrets with key v2; 0 remain on older keys");
      assertThat(rotated.err()).contains("generated master key v2 in " + v2);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(v2))).isEqualTo("rw-------");

      // The old key seals nothing now: delete its file and restart with only the new one.
      Files.delete(v1);
      server.restart(c -> c.withMasterKeys(List.of(readKey(v2))));
      assertThat(server.api().get("/api/v1/admin/keys").path("sealed").toString()).isEqualTo("{\"2\":1}");
      var after = moat(server, "secret", "list", "env:production");
      assertThat(after.out()).contains("DEPLOY_TOKEN", "v2");
      assertThat(readAsAJob(server)).as("the value still reads, through a job's environment").isEqualTo(VALUE);
      server.stop();

      // A ring without the key that seals the value is refused at start, with how to fix it.
      assertThatThrownBy(() -> MoatServer.start(ServerConfig.defaults(data, 0).withMasterKeys(List.of(MasterKey.generate(1)))))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("secrets are sealed with master key version(s) [2]");
      server.restart(c -> c);
    }
  }

  @Test
  void withoutAMasterKeyTheSecretRoutesAnswer503AndEverythingElseWorks() throws Exception {
    try (var server = TestServer.start(dir.resolve("data"))) {
      var set = moatWithInput(server, null, VALUE, "secret", "set", "global", "TOKEN");
      assertThat(set.code()).isEqualTo(4);
      assertThat(set.err()).contains("no master key configured: start the server with --master-key FILE or MOAT_MASTER_KEY");
      assertThat(moat(server, "runs").code()).isZero();
    }
  }

  /** Runs a job bound to an environment that binds env:production, claims and starts it, and reads DEPLOY_TOKEN as it. */
  private String readAsAJob(TestServer server) throws Exception {
    server.api().post("/api/v1/environments", Map.of("name", "staging", "scopes", List.of("env:production")));
    var git = GitFixture.create(dir.resolve("git"));
    server.addRepo("app", git.bare());
    git.workflow("on: push\njobs: {use: {runs-on: [linux], environment: staging, steps: [{run: 'true'}]}}\n").commit("c");
    assertThat(git.push()).contains("runs [");
    var agent = FakeAgent.registered(server, List.of("linux"));
    var assigned = agent.poll(1, List.of()).assignments();
    assertThat(assigned).hasSize(1);
    long job = assigned.getFirst().jobId();
    agent.start(job);
    return server.secrets().forJob(job, "DEPLOY_TOKEN").revealText();
  }

  private static MasterKey readKey(Path f) {
    try {
      return MasterKey.read(f);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
