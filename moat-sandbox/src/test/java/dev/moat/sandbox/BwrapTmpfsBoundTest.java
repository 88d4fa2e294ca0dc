package dev.moat.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks invariant I3 (bounded) through the sandbox's own memory-backed file systems: each is
 * capped, so filling it fails with ENOSPC inside the job instead of eating the host's memory.
 */
class BwrapTmpfsBoundTest {
  @TempDir Path tempDir;
  BwrapFixture fx;

  @BeforeEach
  void setUp() throws IOException {
    fx = new BwrapFixture(tempDir);
  }

  @AfterEach
  void tearDown() {
    if (fx != null) fx.close();
  }

  @Test
  void fillingTmpStopsWithNoSpaceLeftAtItsCap() throws IOException {
    assertFillStopsAt("/tmp", BwrapCommand.TMP_BYTES);
  }

  @Test
  void fillingRunStopsWithNoSpaceLeftAtItsCap() throws IOException {
    assertFillStopsAt("/run", BwrapCommand.RUN_BYTES);
  }

  @Test
  void fillingDevShmStopsWithNoSpaceLeftAtItsCap() throws IOException {
    assertFillStopsAt("/dev/shm", BwrapCommand.SHM_BYTES);
  }

  @Test
  void devItselfIsReadOnlySoItCannotBeFilled() throws IOException {
    BwrapFixture.Ran ran = fx.sh("echo x > /dev/fill; echo rc=$?; echo ok > /dev/null && echo null-works");

    assertThat(ran.output()).contains("/dev/fill: Read-only file system", "rc=2", "null-works");
  }

  private void assertFillStopsAt(String dir, long cap) throws IOException {
    long mib = (cap >> 20) + 16;
    BwrapFixture.Ran ran = fx.sh("dd if=/dev/zero of=" + dir + "/fill bs=1M count=" + mib + " 2>&1; echo rc=$?; "
        + "stat -c size=%s " + dir + "/fill");

    assertThat(ran.output()).contains("error writing '" + dir + "/fill': No space left on device", "rc=1");
    long size = Long.parseLong(ran.output().lines().filter(l -> l.startsWith("size=")).findFirst().orElseThrow().substring(5));
    assertThat(size).isLessThanOrEqualTo(cap).isGreaterThan(cap / 2);
  }
}
