package dev.moat.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.ExecResult.Outcome;
import dev.moat.sandbox.cgroup.Cgroups;
import dev.moat.sandbox.cgroup.Limits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant I3 through the bwrap tier: a job's steps run inside one cgroup with the pool's limits,
 * and a fork bomb, a memory bomb and a CPU spinner are held to them, with the result naming the
 * limit that was enforced. Needs root (cgroups); skips with the reason otherwise.
 */
class BwrapLimitsTest {
  static final Limits LIMITS = new Limits(128L << 20, 64, 500);

  @TempDir Path tempDir;
  Sandbox sandbox;

  @BeforeEach
  void setUp() throws IOException {
    BwrapFixture.assumeBwrapWorks();
    Availability cgroups = Cgroups.probe();
    if (!cgroups.available()) System.out.println("skipping bwrap limit tests: " + cgroups.reason());
    assumeTrue(cgroups.available(), cgroups.reason());
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    BwrapTier tier = new BwrapTier(BwrapSettings.defaults().withLimits(LIMITS));
    sandbox = tier.create(new SandboxSpec("limits-" + ProcessHandle.current().pid(),
        Files.createDirectory(tempDir.resolve("ws"))));
  }

  @AfterEach
  void tearDown() {
    if (sandbox != null) sandbox.close();
  }

  record Ran(ExecResult result, String output) {}

  Ran sh(String script) throws IOException {
    OutputCapture out = new OutputCapture();
    ExecResult r = sandbox.exec(List.of("/bin/sh", "-c", script), BwrapFixture.BASIC_ENV, out,
        BwrapFixture.in(Duration.ofSeconds(60)));
    return new Ran(r, out.text());
  }

  @Test
  void aForkBombStopsAtThePidsCap() throws IOException {
    Ran ran = sh(LimitScripts.FORK_BOMB);

    LimitScripts.assertStoppedAtPidsCap(ran.result(), ran.output(), LIMITS.pidsMax());
    assertThat(sh("echo still usable").output()).contains("still usable");
  }

  @Test
  void aMemoryBombIsKilledAndTheResultSaysOutOfMemory() throws IOException {
    Ran ran = sh(LimitScripts.MEMORY_BOMB);

    LimitScripts.assertKilledForMemory(ran.result(), ran.output());
  }

  @Test
  void aStepWithinItsLimitsHitsNone() throws IOException {
    Ran ran = sh("x=$(head -c 1000000 /dev/zero | tr '\\0' a); echo ok ${#x}");

    assertThat(ran.result()).isEqualTo(new ExecResult(Outcome.EXITED, 0));
    assertThat(ran.output()).contains("ok 1000000");
  }

  /** Spins for 3 s of wall time in the shell itself and reads its own CPU time (clock ticks). */
  @Test
  void theCpuQuotaHoldsWithinTenPercent() throws IOException {
    Ran ran = sh(LimitScripts.SPIN);

    assertThat(LimitScripts.cpuShare(ran.output())).isCloseTo(LIMITS.cpuMillicores() / 1000.0, within(0.05));
  }
}
