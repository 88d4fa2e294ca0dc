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
 */
final class HostCommand {
  private HostCommand() {}

  /** Runs {@code argv}; throws with the tail of its output unless it exits 0 within {@code limit}. */
  static void run(List<String> argv, Path log, Duration limit) throws IOException {
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

  private static String tail(Path log) throws IOException {
    String all = Files.readString(log, StandardCharsets.UTF_8);
    return all.length() <= 2000 ? all.strip() : all.substring(all.length() - 2000).strip();
  }
}
