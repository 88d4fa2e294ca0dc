package dev.moat.sandbox;

import static dev.moat.sandbox.BwrapFixture.BASIC_ENV;
import static dev.moat.sandbox.BwrapFixture.in;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.moat.sandbox.ExecResult.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BwrapSandboxTest {
  @TempDir Path tempDir;
  BwrapFixture fx;
  ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  @BeforeEach
  void setUp() throws IOException {
    fx = new BwrapFixture(tempDir);
  }

  @AfterEach
  void tearDown() {
    if (fx != null) fx.close();
    threads.shutdownNow();
  }

  @Test
  void stdoutAndStderrAreMergedAndStreamedWhileTheCommandRuns() throws Exception {
    OutputCapture out = new OutputCapture();
    String script = "echo out1; echo err1 >&2; while [ ! -e /workspace/go ]; do sleep 0.01; done; echo out2";
    CompletableFuture<ExecResult> run = CompletableFuture.supplyAsync(() -> exec(List.of("/bin/sh", "-c", script), out), threads);

    await().atMost(Duration.ofSeconds(10)).until(() -> out.text().equals("out1\nerr1\n"));
    assertThat(run).isNotDone();
    Files.createFile(fx.workspace.resolve("go"));

    assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(new ExecResult(Outcome.EXITED, 0));
    assertThat(out.text()).isEqualTo("out1\nerr1\nout2\n");
  }

  @Test
  void theCommandsExitStatusIsReturned() throws IOException {
    assertThat(fx.sh("exit 7").result()).isEqualTo(new ExecResult(Outcome.EXITED, 7));
    assertThat(fx.sh("true").result().succeeded()).isTrue();
  }

  @Test
  void aCommandEndedBySignalExitsWith128PlusTheSignal() throws IOException {
    assertThat(fx.sh("kill -TERM $$").result()).isEqualTo(new ExecResult(Outcome.EXITED, 128 + 15));
  }

  @Test
  void theEnvironmentIsExactlyTheGivenVariablesPlusPwd() throws IOException {
    Map<String, String> env = Map.of("PATH", "/usr/bin:/bin", "MOAT_STEP", "a b=c", "EMPTY", "");
    OutputCapture out = new OutputCapture();

    ExecResult result = fx.sandbox.exec(List.of("/usr/bin/env"), env, out, in(Duration.ofMinutes(1)));

    assertThat(result.succeeded()).isTrue();
    assertThat(out.text().lines()).containsExactlyInAnyOrder(
        "PATH=/usr/bin:/bin", "MOAT_STEP=a b=c", "EMPTY=", "PWD=/workspace");
  }

  @Test
  void aShellSeesOnlyTheGivenVariablesAndWhatTheShellItselfAdds() throws IOException {
    Map<String, String> jvmOnly = new HashMap<>(System.getenv());
    jvmOnly.keySet().removeAll(BASIC_ENV.keySet());
    jvmOnly.keySet().removeAll(List.of("PWD", "OLDPWD", "SHLVL", "_"));

    String output = fx.sh("env").output();

    // dash (Debian's /bin/sh) adds nothing beyond what bwrap sets (PWD).
    List<String> names = output.lines().map(line -> line.substring(0, line.indexOf('='))).toList();
    assertThat(names).containsExactlyInAnyOrder("PATH", "HOME", "PWD");
    assertThat(names).doesNotContainAnyElementsOf(jvmOnly.keySet());
  }

  @Test
  void filesWrittenInTheWorkspaceAreVisibleOnTheHostOwnedByTheSandboxUid() throws IOException {
    assertThat(fx.sh("mkdir -p out && echo built > out/result.txt").result().succeeded()).isTrue();

    Path result = fx.workspace.resolve("out/result.txt");
    assertThat(result).hasContent("built");
    assertThat(Files.getAttribute(result, "unix:uid")).isEqualTo(fx.settings.uid());
  }

  @Test
  void tmpIsPrivateToEachExec() throws IOException {
    assertThat(fx.sh("echo x > /tmp/left-behind && test -e /tmp/left-behind").result().succeeded()).isTrue();

    BwrapFixture.Ran next = fx.sh("ls -A /tmp");
    assertThat(next.result().succeeded()).isTrue();
    assertThat(next.output()).isEmpty();
  }

  @Test
  void theHostnameNamesTheSandbox() throws IOException {
    assertThat(fx.sh("cat /proc/sys/kernel/hostname").output())
        .isEqualTo("moat-test-" + ProcessHandle.current().pid() + "\n");
  }

  @Test
  void aMissingCommandFailsWithBwrapsMessage() throws IOException {
    OutputCapture out = new OutputCapture();
    ExecResult result = fx.sandbox.exec(List.of("no-such-command"), BASIC_ENV, out, in(Duration.ofMinutes(1)));

    assertThat(result).isEqualTo(new ExecResult(Outcome.EXITED, 1));
    assertThat(out.text()).contains("execvp no-such-command");
  }

  @Test
  void afterKillExecReturnsKilledWithoutRunningAnything() throws IOException {
    fx.sandbox.kill();

    assertThat(fx.sh("touch /workspace/ran").result()).isEqualTo(new ExecResult(Outcome.KILLED, -1));
    assertThat(fx.workspace.resolve("ran")).doesNotExist();
  }

  @Test
  void killAndCloseAreIdempotent() throws IOException {
    fx.sandbox.kill();
    fx.sandbox.kill();
    fx.sandbox.close();
    fx.sandbox.close();

    assertThat(fx.sh("true").result().outcome()).isEqualTo(Outcome.KILLED);
  }

  @Test
  void aDeadlineInThePastTimesOutWithoutRunning() throws IOException {
    ExecResult result = fx.sandbox.exec(
        List.of("/bin/sh", "-c", "touch /workspace/ran"), BASIC_ENV, new OutputCapture(), in(Duration.ofSeconds(-1)));

    assertThat(result).isEqualTo(new ExecResult(Outcome.TIMED_OUT, -1));
    assertThat(fx.workspace.resolve("ran")).doesNotExist();
  }

  @Test
  void aFailingSinkIsReportedAfterTheCommandRanToItsEnd() {
    OutputSink broken = (buffer, offset, length) -> {
      throw new IllegalStateException("log store down");
    };

    assertThatThrownBy(() -> fx.sandbox.exec(List.of("/bin/sh", "-c", "echo hi; touch /workspace/ran"),
            BASIC_ENV, broken, in(Duration.ofMinutes(1))))
        .isInstanceOf(IOException.class)
        .hasRootCauseMessage("log store down");
    assertThat(fx.workspace.resolve("ran")).exists();
  }

  @Test
  void invalidVariableNamesAndEmptyCommandsAreRefused() {
    assertThatThrownBy(() -> fx.sandbox.exec(List.of("true"), Map.of("A=B", "x"), new OutputCapture(), in(Duration.ofMinutes(1))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> fx.sandbox.exec(List.of(), Map.of(), new OutputCapture(), in(Duration.ofMinutes(1))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void largeOutputArrivesCompleteAndInOrder() throws IOException {
    BwrapFixture.Ran ran = fx.sh("seq 1 200000");

    assertThat(ran.result().succeeded()).isTrue();
    assertThat(ran.output().lines()).hasSize(200_000).startsWith("1", "2").endsWith("200000");
  }

  private ExecResult exec(List<String> argv, OutputSink out) {
    try {
      return fx.sandbox.exec(argv, BASIC_ENV, out, in(Duration.ofMinutes(1)));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
