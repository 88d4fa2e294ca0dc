package dev.moat.sandbox;

import static dev.moat.sandbox.BwrapFixture.BASIC_ENV;
import static dev.moat.sandbox.BwrapFixture.in;
import static dev.moat.sandbox.HostProcesses.uniqueMarker;
import static dev.moat.sandbox.HostProcesses.withArgument;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.sandbox.ExecResult.Outcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks invariant I3's "cancel and time-out kill the whole sandbox": background children, new
 * sessions and double forks must all die, and nothing may keep an exec hanging. Processes are
 * found from the host by a unique sleep duration in their command line.
 */
class BwrapTerminationTest {
  @TempDir Path tempDir;
  BwrapFixture fx;
  final String marker = uniqueMarker();
  final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  @BeforeEach
  void setUp() throws IOException {
    fx = new BwrapFixture(tempDir);
  }

  @AfterEach
  void tearDown() {
    if (fx != null) fx.close();
    threads.shutdownNow();
  }

  /** A background child, a new session, a double fork (reparented to pid 1), and a foreground sleep. */
  String escapees() {
    return "sleep %1$s & setsid sleep %1$s & (sleep %1$s &); sleep %1$s".formatted(marker);
  }

  @Test
  void aTimeoutKillsTheWholeSandboxAndReturnsTimedOut() throws Exception {
    CompletableFuture<ExecResult> run = execAsync(fx.sandbox, escapees(), in(Duration.ofSeconds(3)));
    await().atMost(Duration.ofSeconds(10)).until(() -> withArgument(marker).size() == 4);

    assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(new ExecResult(Outcome.TIMED_OUT, -1));
    // Killing ends with bwrap reaping the namespace's pid 1, which the kernel lets exit only after
    // every other process in the namespace is gone: no waiting needed.
    assertThat(withArgument(marker)).isEmpty();
    assertThat(fx.sh("echo still usable").output()).isEqualTo("still usable\n");
  }

  @Test
  void killFromAnotherThreadEndsARunningExecPromptlyWithKilled() throws Exception {
    CompletableFuture<ExecResult> run = execAsync(fx.sandbox, escapees(), in(Duration.ofMinutes(5)));
    await().atMost(Duration.ofSeconds(10)).until(() -> withArgument(marker).size() == 4);

    fx.sandbox.kill();

    await().atMost(Duration.ofSeconds(2)).until(run::isDone);
    assertThat(run.get()).isEqualTo(new ExecResult(Outcome.KILLED, -1));
    assertThat(withArgument(marker)).isEmpty();
  }

  @Test
  void interruptingTheExecThreadKillsTheSandbox() throws Exception {
    Thread[] execThread = new Thread[1];
    CompletableFuture<ExecResult> run = CompletableFuture.supplyAsync(() -> {
      execThread[0] = Thread.currentThread();
      return exec(fx.sandbox, escapees(), in(Duration.ofMinutes(5)));
    }, threads);
    await().atMost(Duration.ofSeconds(10)).until(() -> withArgument(marker).size() == 4);

    execThread[0].interrupt();

    assertThat(run.get(10, TimeUnit.SECONDS)).isEqualTo(new ExecResult(Outcome.KILLED, -1));
    assertThat(withArgument(marker)).isEmpty();
    assertThat(fx.sh("echo still usable").output()).isEqualTo("still usable\n");
  }

  @Test
  void aBackgroundProcessLeftAfterTheCommandExitsNeitherHangsTheExecNorSurvives() throws Exception {
    CompletableFuture<ExecResult> run = execAsync(fx.sandbox, "sleep " + marker + " & echo done", in(Duration.ofMinutes(5)));

    await().atMost(Duration.ofSeconds(10)).until(run::isDone);
    assertThat(run.get()).isEqualTo(new ExecResult(Outcome.EXITED, 0));
    assertThat(withArgument(marker)).isEmpty(); // it held the output, so the exec waited for its death
  }

  @Test
  void detachedProcessesWithoutTheOutputDieWhenTheCommandExits() throws Exception {
    String script = "setsid sleep %1$s >/dev/null 2>&1 & (sleep %1$s </dev/null >/dev/null 2>&1 &); echo done".formatted(marker);

    BwrapFixture.Ran ran = fx.sh(script);

    assertThat(ran.result()).isEqualTo(new ExecResult(Outcome.EXITED, 0));
    assertThat(ran.output()).isEqualTo("done\n");
    // These closed the output, so the exec may return while the kernel is still killing them.
    await().atMost(Duration.ofSeconds(5)).until(() -> withArgument(marker).isEmpty());
  }

  @Test
  void laterExecsOfACancelledSandboxReturnKilledAtOnce() throws Exception {
    CompletableFuture<ExecResult> run = execAsync(fx.sandbox, "sleep " + marker, in(Duration.ofMinutes(5)));
    await().atMost(Duration.ofSeconds(10)).until(() -> withArgument(marker).size() == 1);
    fx.sandbox.kill();
    assertThat(run.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.KILLED);

    assertThat(fx.sh("touch /workspace/after").result()).isEqualTo(new ExecResult(Outcome.KILLED, -1));
    assertThat(fx.workspace.resolve("after")).doesNotExist();
  }

  @Test
  void killingWhileBwrapIsStillStartingNeverLeavesAProcessBehind() throws Exception {
    for (int i = 0; i < 30; i++) {
      Path workspace = Files.createDirectory(tempDir.resolve("race-" + i));
      try (Sandbox sandbox = fx.tier.create(new SandboxSpec("race-" + i, workspace))) {
        CompletableFuture<ExecResult> run = execAsync(sandbox, "sleep " + marker, in(Duration.ofMinutes(5)));
        spinFor(ThreadLocalRandom.current().nextInt(0, 15_000_000));

        sandbox.kill();

        assertThat(run.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.KILLED);
        assertThat(withArgument(marker)).isEmpty();
      }
    }
  }

  private static void spinFor(long nanos) {
    long end = System.nanoTime() + nanos;
    while (System.nanoTime() - end < 0) Thread.onSpinWait();
  }

  private CompletableFuture<ExecResult> execAsync(Sandbox sandbox, String script, Instant deadline) {
    return CompletableFuture.supplyAsync(() -> exec(sandbox, script, deadline), threads);
  }

  private static ExecResult exec(Sandbox sandbox, String script, Instant deadline) {
    try {
      return sandbox.exec(List.of("/bin/sh", "-c", script), BASIC_ENV, new OutputCapture(), deadline);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
