package dev.moat.sandbox;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A C test probe, compiled once per test JVM with {@code gcc -static} from a test resource, so
 * that it runs in any sandbox (the host's {@code /usr} in bwrap, a minimal image in oci) and can
 * make raw syscalls and report the exact errno. Skips the test, with a printed reason, without gcc
 * or a static libc.
 */
public final class CProbe {
  static final Path GCC = Path.of("/usr/bin/gcc");
  static final Path STATIC_LIBC = Path.of("/usr/lib/x86_64-linux-gnu/libc.a");
  private static final Map<String, Path> BUILT = new HashMap<>();

  private CProbe() {}

  /**
   * The binary built from resource {@code resource} (a path on the test classpath).
   *
   * @return a mode 0755 executable in a per-JVM temporary directory
   */
  public static synchronized Path build(String resource) {
    String reason = !Files.isExecutable(GCC) ? "no " + GCC + " (install gcc)"
        : !Files.exists(STATIC_LIBC) ? "no " + STATIC_LIBC + " (install libc6-dev)" : null;
    if (reason != null) System.out.println("skipping C probe " + resource + ": " + reason);
    assumeTrue(reason == null, reason);
    return BUILT.computeIfAbsent(resource, CProbe::compile);
  }

  /** Copies the probe {@code resource} into {@code dir} (e.g. a workspace) as {@code name}, mode 0755. */
  public static Path copyInto(String resource, Path dir, String name) throws IOException {
    Path target = dir.resolve(name);
    Files.copy(build(resource), target, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
    return target;
  }

  private static Path compile(String resource) {
    try {
      Path dir = Files.createTempDirectory("moat-cprobe-");
      dir.toFile().deleteOnExit();
      Path source = dir.resolve("probe.c");
      try (InputStream in = CProbe.class.getResourceAsStream(resource)) {
        if (in == null) throw new IllegalArgumentException("no test resource " + resource);
        Files.copy(in, source);
      }
      Path binary = dir.resolve("probe");
      Process gcc = new ProcessBuilder(List.of(GCC.toString(), "-static", "-O1", "-Wall", "-o", binary.toString(),
          source.toString())).redirectErrorStream(true).start();
      String out = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!gcc.waitFor(120, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
        throw new IllegalStateException("gcc failed on " + resource + ": " + out);
      }
      Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
      source.toFile().deleteOnExit();
      binary.toFile().deleteOnExit();
      return binary;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while compiling " + resource, e);
    }
  }
}
