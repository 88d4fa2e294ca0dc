package dev.moat.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pins down why {@link ProcessSpawner} exists: {@code --die-with-parent} (PR_SET_PDEATHSIG) fires
 * when the thread that started bwrap ends, not when the JVM does.
 */
class ProcessSpawnerTest {
  /** Says ready once bwrap has set its death signal, exits 3 a moment later unless killed (137). */
  static final List<String> BWRAP_EXIT_3_SOON = List.of("/usr/bin/bwrap", "--ro-bind", "/usr", "/usr",
      "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
      "--unshare-pid", "--die-with-parent", "--", "/bin/sh", "-c", "echo ready; sleep 0.5; exit 3");

  @BeforeEach
  void needsBwrap() {
    BwrapFixture.assumeBwrapWorks();
  }

  @Test
  void aSandboxStartedForAThreadThatEndsKeepsRunning() throws Exception {
    Process[] started = new Process[1];
    Thread shortLived = Thread.ofPlatform().start(() -> started[0] = startOrFail(true));
    shortLived.join();

    assertThat(started[0].waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(started[0].exitValue()).isEqualTo(3);
  }

  @Test
  void startedDirectlyFromAThreadThatEndsTheSandboxIsKilled() throws Exception {
    Process[] started = new Process[1];
    Thread shortLived = Thread.ofPlatform().start(() -> started[0] = startOrFail(false));
    shortLived.join();

    assertThat(started[0].waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(started[0].exitValue()).isEqualTo(128 + 9);
  }

  private static Process startOrFail(boolean viaSpawner) {
    ProcessBuilder builder = new ProcessBuilder(BWRAP_EXIT_3_SOON).redirectErrorStream(true);
    try {
      Process process = viaSpawner ? ProcessSpawner.start(builder) : builder.start();
      // Stay alive until the signal is armed: a thread that ends earlier hands its children to
      // another JVM thread, and the signal then follows that thread's life instead.
      assertThat(process.inputReader().readLine()).isEqualTo("ready");
      return process;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
