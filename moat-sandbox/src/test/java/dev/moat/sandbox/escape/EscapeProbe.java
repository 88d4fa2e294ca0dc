package dev.moat.sandbox.escape;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.image.HostCommand;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * The attacker binary ({@code escape-probe.c} beside this class): compiled once per test JVM with
 * {@code gcc -static}, so it runs unchanged on the host's {@code /usr} (bwrap) and in the image
 * (oci), then copied into each job's workspace, where it runs as {@link #IN_SANDBOX}. Each command
 * prints {@code <command>: OK} or {@code <command>: <ERRNO NAME>}.
 *
 * <p>Thread-safe: compiling is synchronized.
 */
final class EscapeProbe {
  /** Where a job sees the probe. */
  static final String IN_SANDBOX = "/workspace/escape-probe";
  private static final Path GCC = Path.of("/usr/bin/gcc");
  private static Path binary;

  private EscapeProbe() {}

  /** Skips the calling test, with a printed reason, when the probe can't be built here. */
  static void assumeBuildable() {
    String reason = !Files.isExecutable(GCC) ? "no " + GCC + " (apt-get install gcc libc6-dev)"
        : !Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libc.a")) && !Files.exists(Path.of("/usr/lib/libc.a"))
            ? "no static libc (apt-get install libc6-dev)" : null;
    if (reason != null) System.out.println("skipping escape tests: " + reason);
    assumeTrue(reason == null, reason);
  }

  /** Copies the probe to {@code workspace/escape-probe}, mode 0755. */
  static void installInto(Path workspace) throws IOException {
    Path target = workspace.resolve("escape-probe");
    Files.copy(binary(), target, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static synchronized Path binary() throws IOException {
    if (binary != null) return binary;
    Path dir = Files.createTempDirectory("moat-escape-probe-");
    dir.toFile().deleteOnExit();
    Path source = dir.resolve("escape-probe.c");
    try (InputStream in = EscapeProbe.class.getResourceAsStream("escape-probe.c")) {
      if (in == null) throw new IOException("escape-probe.c is not on the test class path");
      Files.copy(in, source);
    }
    Path out = dir.resolve("escape-probe");
    HostCommand.output(List.of(GCC.toString(), "-static", "-O1", "-Wall", "-Werror", "-o", out.toString(),
        source.toString()), Duration.ofMinutes(2));
    source.toFile().deleteOnExit();
    out.toFile().deleteOnExit();
    binary = out;
    return binary;
  }
}
