package dev.moat.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds processes from the host's point of view, where sandbox pids differ from the ones the job
 * sees: by a unique argument in /proc/PID/cmdline. Zombies (empty cmdline) are not listed.
 */
public final class HostProcesses {
  private HostProcesses() {}

  /** A sleep duration nobody else uses, to mark a test's processes. */
  public static String uniqueMarker() {
    return Long.toString(1_000_000 + ThreadLocalRandom.current().nextLong(8_000_000_000L));
  }

  /** Host pids of live processes that have {@code argument} as one of their arguments. */
  public static List<Long> withArgument(String argument) {
    List<Long> pids = new ArrayList<>();
    try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path dir : proc) {
        if (arguments(dir).contains(argument)) pids.add(Long.parseLong(dir.getFileName().toString()));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
    return pids;
  }

  private static List<String> arguments(Path processDir) {
    try {
      String cmdline = new String(Files.readAllBytes(processDir.resolve("cmdline")), StandardCharsets.UTF_8);
      return Arrays.asList(cmdline.split("\0"));
    } catch (IOException e) {
      return List.of(); // the process ended while we looked
    }
  }
}
