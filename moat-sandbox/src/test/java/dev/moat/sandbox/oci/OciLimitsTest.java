package dev.moat.sandbox.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.ExecResult.Outcome;
import dev.moat.sandbox.HostUser;
import dev.moat.sandbox.LimitScripts;
import dev.moat.sandbox.OutputCapture;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.image.TestImages;
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
 * The job cgroup's caps hold in a real runc container, and each result names the limit it hit:
 * the counters live on the job cgroup, which outlives each step's container.
 */
class OciLimitsTest {
  /** 128 MiB, 64 tasks, half a CPU. */
  static final OciLimits LIMITS = new OciLimits(128L << 20, 64, 50_000, 100_000, 4096, 64L << 20);

  @TempDir Path tmp;
  OciSandbox sandbox;

  @BeforeEach
  void setUp() throws IOException {
    assumeTrue(HostUser.current().isRoot(), "the oci tier needs root");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "no runc (apt-get install runc)");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    OciSettings settings = OciSettings.defaults(tmp, TestImages.ROOTFS).withLimits(LIMITS);
    OciTier tier = new OciTier(settings, TestImages.store(), TestImages.bookworm().digest());
    Path workspace = Files.createDirectory(tmp.resolve("workspace"));
    sandbox = (OciSandbox) tier.create(new SandboxSpec("limits-" + ProcessHandle.current().pid(), workspace));
  }

  @AfterEach
  void tearDown() {
    if (sandbox != null) sandbox.close();
  }

  record Ran(ExecResult result, String output) {}

  Ran sh(String script) throws IOException {
    OutputCapture out = new OutputCapture();
    ExecResult r = sandbox.exec(List.of("/bin/sh", "-c", script), OciFixture.BASIC_ENV, out, OciFixture.in(Duration.ofMinutes(1)));
    return new Ran(r, out.text());
  }

  @Test
  void aForkBombStopsAtThePidsCapAndTheNextStepStillRuns() throws IOException {
    Ran ran = sh(LimitScripts.FORK_BOMB);

    LimitScripts.assertStoppedAtPidsCap(ran.result(), ran.output(), (int) LIMITS.pids());
    assertThat(sh("echo still usable").output()).contains("still usable");
  }

  @Test
  void aMemoryBombIsKilledAndTheResultSaysOutOfMemory() throws IOException {
    Ran ran = sh(LimitScripts.MEMORY_BOMB);

    LimitScripts.assertKilledForMemory(ran.result(), ran.output());
    Ran next = sh("echo next step");
    assertThat(next.result()).as("a later step hits nothing").isEqualTo(new ExecResult(Outcome.EXITED, 0));
  }

  @Test
  void theCpuQuotaHoldsWithinTenPercent() throws IOException {
    Ran ran = sh(LimitScripts.SPIN);

    assertThat(LimitScripts.cpuShare(ran.output())).isCloseTo(0.5, within(0.05));
  }
}
