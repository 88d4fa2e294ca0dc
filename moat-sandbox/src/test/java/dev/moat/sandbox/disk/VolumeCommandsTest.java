package dev.moat.sandbox.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class VolumeCommandsTest {
  static final Path IMAGE = Path.of("/var/lib/moat/volumes/j1.ext4");
  static final Path MOUNT_POINT = Path.of("/var/lib/moat/volumes/j1");

  @Test
  void theFileSystemReservesNothingForRootAndHasNoJournal() {
    assertThat(VolumeCommands.mkfs(IMAGE)).containsExactly(
        "/usr/sbin/mkfs.ext4", "-q", "-F", "-m", "0", "-b", "4096", "-i", "8192",
        "-E", "nodiscard", "-O", "^has_journal", "/var/lib/moat/volumes/j1.ext4");
  }

  @Test
  void theVolumeIsLoopMountedPrivateWithoutSetuidOrDevices() {
    assertThat(VolumeCommands.mount(IMAGE, MOUNT_POINT)).containsExactly(
        "/usr/bin/mount", "--make-private", "-t", "ext4", "-o", "loop,nosuid,nodev,noinit_itable",
        "/var/lib/moat/volumes/j1.ext4", "/var/lib/moat/volumes/j1");
  }

  @Test
  void unmountingIsPlainFirstAndLazyForABusyVolume() {
    assertThat(VolumeCommands.umount(MOUNT_POINT)).containsExactly("/usr/bin/umount", "/var/lib/moat/volumes/j1");
    assertThat(VolumeCommands.lazyUmount(MOUNT_POINT))
        .containsExactly("/usr/bin/umount", "--lazy", "/var/lib/moat/volumes/j1");
  }

  @Test
  void loopDevicesAreListedWithTheirFilesAndDetachedOnlyByDeviceName() {
    assertThat(VolumeCommands.listLoops()).containsExactly(
        "/usr/sbin/losetup", "--list", "--noheadings", "--raw", "--output", "NAME,BACK-FILE");
    assertThat(VolumeCommands.detach("/dev/loop12")).containsExactly("/usr/sbin/losetup", "--detach", "/dev/loop12");
    assertThatThrownBy(() -> VolumeCommands.detach("/dev/sda")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VolumeCommands.detach("--detach-all")).isInstanceOf(IllegalArgumentException.class);
  }
}
