package dev.moat.sandbox.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One run of a host networking tool ({@code ip}, {@code nft}, {@code nsenter}) as data: its argv
 * and what it reads on stdin (a batch or a ruleset). Built by {@link JobNetCommands} and unit-tested
 * there; {@link #run()} executes it.
 *
 * <p>Invariants: argv is non-empty and starts with an absolute path. Immutable.
 *
 * @param argv the command line
 * @param input the whole of stdin, often empty
 */
record NetCommand(List<String> argv, String input) {
  static final String IP = "/usr/sbin/ip";
  static final String NFT = "/usr/sbin/nft";
  static final Duration LIMIT = Duration.ofSeconds(20);

  NetCommand {
    argv = List.copyOf(argv);
    Objects.requireNonNull(input, "input");
    if (argv.isEmpty() || !argv.getFirst().startsWith("/")) throw new IllegalArgumentException("bad argv: " + argv);
  }

  static NetCommand nft(String script) {
    return new NetCommand(List.of(NFT, "-f", "-"), script);
  }

  static NetCommand ipBatch(String batch) {
    return new NetCommand(List.of(IP, "-batch", "-"), batch);
  }

  /**
   * Runs the command and returns its output (stdout and stderr together).
   *
   * @throws IOException with the output when it exits non-zero or runs longer than 20 s
   */
  String run() throws IOException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()), Thread::startVirtualThread);
    try (OutputStream stdin = p.getOutputStream()) {
      stdin.write(input.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // The tool exited before reading everything; its status and output say why.
    }
    try {
      if (!p.waitFor(LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException(argv + " did not finish within " + LIMIT);
      }
      String out = output.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", argv) + " failed with status " + p.exitValue() + ": " + out.strip()
            + (input.isEmpty() ? "" : "\ninput:\n" + input));
      }
      return out;
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + argv.getFirst(), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("cannot read the output of " + argv.getFirst(), e);
    }
  }

  private static String drain(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(output unreadable: " + e.getMessage() + ")";
    }
  }
}
