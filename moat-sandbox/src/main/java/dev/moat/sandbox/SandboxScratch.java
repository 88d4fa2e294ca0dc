package dev.moat.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A sandbox's private host directory, owned by the agent, mode 0755 so that the job's uid can
 * reach the files bwrap binds from it, which are read-only inside: the generated {@code passwd}
 * (root, {@code moat} = the job's uid with home {@link SandboxSpec#WORKSPACE}, nobody),
 * {@code group} and {@code hosts}. It also holds {@code output.fifo} (mode 0600, agent only),
 * through which each exec's output flows; the FIFO is never visible inside the sandbox.
 *
 * <p>Why a FIFO rather than the JDK's process pipe: the JDK closes its end of the pipe as soon as
 * the direct child exits and keeps only what was buffered; with a FIFO we read until every process
 * that holds the write end is gone, which is how an exec knows its whole sandbox ended.
 *
 * <p>Not thread-safe; owned by one sandbox (bwrap, or oci where it is also the runc bundle).
 *
 * <p>Public only so that the other tiers' packages ({@code oci}) share it; not part of the Sandbox API.
 */
public final class SandboxScratch {
  static final Path MKFIFO = Path.of("/usr/bin/mkfifo");

  private final Path dir;

  private SandboxScratch(Path dir) {
    this.dir = dir;
  }

  /**
   * Makes {@code <root>/moat-<tier>-<id>-<random>} with the generated files and the FIFO.
   *
   * @param tier the tier's name, so that its crash sweep ({@link #removeLeftovers}) finds only its own
   */
  public static SandboxScratch create(Path root, String tier, String id, int uid, int gid, String hostname)
      throws IOException {
    Path dir = Files.createTempDirectory(root, prefix(tier) + id + "-");
    SandboxScratch scratch = new SandboxScratch(dir);
    try {
      scratch.write("passwd", passwd(uid, gid));
      scratch.write("group", group(gid));
      scratch.write("hosts", "127.0.0.1\tlocalhost\n127.0.1.1\t" + hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n");
      makeFifo(scratch.outputFifo());
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      return scratch;
    } catch (IOException | RuntimeException e) {
      try {
        scratch.delete();
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /** Adds {@code lines} to the sandbox's generated {@code /etc/hosts} (before any exec). */
  public void appendHosts(String lines) throws IOException {
    Files.writeString(dir.resolve("hosts"), lines, java.nio.file.StandardOpenOption.APPEND);
  }

  /**
   * Writes the sandbox's compiled seccomp filter to {@code seccomp.bpf} (mode 0644: the job's uid
   * opens it before bwrap loads it; it is never visible inside the sandbox) and returns its path.
   */
  public Path writeSeccompProgram(byte[] program) throws IOException {
    Path file = dir.resolve("seccomp.bpf");
    Files.write(file, program);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    return file;
  }

  /**
   * Makes {@code ctx/} (mode 0700, owned by the job's uid when {@code chown}) for the job's ctx
   * socket and returns the socket's path in it; the socket itself is made by whoever listens on it.
   * Never visible inside the sandbox except through the bind of the socket itself.
   */
  public Path createCtxDir(int uid, int gid, boolean chown) throws IOException {
    Path ctx = Files.createDirectory(dir.resolve("ctx"));
    Files.setPosixFilePermissions(ctx, PosixFilePermissions.fromString("rwx------"));
    if (chown) {
      Files.setAttribute(ctx, "unix:uid", uid);
      Files.setAttribute(ctx, "unix:gid", gid);
    }
    return ctx.resolve("ctx.sock");
  }

  public Path etcDir() {
    return dir;
  }

  public Path outputFifo() {
    return dir.resolve("output.fifo");
  }

  /** Removes the directory and everything in it. Idempotent. */
  public void delete() throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  /**
   * Deletes every directory in {@code root} named {@code moat-<tier>-*}: the scratch directories
   * (and probe directories) that a crashed agent's sandboxes of {@code tier} left. Call once at
   * agent start, before any sandbox exists; assumes one agent per scratch root.
   *
   * @return the paths deleted
   */
  public static List<String> removeLeftovers(Path root, String tier) throws IOException {
    if (!Files.isDirectory(root)) return List.of();
    List<Path> found;
    try (Stream<Path> children = Files.list(root)) {
      found = children.filter(p -> p.getFileName().toString().startsWith(prefix(tier)))
          .filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted().toList();
    }
    for (Path dir : found) new SandboxScratch(dir).delete();
    return found.stream().map(Path::toString).toList();
  }

  private static String prefix(String tier) {
    if (!tier.matches("[a-z]+")) throw new IllegalArgumentException("bad tier name: " + tier);
    return "moat-" + tier + "-";
  }

  private void write(String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
  }

  static String passwd(int uid, int gid) {
    String nobody = uid == 65534 ? "" : "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
    return "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        + "moat:x:" + uid + ":" + gid + ":moat job:" + SandboxSpec.WORKSPACE + ":/bin/sh\n" + nobody;
  }

  static String group(int gid) {
    String nogroup = gid == 65534 ? "" : "nogroup:x:65534:\n";
    return "root:x:0:\nmoat:x:" + gid + ":\n" + nogroup;
  }

  /** The JDK cannot make FIFOs; mkfifo(1) runs once per sandbox, not per exec. */
  private static void makeFifo(Path fifo) throws IOException {
    Process mkfifo = new ProcessBuilder(List.of(MKFIFO.toString(), "-m", "0600", fifo.toString()))
        .redirectErrorStream(true).start();
    try {
      if (!mkfifo.waitFor(10, TimeUnit.SECONDS)) {
        mkfifo.destroyForcibly();
        throw new IOException("mkfifo did not finish: " + fifo);
      }
    } catch (InterruptedException e) {
      mkfifo.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while making " + fifo, e);
    }
    String out = new String(mkfifo.getInputStream().readAllBytes());
    if (mkfifo.exitValue() != 0) throw new IOException("mkfifo " + fifo + " failed: " + out.strip());
  }
}
