package dev.moat.sandbox.disk;

import java.nio.file.Path;
import java.util.List;

/**
 * The host command lines that make, mount and remove a workspace volume, built as data. Each one
 * names its tool by absolute path and takes only paths the agent chose (never job input). Stateless.
 */
final class VolumeCommands {
  static final Path MKFS = Path.of("/usr/sbin/mkfs.ext4");
  static final Path MOUNT = Path.of("/usr/bin/mount");
  static final Path UMOUNT = Path.of("/usr/bin/umount");
  static final Path LOSETUP = Path.of("/usr/sbin/losetup");
  static final Path FALLOCATE = Path.of("/usr/bin/fallocate");

  /** Every tool the volumes need, for the probe. */
  static final List<Path> TOOLS = List.of(FALLOCATE, MKFS, MOUNT, UMOUNT, LOSETUP);

  private VolumeCommands() {}

  /**
   * Reserves {@code bytes} of the host's disk for {@code image} (unwritten extents: fast, and no
   * data is written), so that a volume can always be filled to its size: sparse volumes would let
   * the jobs of one host promise more disk than it has, and a job would hit ENOSPC below its cap.
   * Fails with "No space left on device" when the host can't hold it.
   */
  static List<String> reserve(Path image, long bytes) {
    return List.of(FALLOCATE.toString(), "--length", Long.toString(bytes), image.toString());
  }

  /**
   * Makes an ext4 file system that fills {@code image}.
   *
   * <ul>
   *   <li>{@code -m 0}: no blocks reserved for root, so the job gets the whole size;
   *   <li>{@code -b 4096 -i 8192}: 4 KiB blocks even for small volumes (mke2fs would pick 1 KiB
   *       below 512 MiB) and one inode per 8 KiB, twice the default, because source trees are
   *       mostly small files; inode tables then cost 3% of the size;
   *   <li>{@code -E nodiscard}: the file is new, so there is nothing to discard, and a discard would
   *       punch holes in the reservation ({@link #reserve});
   *   <li>{@code -O ^has_journal}: a volume never outlives its job nor a crash of the agent, so
   *       a journal would only cost writes.
   * </ul>
   */
  static List<String> mkfs(Path image) {
    return List.of(MKFS.toString(), "-q", "-F", "-m", "0", "-b", "4096", "-i", "8192",
        "-E", "nodiscard", "-O", "^has_journal", image.toString());
  }

  /**
   * Mounts {@code image} on {@code mountPoint} through a loop device that the kernel frees itself
   * when the file system goes away (mount's {@code loop} sets autoclear).
   *
   * <ul>
   *   <li>{@code nosuid,nodev}: nothing the job writes can become a setuid binary or a device;
   *   <li>{@code noinit_itable}: no background thread zeroing inode tables of a file that reads as
   *       zeros anyway;
   *   <li>{@code --make-private}: the mount never propagates to other mount namespaces (on hosts
   *       where {@code /} is shared), so only sandboxes that bind it can keep it alive.
   * </ul>
   */
  static List<String> mount(Path image, Path mountPoint) {
    return List.of(MOUNT.toString(), "--make-private", "-t", "ext4", "-o", "loop,nosuid,nodev,noinit_itable",
        image.toString(), mountPoint.toString());
  }

  /** Unmounts {@code mountPoint}; fails while a process still uses it. */
  static List<String> umount(Path mountPoint) {
    return List.of(UMOUNT.toString(), mountPoint.toString());
  }

  /**
   * Detaches {@code mountPoint} now and frees the file system (and its loop device) when the last
   * user is gone: for a mount that a dying sandbox still holds.
   */
  static List<String> lazyUmount(Path mountPoint) {
    return List.of(UMOUNT.toString(), "--lazy", mountPoint.toString());
  }

  /** Lists every loop device as {@code NAME BACK-FILE} lines, unsafe characters as {@code \xHH}. */
  static List<String> listLoops() {
    return List.of(LOSETUP.toString(), "--list", "--noheadings", "--raw", "--output", "NAME,BACK-FILE");
  }

  /** Detaches a loop device (or marks it to be freed when its last user goes). */
  static List<String> detach(String device) {
    if (!device.matches("/dev/loop[0-9]+")) throw new IllegalArgumentException("not a loop device: " + device);
    return List.of(LOSETUP.toString(), "--detach", device);
  }
}
