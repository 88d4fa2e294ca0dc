package dev.moat.sandbox.oci;

import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.image.ImageStore;
import dev.moat.sandbox.image.TreeDeletion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Unpacked images, one tree per digest ({@code <root>/<digest>}), shared by every container of
 * that image.
 *
 * <p>Why shared rather than a private copy per sandbox: unpacking costs ≈0.3 s and 200 MB per job,
 * and the tree is never writable from a container: runc mounts it read-only
 * ({@code root.readonly}), the job runs as a non-root uid without capabilities, and every file in
 * it is owned by the image's users (root for system paths). Job state lives only in the workspace
 * and in tmpfs mounts that die with the container.
 *
 * <p>Invariant: a directory {@code <root>/<digest>} exists only when fully unpacked from an
 * artifact that matched its digest (unpacked elsewhere, then renamed atomically). Thread-safe.
 */
final class RootfsCache {
  private final Path root;
  private final ImageStore images;
  private final ReentrantLock lock = new ReentrantLock();

  RootfsCache(Path root, ImageStore images) throws IOException {
    this.root = Files.createDirectories(root).toRealPath();
    this.images = images;
  }

  /** The unpacked tree of {@code digest}, unpacking it first if needed. */
  Path rootfs(String digest) throws IOException {
    Path dir = root.resolve(digest);
    lock.lock();
    try {
      if (Files.isDirectory(dir)) return dir;
      Path partial = Files.createTempDirectory(root, ".unpack-");
      try {
        // createTempDirectory makes 0700; the job's uid must be able to search its own "/".
        // (tar sets the image's own mode if the archive has a "./" entry, as mmdebstrap's do.)
        Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rwxr-xr-x"));
        images.unpack(digest, partial);
        // runc bind-mounts the workspace here; the image has no such directory, and a read-only
        // root could not get one later.
        Files.createDirectories(partial.resolve(SandboxSpec.WORKSPACE.substring(1)));
        try {
          Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
          if (!Files.isDirectory(dir)) throw e; // else another agent process unpacked it first
        }
      } finally {
        TreeDeletion.delete(partial);
      }
      return dir;
    } finally {
      lock.unlock();
    }
  }
}
