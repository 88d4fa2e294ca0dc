package dev.moat.sandbox.ctx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds {@code moat-ctx}, the job's side of the ctx socket, from its C source (a resource of this
 * jar) with {@code gcc -static}, once per source version, into a directory of the agent's: a
 * static binary runs in every tier, minimal images without a libc included. A production host needs
 * {@code gcc} and a static libc ({@code libc6-dev} on Debian); {@code ./moat up} installs both.
 *
 * <p>The binary is {@code <dir>/moat-ctx-<sha256 of the source, 12 hex>}, mode 0755, written by
 * rename so that a concurrent build never exposes half a file. Thread-safe.
 */
public final class CtxHelper {
  static final String SOURCE = "/dev/moat/sandbox/ctx/moat-ctx.c";
  static final Path GCC = Path.of("/usr/bin/gcc");
  /** The helper's name inside the sandbox, in {@link dev.moat.sandbox.SandboxSpec#CTX_BIN}. */
  public static final String NAME = "moat-ctx";

  private CtxHelper() {}

  /** The built helper in {@code dir}, building it first when this source version isn't there yet. */
  public static synchronized Path build(Path dir) throws IOException {
    byte[] source;
    try (InputStream in = CtxHelper.class.getResourceAsStream(SOURCE)) {
      if (in == null) throw new IOException("resource " + SOURCE + " missing from the jar");
      source = in.readAllBytes();
    }
    String version = sha256(source).substring(0, 12);
    Path binary = dir.resolve(NAME + "-" + version);
    if (Files.isExecutable(binary)) return binary;
    if (!Files.isExecutable(GCC)) {
      throw new IOException("cannot build " + NAME + ": no " + GCC + " (install gcc and libc6-dev)");
    }
    Files.createDirectories(dir);
    Path work = Files.createTempDirectory(dir, NAME + "-build-");
    try {
      Path c = work.resolve(NAME + ".c");
      Files.write(c, source);
      Path out = work.resolve(NAME);
      Process gcc = new ProcessBuilder(List.of(GCC.toString(), "-static", "-O2", "-Wall", "-o", out.toString(), c.toString()))
          .redirectErrorStream(true).start();
      String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!gcc.waitFor(120, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
        gcc.destroyForcibly();
        throw new IOException("gcc -static failed to build " + NAME + " (is libc6-dev installed?): " + log.strip());
      }
      Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.move(out, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return binary;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while building " + NAME, e);
    } finally {
      try (var files = Files.list(work)) {
        for (Path p : files.toList()) Files.deleteIfExists(p);
      }
      Files.deleteIfExists(work);
    }
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
