package dev.moat.sandbox.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Deletes a directory tree without following links (a rootfs is full of absolute symlinks that
 * would point at the host's files). Stateless.
 */
public final class TreeDeletion {
  private TreeDeletion() {}

  /** Deletes {@code dir} and everything below it; nothing happens if it does not exist. */
  public static void delete(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
    try (Stream<Path> paths = Files.walk(dir)) { // walk does not follow links by default
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
