package dev.moat.sandbox.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a trusted host tool (mmdebstrap, zstd, tar) to completion with a time limit, its output in
 * a log file so that a chatty tool can never block on a full pipe. Stateless.
 *
 * <p>Public only so that the other sandbox packages ({@code disk}) share it; not part of the
 * Sandbox API.
 */
public final class HostCommand {
  private HostCommand() {}

  /** Runs {@code argv}; throws with the tail of its output unless it exits 0 within {@code limit}. */
  public static void run(List<String> argv, Path log, Duration limit) throws IOException {
    Process p = new ProcessBuilder(argv)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectOutput(log.toFile())
        .redirectErrorStream(true)
        .start();
    try {
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new IOException(argv.getFirst() + " did not finish within " + limit);
      }
    } catch (InterruptedException e) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + argv.getFirst(), e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(argv.getFirst() + " failed with status " + p.exitValue() + ": " + tail(log));
    }
  }

  /**
   * Runs {@code argv} like {@link #run(List, Path, Duration)}, with its output in a temporary log
   * that is deleted afterwards, and returns that output (stdout and stderr merged).
   */
  public static String output(List<String> argv, Duration limit) throws IOException {
    Path log = Files.createTempFile("moat-host-command-", ".log");
    try {
      run(argv, log, limit);
      return Files.readString(log, StandardCharsets.UTF_8);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static String tail(Path log) throws IOException {
    String all = Files.readString(log, StandardCharsets.UTF_8);
    return all.length() <= 2000 ? all.strip() : all.substring(all.length() - 2000).strip();
  }
}
