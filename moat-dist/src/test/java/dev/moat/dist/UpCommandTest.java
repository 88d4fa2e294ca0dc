package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.cli.ApiClient;
import dev.moat.cli.Target;
import dev.moat.common.Json;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.TestAgent;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code moat up} and {@code moat down} as a person runs them: real daemons, the real demo repository. */
class UpCommandTest {
  @TempDir Path dir;

  record Result(int code, String out) {}

  private Result moat(String... args) throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    var argv = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
        "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    argv.addAll(List.of(args));
    var pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().put("MOAT_DATA_DIR", dir.resolve("data").toString());
    pb.environment().put("MOAT_LOG_LEVEL", "INFO"); // the daemons inherit it: their logs are checked below
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), out);
  }

  @Test
  void upStartsEverythingAndEachDemoCommitRunsUntilDown() throws Exception {
    TestAgent.assumeSandbox();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    int port;
    try (var socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try {
      Result up = moat("up", "--port", Integer.toString(port));
      assertThat(up.code()).as(up.out()).isZero();
      assertThat(up.out()).contains("Moat is up.").contains("http://127.0.0.1:" + port).contains("succeeded");
      Map<?, ?> creds = Json.read(Files.readString(dir.resolve("data/credentials.json")), Map.class);
      var api = new ApiClient(new Target((String) creds.get("url"), (String) creds.get("token")));
      Path key = dir.resolve("data/master.key");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).as("up writes a private master key").isEqualTo("rw-------");
      String keyText = Files.readString(key);
      assertThat(api.get("/api/v1/admin/keys").path("current").asInt()).as("the server seals with it").isEqualTo(1);

      Path demo = dir.resolve("data/demo");
      Files.writeString(demo.resolve("README.md"), "changed\n");
      GitFixture.git(demo, "commit", "-qam", "try moat");
      await().atMost(Duration.ofSeconds(60)).until(() -> api.get("/api/v1/runs").size() == 2
          && api.get("/api/v1/runs").get(0).path("status").asString().equals("succeeded"));

      Result again = moat("up", "--port", Integer.toString(port));
      assertThat(again.code()).as("up twice reuses what runs: " + again.out()).isZero();
      assertThat(api.get("/api/v1/runs").size()).isEqualTo(3);
      assertThat(Files.readString(key)).as("up never replaces the key").isEqualTo(keyText);
    } finally {
      Result down = moat("down");
      System.out.println("moat down: " + down.out());
    }
    assertThat(moat("down").out()).as("down stopped both").contains("agent was not running").contains("server was not running");
    assertThat(Files.exists(dir.resolve("data/server.pid"))).isFalse();
    // What the real daemons wrote: JSON lines only, no credential, and the job's fields on both sides.
    for (String daemon : List.of("server", "agent")) {
      List<String> lines = Files.readAllLines(dir.resolve("data/logs/" + daemon + ".log"));
      assertThat(lines).as(daemon + ".log").isNotEmpty();
      assertThat(LogAudit.problems(lines)).as(daemon + ".log").isEmpty();
      var finished = lines.stream().map(Json.MAPPER::readTree).filter(n -> n.path("msg").asString().equals("job finished")).toList();
      assertThat(finished).as(daemon + ".log: " + lines).hasSizeGreaterThanOrEqualTo(2);
      for (var n : finished) {
        assertThat(List.of("job_id", "run_id", "pool", "agent", "tier", "status", "exit_code", "egress"))
            .as("%s", n).allMatch(n::hasNonNull);
      }
    }
  }
}
