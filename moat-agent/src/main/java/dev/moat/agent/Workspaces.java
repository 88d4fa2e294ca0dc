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
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job workspaces under one root. The root is 0711 and owned by the agent: the sandbox's uid can
 * traverse it to reach its own workspace but can list nothing. Each job gets a new 0700 directory,
 * deleted after the job. The root must not be a symlink or owned by someone else (it may live in a
 * shared {@code /tmp}). Thread-safe.
 */
final class Workspaces {
  private static final Logger LOG = LoggerFactory.getLogger(Workspaces.class);
  private final Path root;

  Workspaces(Path root) throws IOException {
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
  }

  Path root() {
    return root;
  }

  Path create(long jobId) throws IOException {
    Path dir = root.resolve(jobId + "-" + UUID.randomUUID().toString().substring(0, 8));
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    return dir;
  }

  /** Deletes a workspace, making read-only and unreadable directories usable first; never follows symlinks. */
  void delete(Path dir) {
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
    try (var entries = Files.list(root)) {
      entries.forEach(this::delete);
    }
  }

  static int currentUid() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }
}
