package dev.moat.dist;

import dev.moat.cli.ApiClient;
import dev.moat.cli.CliException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The demo: a bare repository registered with the server ({@code repos/demo.git}) and a working
 * clone ({@code demo/}) whose {@code post-commit} hook pushes, so every commit starts a run.
 */
final class DemoRepo {
  static final String WORKFLOW = """
      name: ci
      on:
        push:
          branches: [main]
      jobs:
        build:
          runs-on: [linux]
          timeout: 5m
          steps:
            - name: hello
              run: echo "hello from a Moat sandbox, uid $(id -u), commit $MOAT_SHA"
            - name: build
              run: ./build.sh
        test:
          needs: [build]
          runs-on: [linux]
          steps:
            - run: test -f build.sh && echo "tests passed"
      """;
  static final String BUILD = """
      #!/bin/sh
      set -e
      echo "building in $(pwd) on $(hostname)"
      ls -la
      """;

  private final Path bare;
  private final Path work;

  DemoRepo(Path dataDir, Path work) {
    this.bare = dataDir.resolve("repos").resolve("demo.git");
    this.work = work;
  }

  /** Creates the demo on first use and returns the newest demo run (pushing a first commit if needed). */
  long ensure(ApiClient api) throws IOException, InterruptedException {
    boolean registered = false;
    for (JsonNode repo : api.get("/api/v1/repos")) registered |= repo.path("name").asString().equals("demo");
    if (!Files.exists(bare)) {
      Files.createDirectories(bare.getParent());
      git(bare.getParent(), "init", "-q", "--bare", "-b", "main", bare.toString());
    }
    if (!registered) api.post("/api/v1/repos", Map.of("name", "demo", "path", bare.toString()));
    if (!Files.exists(work)) {
      create();
    } else {
      git(work, "commit", "-q", "--allow-empty", "-m", "moat up");
    }
    for (JsonNode run : api.get("/api/v1/runs?limit=20")) {
      if (run.path("repo").asString().equals("demo")) return run.path("id").asLong();
    }
    throw new CliException(CliException.FAILED, "the demo push started no run; see the server log");
  }

  private void create() throws IOException, InterruptedException {
    Files.createDirectories(work.resolve(".moat/workflows"));
    git(work, "init", "-q", "-b", "main");
    git(work, "config", "user.name", "Moat Demo");
    git(work, "config", "user.email", "demo@moat.invalid");
    git(work, "remote", "add", "origin", bare.toString());
    Files.writeString(work.resolve(".moat/workflows/ci.yml"), WORKFLOW, StandardCharsets.UTF_8);
    Path build = work.resolve("build.sh");
    Files.writeString(build, BUILD, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(build, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(work.resolve("README.md"), "# Moat demo\n\nEach commit here is pushed and built.\n");
    Path hook = work.resolve(".git/hooks/post-commit");
    Files.writeString(hook, "#!/bin/sh\n# Pushes each commit so that Moat runs it.\nexec git push -q origin HEAD:refs/heads/main\n");
    Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", "demo: first commit");
  }

  private static void git(Path dir, String... args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of("git", "-C", dir.toString()));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new CliException(CliException.FAILED, "git " + String.join(" ", args) + " failed: " + out);
  }
}
