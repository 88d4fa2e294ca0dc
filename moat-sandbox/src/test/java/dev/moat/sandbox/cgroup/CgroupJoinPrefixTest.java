package dev.moat.sandbox.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupJoinPrefixTest {
  static final Path MEMORY = Path.of("/sys/fs/cgroup/memory/own/moat-j1/cgroup.procs");
  static final Path PIDS = Path.of("/sys/fs/cgroup/pids/moat-j1/cgroup.procs");

  @TempDir Path dir;

  @Test
  void thePrefixJoinsEveryCgroupInOrderThenExecsWhatFollowsTheSeparator() {
    List<String> setprivBwrap = List.of("/usr/bin/setpriv", "--reuid=65500", "--", "/usr/bin/bwrap", "--", "true");

    List<String> argv = new JoinPrefix(List.of(MEMORY, PIDS)).wrap(setprivBwrap);

    assertThat(argv).containsExactly("/bin/sh", "-c", JoinPrefix.SCRIPT, "moat-cgroup-join",
        MEMORY.toString(), PIDS.toString(), "--",
        "/usr/bin/setpriv", "--reuid=65500", "--", "/usr/bin/bwrap", "--", "true");
    assertThat(JoinPrefix.SCRIPT).contains("echo $$ > \"$1\" || exit 125").endsWith("exec \"$@\"");
  }

  @Test
  void onlyAbsoluteCgroupProcsFilesCanBeJoined() {
    assertThatThrownBy(() -> new JoinPrefix(List.of())).hasMessageContaining("no cgroup");
    assertThatThrownBy(() -> new JoinPrefix(List.of(Path.of("moat-j1/cgroup.procs")))).hasMessageContaining("absolute");
    assertThatThrownBy(() -> new JoinPrefix(List.of(Path.of("/etc/passwd")))).hasMessageContaining("cgroup.procs");
    assertThatThrownBy(() -> new JoinPrefix(List.of(MEMORY)).wrap(List.of())).hasMessageContaining("empty");
  }

  @Test
  void theCommandGetsItsArgumentsVerbatimAfterTheJoin() throws Exception {
    Path procs = dir.resolve("cgroup.procs");
    Files.createFile(procs);

    Run run = run(new JoinPrefix(List.of(procs)).wrap(List.of("/usr/bin/printf", "%s|", "a b", "--", "$HOME", "")));

    assertThat(run.exit).isZero();
    assertThat(run.output).isEqualTo("a b|--|$HOME||");
    assertThat(Files.readString(procs).strip()).matches("[0-9]+");
  }

  @Test
  void whenAJoinFailsTheCommandNeverRuns() throws Exception {
    Path joined = dir.resolve("cgroup.procs");
    Files.createFile(joined);
    Path missing = dir.resolve("gone").resolve("cgroup.procs");

    Run run = run(new JoinPrefix(List.of(joined, missing)).wrap(List.of("/usr/bin/echo", "escaped")));

    assertThat(run.exit).isEqualTo(JoinPrefix.JOIN_FAILED);
    assertThat(run.output).doesNotContain("escaped");
  }

  record Run(int exit, String output) {}

  static Run run(List<String> argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }
}
