package dev.moat.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A background Moat process started by {@code moat up}: detached with {@code setsid}, its JSON log
 * (stderr) in {@code logs/NAME.log} and its stdout in {@code logs/NAME.out}, its pid and start time in a pid file. It is stopped only by that pid, and only if the
 * process behind it still has that start time (a recycled pid is left alone).
 */
record Daemon(String name, Path pidFile, Path logFile) {
  static Daemon in(Path dataDir, String name) {
    return new Daemon(name, dataDir.resolve(name + ".pid"), dataDir.resolve("logs").resolve(name + ".log"));
  }

  /**
   * The running process, if the pid file names a live process that started when the file says: a
   * recycled pid belongs to another process with another start time and is left alone.
   */
  Optional<ProcessHandle> process() {
    try {
      if (!Files.exists(pidFile)) return Optional.empty();
      String[] fields = Files.readString(pidFile).trim().split(" ");
      long pid = Long.parseLong(fields[0]);
      long started = Long.parseLong(fields[1]);
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> startMillis(p) == started);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static long startMillis(ProcessHandle p) {
    return p.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
  }

  /** Starts {@code moat <args>} detached, with the same JVM and classpath as this process. */
  ProcessHandle start(List<String> args) throws IOException {
    Files.createDirectories(logFile.getParent());
    List<String> argv = new ArrayList<>();
    argv.add("/usr/bin/setsid");
    argv.add(ProcessHandle.current().info().command().orElseThrow());
    argv.add("--enable-native-access=ALL-UNNAMED");
    argv.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
    argv.add("-cp");
    argv.add(System.getProperty("java.class.path"));
    argv.add(Main.class.getName());
    argv.addAll(args);
    var pb = new ProcessBuilder(argv)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        // The log is JSON lines only (stderr); what the command tells a person (stdout) goes beside it.
        .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.resolveSibling(name + ".out").toFile()));
    Process p = pb.start();
    Files.writeString(pidFile, p.pid() + " " + startMillis(p.toHandle()));
    return p.toHandle();
  }

  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and removes the pid file. */
  boolean stop() throws InterruptedException {
    var p = process();
    if (p.isEmpty()) {
      deletePidFile();
      return false;
    }
    p.get().destroy();
    try {
      p.get().onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      p.get().destroyForcibly();
    }
    deletePidFile();
    return true;
  }

  private void deletePidFile() {
    try {
      Files.deleteIfExists(pidFile);
    } catch (IOException e) {
      // a stale pid file is re-checked against the live process on every use
    }
  }
}
