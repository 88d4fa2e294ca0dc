package dev.moat.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Looks at the host's processes from outside any sandbox, by their exact command line (use a unique
 * argument such as {@code sleep 1000123} as a marker).
 */
public final class Processes {
  private Processes() {}

  /** Host pids whose arguments, joined by single spaces, equal {@code commandLine}. */
  public static List<Long> running(String commandLine) {
    List<Long> pids = new ArrayList<>();
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path dir : dirs.toList()) {
        String name = dir.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) continue;
        try {
          String cmdline = new String(Files.readAllBytes(dir.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ').strip();
          if (cmdline.equals(commandLine)) pids.add(Long.parseLong(name));
        } catch (IOException e) {
          // the process ended while we looked
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return pids;
  }
}
