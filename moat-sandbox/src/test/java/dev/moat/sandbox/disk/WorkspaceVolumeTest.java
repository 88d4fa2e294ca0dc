package dev.moat.sandbox.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.image.HostCommand;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The volumes' host side: what create, close and the crash sweep leave behind. Needs root. */
class WorkspaceVolumeTest {
  static final long SIZE = 32L << 20;

  @TempDir Path tempDir;
  WorkspaceVolumes volumes;

  @BeforeEach
  void setUp() throws IOException {
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    var availability = WorkspaceVolumes.probe(tempDir.resolve("probe"));
    if (!availability.available()) System.out.println("Skipping workspace volume tests: " + availability.reason());
    assumeTrue(availability.available(), availability.reason());
    volumes = new WorkspaceVolumes(tempDir.resolve("volumes"));
  }

  @AfterEach
  void tearDown() throws IOException {
    if (volumes != null) volumes.removeLeftovers();
  }

  @Test
  void aNewVolumeIsAnEmptyPrivateMountOfTheGivenSize() throws IOException {
    try (WorkspaceVolume volume = volumes.create("moat-disk-new", SIZE)) {
      Map<String, Object> attrs = Files.readAttributes(volume.path(), "unix:mode,uid");

      assertThat(WorkspaceVolumes.isMounted(volume.path())).isTrue();
      try (var entries = Files.list(volume.path())) {
        assertThat(entries).as("no lost+found").isEmpty();
      }
      assertThat((int) attrs.get("mode") & 07777).isEqualTo(0700);
      assertThat(attrs.get("uid")).isEqualTo(0);
      assertThat(Files.getFileStore(volume.path()).getTotalSpace()).isBetween(SIZE * 9 / 10, SIZE);
      assertThat(mountOptions(volume.path())).contains("nosuid", "nodev");
      assertThat(Files.readAttributes(volume.image(), "unix:mode").get("mode")).isEqualTo(0100600);
      assertThat(Files.readAttributes(volumes.root(), "unix:mode").get("mode")).isEqualTo(040711);
      assertThat(BwrapVolumeTest.allocatedBytes(volume.image())).as("reserved up front").isGreaterThanOrEqualTo(SIZE);
    }
  }

  @Test
  void aVolumeThatTheHostsDiskCannotHoldIsRefusedAndNothingIsLeft() throws IOException {
    // A 16 MiB file system standing for a nearly full host disk.
    Path small = Files.createDirectory(tempDir.resolve("small"));
    HostCommand.output(List.of("/usr/bin/mount", "-t", "tmpfs", "-o", "size=16m", "moat-test-small", small.toString()),
        Duration.ofSeconds(10));
    try {
      WorkspaceVolumes onSmall = new WorkspaceVolumes(small.resolve("volumes"));

      assertThatThrownBy(() -> onSmall.create("moat-disk-big", SIZE))
          .hasMessageContaining("cannot reserve 32 MiB of disk for a workspace").hasMessageContaining("MiB free")
          .hasMessageContaining("No space left on device");
      assertNothingLeftUnder(onSmall.root());
    } finally {
      HostCommand.output(List.of("/usr/bin/umount", small.toString()), Duration.ofSeconds(10));
    }
  }

  @Test
  void twentyVolumesCreatedAndClosedLeaveNoMountLoopDeviceOrFile() throws IOException {
    for (int i = 0; i < 20; i++) {
      try (WorkspaceVolume volume = volumes.create("moat-disk-" + i, SIZE)) {
        Files.writeString(volume.path().resolve("f"), "job " + i);
      }
    }

    assertNothingLeftUnder(volumes.root());
  }

  @Test
  void removeLeftoversCleansVolumesOfACrashedAgentEvenWhileOneIsBusy() throws Exception {
    WorkspaceVolume mounted = volumes.create("moat-disk-crash-a", SIZE);
    WorkspaceVolume busy = volumes.create("moat-disk-crash-b", SIZE);
    Files.writeString(mounted.path().resolve("f"), "left behind");
    // A process whose working directory is in the volume keeps it busy, as a dying sandbox would.
    Process holder = new ProcessBuilder("/usr/bin/sleep", "600").directory(busy.path().toFile()).start();
    Path orphan = volumes.root().resolve("moat-disk-crash-c.ext4");
    Files.copy(mounted.image(), orphan);
    HostCommand.output(List.of("/usr/sbin/losetup", "--find", orphan.toString()), Duration.ofSeconds(10));
    Files.createDirectory(volumes.root().resolve("moat-disk-crash-d"));
    try {
      new WorkspaceVolumes(volumes.root()).removeLeftovers();

      assertThat(HostMounts.mountPointsUnder(Files.readString(HostMounts.MOUNTS), volumes.root())).isEmpty();
      try (var entries = Files.list(volumes.root())) {
        assertThat(entries).isEmpty();
      }
    } finally {
      holder.destroyForcibly().waitFor();
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertNothingLeftUnder(volumes.root()));
  }

  @Test
  void closeIsIdempotentAndAnIdInUseIsRefused() throws IOException {
    WorkspaceVolume volume = volumes.create("moat-disk-twice", SIZE);
    assertThatThrownBy(() -> volumes.create("moat-disk-twice", SIZE)).isInstanceOf(FileAlreadyExistsException.class);
    assertThat(WorkspaceVolumes.isMounted(volume.path())).as("the refused create left the first alone").isTrue();

    volume.close();
    volume.close();

    assertNothingLeftUnder(volumes.root());
  }

  @Test
  void badIdsAndSizesAreRefusedBeforeAnythingIsMade() throws IOException {
    assertThatThrownBy(() -> volumes.create("../escape", SIZE)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> volumes.create("a.ext4", SIZE)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> volumes.create("small", 1L << 20)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> volumes.create("odd", SIZE + 1)).isInstanceOf(IllegalArgumentException.class);

    assertNothingLeftUnder(volumes.root());
  }

  /** No mount, no loop device and no file under {@code root}. */
  static void assertNothingLeftUnder(Path root) throws IOException {
    assertThat(HostMounts.mountPointsUnder(Files.readString(HostMounts.MOUNTS), root)).isEmpty();
    String losetup = HostCommand.output(VolumeCommands.listLoops(), Duration.ofSeconds(10));
    assertThat(HostMounts.loopsUnder(losetup, root)).as(losetup).isEmpty();
    assertThat(losetup).doesNotContain(root.toString());
    try (var entries = Files.list(root)) {
      assertThat(entries).isEmpty();
    }
  }

  /** The options of the mount at {@code mountPoint}, from the kernel's table. */
  static List<String> mountOptions(Path mountPoint) throws IOException {
    List<String> options = new ArrayList<>();
    for (String line : Files.readAllLines(HostMounts.MOUNTS)) {
      String[] f = line.split(" ");
      if (HostMounts.unescapeOctal(f[1]).equals(mountPoint.toString())) options = List.of(f[3].split(","));
    }
    return options;
  }
}
