package dev.moat.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The effective uid and gid of this JVM, read from {@code /proc/self/status}. Immutable.
 *
 * @param uid effective uid
 * @param gid effective gid
 */
public record HostUser(int uid, int gid) {
  public static HostUser current() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/self/status"));
      return new HostUser(effective(lines, "Uid:"), effective(lines, "Gid:"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read /proc/self/status", e);
    }
  }

  public boolean isRoot() {
    return uid == 0;
  }

  /** Lines look like {@code Uid:\t<real>\t<effective>\t<saved>\t<fs>}. */
  private static int effective(List<String> lines, String key) {
    for (String line : lines) {
      if (line.startsWith(key)) return Integer.parseInt(line.substring(key.length()).trim().split("\\s+")[1]);
    }
    throw new IllegalStateException("no " + key + " line in /proc/self/status");
  }
}
