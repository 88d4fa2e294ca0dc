package dev.moat.sandbox.oci;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The runc command line, with Moat's own state directory. Container processes are started by
 * {@link OciRun}; this class runs the short management commands (kill, delete, list), each with
 * a time limit. Immutable and thread-safe.
 */
record Runc(Path binary, Path root) {
  private static final long LIMIT_SECONDS = 10;

  /**
   * {@code runc --root R run --keep --bundle B ID}: the foreground run whose stdio is the
   * container's. {@code --keep} leaves the stopped container, and so its cgroup and the counters
   * in it, until {@link #delete}. crun has no {@code --keep} and removes the container as it exits;
   * it runs only on cgroup v2 hosts, whose job cgroup counts its containers' hits too.
   */
  List<String> runArgv(Path bundle, String id) {
    List<String> argv = new ArrayList<>(List.of(binary.toString(), "--root", root.toString(), "run"));
    if (!binary.getFileName().toString().equals("crun")) argv.add("--keep");
    argv.addAll(List.of("--bundle", bundle.toString(), id));
    return List.copyOf(argv);
  }

  /** Whether runc still has state for container {@code id} (it removes it when a run ends). */
  boolean exists(String id) {
    return Files.exists(root.resolve(id));
  }

  /** Sends SIGKILL to the container's init, which takes its whole pid namespace with it. */
  boolean kill(String id) throws IOException {
    return run("kill", id, "KILL").exit() == 0;
  }

  /** Kills whatever still runs and removes the container's state and cgroups. */
  void delete(String id) throws IOException {
    Result r = run("delete", "--force", id);
    if (r.exit() != 0 && exists(id)) throw new IOException("runc delete " + id + " failed: " + r.output());
  }

  /** Ids of every container in Moat's state directory. */
  List<String> list() throws IOException {
    Result r = run("list", "--quiet");
    if (r.exit() != 0) throw new IOException("runc list failed: " + r.output());
    return r.output().lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  private record Result(int exit, String output) {}

  private Result run(String... args) throws IOException {
    List<String> argv = new ArrayList<>(List.of(binary.toString(), "--root", root.toString()));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          // Output is tiny (an error line or a list of ids), so reading after the wait cannot block.
          if (!p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("runc " + args[0] + " did not finish in " + LIMIT_SECONDS + " s");
          }
          break;
        } catch (InterruptedException e) {
          interrupted = true; // finishing a kill or delete matters more than a prompt return
        }
      }
      return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }
}
