package dev.moat.agent;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import dev.moat.sandbox.disk.WorkspaceVolume;
import dev.moat.sandbox.disk.WorkspaceVolumes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job workspaces under one root. The root is 0711 and owned by the agent: the sandbox's uid can
 * traverse it to reach its own workspace but can list nothing. Each job gets a new 0700 directory,
 * deleted after the job. The root must not be a symlink or owned by someone else (it may live in a
 * shared {@code /tmp}). With a disk cap, each workspace is a {@link WorkspaceVolume} of that size
 * mounted at the job's directory, unmounted and deleted with it. Thread-safe.
 */
final class Workspaces {
  private static final Logger LOG = LoggerFactory.getLogger(Workspaces.class);
  private final Path root;
  private final Optional<Long> diskBytes;
  private final WorkspaceVolumes volumes;
  private final Map<Path, WorkspaceVolume> mounted = new ConcurrentHashMap<>();

  Workspaces(Path root) throws IOException {
    this(root, Optional.empty());
  }

  Workspaces(Path root, Optional<Long> diskBytes) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    if (!Files.exists(this.root, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(this.root.getParent());
      Files.createDirectory(this.root);
    }
    if (Files.isSymbolicLink(this.root) || !Files.isDirectory(this.root, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(this.root + " is not a directory");
    }
    int owner = (Integer) Files.getAttribute(this.root, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (owner != currentUid()) throw new IOException(this.root + " is owned by uid " + owner + ", not by the agent");
    Files.setPosixFilePermissions(this.root, PosixFilePermissions.fromString("rwx--x--x"));
    this.diskBytes = diskBytes;
    this.volumes = diskBytes.isPresent() ? new WorkspaceVolumes(this.root) : null;
  }

  Path root() {
    return root;
  }

  Path create(long jobId) throws IOException {
    String id = jobId + "-" + UUID.randomUUID().toString().substring(0, 8);
    if (volumes != null) {
      WorkspaceVolume volume = volumes.create(id, diskBytes.orElseThrow());
      mounted.put(volume.path(), volume);
      return volume.path();
    }
    Path dir = root.resolve(id);
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    return dir;
  }

  /** Deletes a workspace, making read-only and unreadable directories usable first; never follows symlinks. */
  void delete(Path dir) {
    WorkspaceVolume volume = mounted.remove(dir);
    if (volume != null) {
      try {
        volume.close();
      } catch (IOException e) {
        LOG.atError().addKeyValue("workspace", dir.toString()).addKeyValue("error", e.toString()).log("could not remove workspace volume");
      }
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        private final Set<Path> reopened = new HashSet<>();

        @Override
        public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
          // A directory the job made unreadable (chmod 000) can't be listed until it is ours again.
          if (!(e instanceof AccessDeniedException) || !Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) throw e;
          if (!reopened.add(f)) throw e;
          Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
          Files.walkFileTree(f, this);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
          Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
          Files.delete(f);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          if (e != null) throw e;
          Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      LOG.atError().addKeyValue("workspace", dir.toString()).addKeyValue("error", e.toString()).log("could not delete workspace");
    }
  }

  /** Deletes workspaces left by a previous agent process (a crash or kill -9). */
  void sweep() throws IOException {
    if (volumes != null) volumes.removeLeftovers();
    try (var entries = Files.list(root)) {
      entries.forEach(this::delete);
    }
  }

  static int currentUid() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }
}
