package dev.moat.sandbox.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Finds job cgroups by name under a parent cgroup, for the crash sweep. Stateless. */
final class LeftoverNames {
  private LeftoverNames() {}

  /**
   * The sorted names of directories in {@code parent} that start with {@code prefix} and could be
   * job cgroups ({@code moat-} and a valid id); none when {@code parent} does not exist.
   */
  static List<String> under(Path parent, String prefix) throws IOException {
    if (!Files.isDirectory(parent)) return List.of();
    try (Stream<Path> children = Files.list(parent)) {
      return children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(prefix) && n.matches("moat-[A-Za-z0-9-]{1,40}")).sorted().toList();
    }
  }
}
