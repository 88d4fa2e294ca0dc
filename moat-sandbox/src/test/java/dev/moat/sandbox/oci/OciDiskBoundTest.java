package dev.moat.sandbox.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.Availability;
import dev.moat.sandbox.disk.WorkspaceVolume;
import dev.moat.sandbox.disk.WorkspaceVolumes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks invariant I3 (bounded disk) from inside an oci container whose workspace is a
 * {@link WorkspaceVolume}: filling the workspace or {@code /tmp} stops at its cap with ENOSPC.
 */
@Tag("slow")
class OciDiskBoundTest {
  static final long SIZE = 32L << 20;

  @TempDir Path tempDir;
  WorkspaceVolumes volumes;
  WorkspaceVolume volume;
  OciFixture oci;

  @BeforeEach
  void setUp() throws IOException {
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    Availability availability = WorkspaceVolumes.probe(tempDir.resolve("probe"));
    if (!availability.available()) System.out.println("Skipping oci volume tests: " + availability.reason());
    assumeTrue(availability.available(), availability.reason());
    volumes = new WorkspaceVolumes(tempDir.resolve("volumes"));
    volume = volumes.create("moat-disk-oci", SIZE);
    Files.writeString(volume.path().resolve("README"), "source\n");
    oci = new OciFixture(tempDir, volume.path());
  }

  @AfterEach
  void tearDown() throws IOException {
    if (oci != null) oci.close();
    if (volumes != null) volumes.removeLeftovers();
  }

  @Test
  void fillingTheWorkspaceVolumeStopsAtItsCapWithNoSpaceLeft() throws IOException {
    var ran = oci.sh("cat README; dd if=/dev/zero of=/workspace/fill bs=1M count=64 2>&1; echo rc=$?; "
        + "stat -c size=%s /workspace/fill; grep ' /workspace ' /proc/self/mountinfo");

    assertThat(ran.output()).startsWith("source\n")
        .contains("dd: error writing '/workspace/fill': No space left on device", "rc=1")
        .containsPattern(" /workspace rw,nosuid,nodev[, ].* - ext4 /dev/loop[0-9]+ ");
    long size = Long.parseLong(ran.output().lines().filter(l -> l.startsWith("size=")).findFirst().orElseThrow().substring(5));
    assertThat(size).isLessThanOrEqualTo(SIZE).isGreaterThan(SIZE * 8 / 10);
  }

  @Test
  void fillingTmpStopsAtItsCapWithNoSpaceLeft() throws IOException {
    long tmp = oci.settings.limits().tmpBytes();
    var ran = oci.sh("dd if=/dev/zero of=/tmp/fill bs=1M count=" + ((tmp >> 20) + 16) + " 2>&1; echo rc=$?");

    assertThat(ran.output()).contains("dd: error writing '/tmp/fill': No space left on device", "rc=1");
  }

  @Test
  void closingTheSandboxThenTheVolumeLeavesNoMount() throws IOException {
    assertThat(oci.sh("echo hi > /workspace/f && cat /workspace/f").output()).isEqualTo("hi\n");

    oci.close();
    volume.close();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Files.readString(Path.of("/proc/self/mounts")))
        .doesNotContain(volumes.root().toString()));
    try (var entries = Files.list(volumes.root())) {
      assertThat(entries).isEmpty();
    }
  }
}
