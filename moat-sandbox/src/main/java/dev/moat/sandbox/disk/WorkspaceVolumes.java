package dev.moat.sandbox.disk;

import dev.moat.sandbox.Availability;
import dev.moat.sandbox.HostUser;
import dev.moat.sandbox.image.HostCommand;
import dev.moat.sandbox.image.TreeDeletion;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes per-job workspaces of a fixed size: each {@link WorkspaceVolume} is a file under
 * {@link #root()} holding an ext4 file system, loop-mounted {@code nosuid,nodev} on a directory
 * next to it. A job that fills it gets ENOSPC; the host's disk holds exactly the size, reserved up
 * front ({@code fallocate}), so the volumes of concurrent jobs can never promise more than the host
 * has: a volume that doesn't fit is refused at create, before the job starts.
 *
 * <p>Layout: {@code <root>/<id>} is the mount point and {@code <root>/<id>.ext4} (0600) the backing
 * file. The root is 0711, so a sandbox uid can reach a mount point it is given (bwrap opens bind
 * sources as that uid) but can neither list the root nor open any backing file. Requires root and
 * {@link VolumeCommands#TOOLS}.
 *
 * <p>Invariant: everything this class leaves under the root is one of its volumes; {@link
 * #removeLeftovers()} removes them all, so give each agent (and each test) its own root.
 * Thread-safe: volumes with different ids are independent, and an id in use is refused.
 */
public final class WorkspaceVolumes {
  private static final Logger LOG = LoggerFactory.getLogger(WorkspaceVolumes.class);
  static final Duration COMMAND_LIMIT = Duration.ofSeconds(30);
  static final long MIN_BYTES = 8L << 20;
  static final String IMAGE_SUFFIX = ".ext4";
  private static final String ID = "[A-Za-z0-9-]{1,40}";

  private final Path root;

  /** Volumes under {@code root}, created (mode 0711) if missing; a link there is refused. */
  public WorkspaceVolumes(Path root) throws IOException {
    Objects.requireNonNull(root, "root");
    if (!root.isAbsolute()) throw new IllegalArgumentException("volume root must be absolute: " + root);
    Files.createDirectories(root);
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) throw new IOException("volume root is not a directory: " + root);
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
    this.root = root.toRealPath();
  }

  public Path root() {
    return root;
  }

  /**
   * Makes, formats and mounts a new volume of {@code sizeBytes} for job {@code id}. The mount point
   * is empty (no {@code lost+found}), owned by root with mode 0700: the agent fills it, then the
   * tier's {@code WorkspaceGrant} hands it to the sandbox uid.
   *
   * @param sizeBytes at least 8 MiB, a multiple of 4096; about 3% goes to ext4's inode tables
   * @throws java.nio.file.FileAlreadyExistsException if a volume with this id exists
   */
  public WorkspaceVolume create(String id, long sizeBytes) throws IOException {
    if (!id.matches(ID)) throw new IllegalArgumentException("bad volume id: " + id);
    if (sizeBytes < MIN_BYTES || sizeBytes % 4096 != 0) {
      throw new IllegalArgumentException("volume size must be a multiple of 4096 and at least 8 MiB: " + sizeBytes);
    }
    Path mountPoint = Files.createDirectory(root.resolve(id),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path image = root.resolve(id + IMAGE_SUFFIX);
    try {
      Files.createFile(image, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      reserve(image, sizeBytes);
      HostCommand.output(VolumeCommands.mkfs(image), COMMAND_LIMIT);
      HostCommand.output(VolumeCommands.mount(image, mountPoint), COMMAND_LIMIT);
      Files.delete(mountPoint.resolve("lost+found")); // root-owned 0700; e2fsck would recreate it
      Files.setPosixFilePermissions(mountPoint, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException | RuntimeException e) {
      try {
        remove(mountPoint, image);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    LOG.debug("workspace volume created: id={} size={} path={}", id, sizeBytes, mountPoint);
    return new WorkspaceVolume(this, id, sizeBytes, mountPoint, image);
  }

  private void reserve(Path image, long sizeBytes) throws IOException {
    try {
      HostCommand.output(VolumeCommands.reserve(image, sizeBytes), COMMAND_LIMIT);
    } catch (IOException e) {
      throw new IOException("cannot reserve " + (sizeBytes >> 20) + " MiB of disk for a workspace under " + root
          + " (" + Files.getFileStore(root).getUsableSpace() / (1 << 20) + " MiB free): " + e.getMessage(), e);
    }
  }

  /**
   * Unmounts and deletes every volume under the root: those of a crashed agent (mount points from
   * {@code /proc/self/mounts}, loop devices whose file is under the root, orphan files and
   * directories). Call it at agent start, before any job runs.
   */
  public void removeLeftovers() throws IOException {
    List<IOException> failures = new ArrayList<>();
    for (Path mountPoint : HostMounts.mountPointsUnder(Files.readString(HostMounts.MOUNTS), root)) {
      collect(failures, () -> unmount(mountPoint));
    }
    for (HostMounts.Loop loop : loops()) {
      collect(failures, () -> HostCommand.output(VolumeCommands.detach(loop.device()), COMMAND_LIMIT));
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.matches(ID)) collect(failures, () -> removeDirectory(entry));
        if (name.endsWith(IMAGE_SUFFIX) && name.substring(0, name.length() - IMAGE_SUFFIX.length()).matches(ID)) {
          collect(failures, () -> Files.deleteIfExists(entry));
        }
      }
    }
    if (!failures.isEmpty()) {
      IOException e = new IOException("cannot remove every leftover volume under " + root);
      failures.forEach(e::addSuppressed);
      throw e;
    }
  }

  /**
   * Whether this host can make volumes under {@code root}: root, the tools, and a real 8 MiB
   * volume made and removed. Never throws; the reason says what is missing.
   */
  public static Availability probe(Path root) {
    if (!HostUser.current().isRoot()) return Availability.no("workspace volumes need root (mount, losetup)");
    for (Path tool : VolumeCommands.TOOLS) {
      if (!Files.isExecutable(tool)) return Availability.no("no " + tool + " (install e2fsprogs, mount and util-linux)");
    }
    try (WorkspaceVolume volume = new WorkspaceVolumes(root).create("probe-" + ProcessHandle.current().pid(), MIN_BYTES)) {
      return Availability.yes("loop-mounted ext4 volumes work under " + volume.path().getParent());
    } catch (IOException | RuntimeException e) {
      return Availability.no("workspace volume probe failed: " + e);
    }
  }

  /** The loop devices backed by files under the root. */
  List<HostMounts.Loop> loops() throws IOException {
    return HostMounts.loopsUnder(HostCommand.output(VolumeCommands.listLoops(), COMMAND_LIMIT), root);
  }

  /** Whether {@code path} is a mount point now. */
  static boolean isMounted(Path path) throws IOException {
    return HostMounts.mountPointsUnder(Files.readString(HostMounts.MOUNTS), path.getParent()).contains(path);
  }

  /**
   * Unmounts {@code mountPoint} if mounted; lazily if something still uses it, so that the file
   * system (and its autoclear loop device) goes when the last user does.
   */
  static void unmount(Path mountPoint) throws IOException {
    if (!isMounted(mountPoint)) return;
    try {
      HostCommand.output(VolumeCommands.umount(mountPoint), COMMAND_LIMIT);
    } catch (IOException busy) {
      LOG.warn("workspace volume busy, unmounting lazily: path={} reason={}", mountPoint, busy.getMessage());
      try {
        HostCommand.output(VolumeCommands.lazyUmount(mountPoint), COMMAND_LIMIT);
      } catch (IOException e) {
        e.addSuppressed(busy);
        throw e;
      }
    }
  }

  /** Unmounts, then deletes the backing file and the mount point. */
  static void remove(Path mountPoint, Path image) throws IOException {
    unmount(mountPoint);
    Files.deleteIfExists(image);
    removeDirectory(mountPoint);
  }

  /** Deletes a mount point's directory, refusing one that is still mounted (that would delete the job's files in place). */
  private static void removeDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return;
    if (isMounted(dir)) throw new IOException("still mounted: " + dir);
    TreeDeletion.delete(dir);
  }

  private interface Step {
    void run() throws IOException;
  }

  private static void collect(List<IOException> failures, Step step) {
    try {
      step.run();
    } catch (IOException e) {
      failures.add(e);
    }
  }
}
