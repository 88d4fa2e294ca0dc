package dev.moat.sandbox.oci;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Cgroup directories that runc made for containers, found where a relative {@code cgroupsPath}
 * puts them: below this process's own cgroup in every hierarchy (v1 controllers and the v2 tree).
 */
final class CgroupDirs {
  private CgroupDirs() {}

  /** Directories {@code <own cgroup>/<parent>/<prefix>*} in every mounted hierarchy. */
  static List<Path> named(String parent, String prefix) {
    List<Path> found = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
        String[] f = line.split(":", 3); // id:controllers:path
        String mount = f[1].isEmpty() ? "unified" : f[1].replace("name=", "").split(",")[0];
        Path dir = Path.of("/sys/fs/cgroup", mount).resolve(f[2].substring(1)).resolve(parent);
        if (!Files.isDirectory(dir)) continue;
        try (Stream<Path> children = Files.list(dir)) {
          children.filter(p -> p.getFileName().toString().startsWith(prefix)).forEach(found::add);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return found;
  }
}
