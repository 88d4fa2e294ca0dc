package dev.moat.sandbox.disk;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One job's workspace of a fixed size: an ext4 file system on a loop device, mounted at
 * {@link #path()}. Pass {@link #path()} as the {@code SandboxSpec} workspace; writes beyond
 * {@link #sizeBytes()} (less ext4's metadata) fail inside the job with ENOSPC, and never reach the
 * rest of the host's disk. Cross-device hard links out of it are impossible too.
 *
 * <p>Lifecycle: made by {@link WorkspaceVolumes#create}; {@link #close()} after the job's sandbox
 * is closed (its processes dead) unmounts it, lazily if a dying mount namespace still holds it,
 * and deletes the backing file and the mount point. The loop device is freed by the kernel when
 * the file system goes. Thread-safe; close is idempotent.
 */
public final class WorkspaceVolume implements AutoCloseable {
  private final WorkspaceVolumes volumes;
  private final String id;
  private final long sizeBytes;
  private final Path path;
  private final Path image;
  private final ReentrantLock lock = new ReentrantLock();
  private boolean closed;

  WorkspaceVolume(WorkspaceVolumes volumes, String id, long sizeBytes, Path path, Path image) {
    this.volumes = Objects.requireNonNull(volumes, "volumes");
    this.id = Objects.requireNonNull(id, "id");
    this.sizeBytes = sizeBytes;
    this.path = Objects.requireNonNull(path, "path");
    this.image = Objects.requireNonNull(image, "image");
  }

  public String id() {
    return id;
  }

  /** The size of the backing file, the hard cap on what the job can store. */
  public long sizeBytes() {
    return sizeBytes;
  }

  /** The mounted directory: the workspace to fill and hand to the sandbox. */
  public Path path() {
    return path;
  }

  /** The backing file (for tests and diagnostics). */
  Path image() {
    return image;
  }

  /** Unmounts and deletes the volume. Call after the sandbox that used it is closed. Idempotent. */
  @Override
  public void close() throws IOException {
    lock.lock();
    try {
      if (closed) return;
      WorkspaceVolumes.remove(path, image);
      closed = true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "WorkspaceVolume[" + id + ", " + sizeBytes + " bytes at " + path + " under " + volumes.root() + "]";
  }
}
