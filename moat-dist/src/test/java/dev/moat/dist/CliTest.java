package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.testkit.GitFixture;
import dev.moat.testkit.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code moat} command line, in its own JVM, against a real server. */
class CliTest {
  @TempDir Path dir;

  record Result(int code, String out, String err) {}

  static Result moat(TestServer server, String... args) throws Exception {
    return moatAs(server, null, args);
  }

  /** Runs the CLI with {@code token} ({@code $MOAT_TOKEN}), or with the admin's credentials.json when null. */
  static Result moatAs(TestServer server, String token, String... args) throws Exception {
    return moatWithInput(server, token, null, args);
  }

  /** As {@link #moatAs}, with {@code stdin} (null: none) written to the CLI's standard input. */
  static Result moatWithInput(TestServer server, String token, String stdin, String... args) throws Exception {
    var argv = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    argv.addAll(List.of(args));
    var pb = new ProcessBuilder(argv);
    pb.environment().put("MOAT_DATA_DIR", server.dataDir().toString());
    pb.environment().remove("MOAT_URL");
    pb.environment().remove("MOAT_TOKEN");
    if (token != null) {
      pb.environment().put("MOAT_URL", server.url());
      pb.environment().put("MOAT_TOKEN", token);
    }
    Process p = pb.start();
    try (var in = p.getOutputStream()) {
      if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    var err = p.getErrorStream();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), out, new String(err.readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void firstStartWritesAdminCredentialsOnlyTheOwnerCanRead() throws Exception {
    try (var server = TestServer.start(dir.resolve("data"))) {
      Path creds = server.dataDir().resolve("credentials.json");
      assertThat(Files.getPosixFilePermissions(creds)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
      assertThat(Files.getPosixFilePermissions(server.dataDir())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
      assertThat(Files.readString(creds)).contains(server.url()).contains("moat_admin_");
      server.restart();
      assertThat(Files.readString(creds)).as("a restart keeps the token").contains(server.token());
    }
  }

  @Test
  void repoAddTriggerShowWaitLogsAndCancelWorkFromTheCommandLine() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent();
      var git = GitFixture.create(dir.resolve("other"));
      git.workflow("on: {push: {branches: [main]}}\njobs: {hello: {steps: [{run: 'echo hello-from-trigger'}]}}\n").commit("c");
      git.push();
      Result added = moat(s.server, "repo", "add", "other", "--path", git.bare().toString());
      assertThat(added.code()).as(added.err()).isZero();
      assertThat(Files.readString(git.bare().resolve("hooks/post-receive"))).contains("moat-hook");

      Result triggered = moat(s.server, "trigger", "--repo", "other", "--ref", "main", "--json");
      assertThat(triggered.code()).as(triggered.err()).isZero();
      long run = dev.moat.common.Json.MAPPER.readTree(triggered.out()).get(0).path("id").asLong();
      Result waited = moat(s.server, "run", "wait", Long.toString(run));
      assertThat(waited.code()).isZero();
      assertThat(waited.out()).contains("succeeded");
      Result shown = moat(s.server, "run", "show", Long.toString(run));
      assertThat(shown.out()).contains("hello").contains("succeeded").contains("refs/heads/main");
      long job = s.server.run(run).path("jobs").get(0).path("id").asLong();
      assertThat(moat(s.server, "logs", Long.toString(job), "-f").out()).contains("hello-from-trigger");

      git.workflow("on: push\njobs: {slow: {steps: [{run: 'sleep 1000401'}]}}\n").commit("slow");
      git.push();
      long slow = s.server.runs().get(0).path("id").asLong();
      s.awaitJob(slow, "slow", st -> st.equals("running"));
      Result cancelled = moat(s.server, "cancel", Long.toString(slow));
      assertThat(cancelled.out()).contains("cancelled");
      assertThat(moat(s.server, "run", "wait", Long.toString(slow)).code()).isEqualTo(1);
    }
  }

  @Test
  void errorsUseTheExitCodeContract() throws Exception {
    try (var server = TestServer.start(dir.resolve("data"))) {
      assertThat(moat(server, "run", "show", "999").code()).as("unknown run").isEqualTo(2);
      assertThat(moat(server, "runs", "--no-such-flag").code()).as("usage").isEqualTo(2);
      Files.writeString(server.dataDir().resolve("credentials.json"), "{\"url\":\"" + server.url() + "\",\"token\":\"moat_admin_forged\"}");
      assertThat(moat(server, "runs").code()).as("bad token").isEqualTo(3);
      server.stop();
      Files.writeString(server.dataDir().resolve("credentials.json"), "{\"url\":\"http://127.0.0.1:1\",\"token\":\"x\"}");
      assertThat(moat(server, "runs").code()).as("unreachable").isEqualTo(4);
      server.restart();
    }
  }

  @Test
  void workspaceIsDeletedAfterTheJob() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent();
      long run = s.pushOne("on: push\njobs: {a: {steps: [{run: 'echo data > file'}]}}\n");
      s.awaitRunEnded(run);
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        try (var left = Files.list(s.workRoot(0))) {
          return left.findAny().isEmpty();
        }
      });
    }
  }
}
