package dev.moat.sandbox.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The few file operations a cgroup driver needs, with errors that name the file and value. Works
 * on a real cgroupfs and on a plain directory tree that imitates one (tests).
 *
 * <p>Stateless and thread-safe.
 */
final class CgroupFiles {
  /** How long a v1 cgroup may stay busy ("dying") after its last process left. */
  static final Duration REMOVE_PATIENCE = Duration.ofSeconds(3);

  private CgroupFiles() {}

  /** A condition polled by {@link #await}. */
  @FunctionalInterface
  interface Condition {
    boolean holds() throws IOException;
  }

  static void write(Path file, String value) throws IOException {
    try {
      Files.writeString(file, value);
    } catch (IOException e) {
      throw new IOException("cannot write '" + value + "' to " + file + ": " + e.getMessage(), e);
    }
  }

  static String read(Path file) throws IOException {
    return Files.readString(file).strip();
  }

  /**
   * The number after {@code key} in a flat keyed file ({@code key value} per line), or 0 when the
   * file or the key does not exist (an older kernel without that counter).
   */
  static long keyed(Path file, String key) throws IOException {
    if (!Files.exists(file)) return 0;
    for (String line : Files.readAllLines(file)) {
      String[] kv = line.strip().split("\\s+");
      if (kv.length == 2 && kv[0].equals(key)) return Long.parseLong(kv[1]);
    }
    return 0;
  }

  /** A file holding one number, or 0 when it does not exist. */
  static long number(Path file) throws IOException {
    return Files.exists(file) ? Long.parseLong(read(file)) : 0;
  }

  /** The pids listed in a {@code cgroup.procs} file; empty when the cgroup is gone. */
  static List<Long> pids(Path procsFile) throws IOException {
    try {
      return Files.readAllLines(procsFile).stream().map(String::strip).filter(s -> !s.isEmpty())
          .map(Long::parseLong).toList();
    } catch (NoSuchFileException e) {
      return List.of();
    }
  }

  /**
   * Removes a cgroup directory. The kernel refuses (EBUSY) while processes remain or, in v1, for a
   * moment after the last one left, so this retries for {@link #REMOVE_PATIENCE}. Absent is done.
   */
  /**
   * The pids in cgroup {@code dir} and in every cgroup nested below it (a runtime such as runc
   * puts each step's container in a child of the job's cgroup); none when {@code dir} is gone.
   */
  static List<Long> pidsBelow(Path dir) throws IOException {
    Set<Long> all = new TreeSet<>();
    for (Path cgroup : cgroupsBelow(dir)) all.addAll(pids(cgroup.resolve("cgroup.procs")));
    return List.copyOf(all);
  }

  /** {@code dir} and every cgroup nested below it, deepest first; none when {@code dir} is gone. */
  static List<Path> cgroupsBelow(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> walk = Files.walk(dir, MAX_NESTING)) {
      return walk.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
          .sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
    } catch (UncheckedIOException e) {
      if (e.getCause() instanceof NoSuchFileException) return cgroupsBelow(dir); // a child went meanwhile
      throw e.getCause();
    }
  }

  /** How deep below a job's cgroup others may nest: runc adds one level (its container). */
  static final int MAX_NESTING = 4;

  static void rmdir(Path dir) throws IOException {
    long giveUp = System.nanoTime() + REMOVE_PATIENCE.toNanos();
    while (true) {
      try {
        Files.deleteIfExists(dir);
        return;
      } catch (FileSystemException e) {
        if (System.nanoTime() - giveUp > 0) throw new IOException("cannot remove cgroup " + dir + ": " + e.getMessage(), e);
        pause();
      }
    }
  }

  /** Polls {@code condition} until it holds; fails after {@code patience} naming {@code what}. */
  static void await(Condition condition, Duration patience, String what) throws IOException {
    long giveUp = System.nanoTime() + patience.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() - giveUp > 0) throw new IOException("gave up after " + patience + " waiting for " + what);
      pause();
    }
  }

  /**
   * Waits 2 ms. Cgroup state changes (a freeze, a process's exit) have no cheap notification in v1,
   * and take microseconds to milliseconds, so short polling is the simple choice. Keeps the
   * interrupt flag but does not stop: a half-done kill or removal would leak host resources.
   */
  private static void pause() {
    try {
      TimeUnit.MILLISECONDS.sleep(2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      Thread.onSpinWait();
    }
  }
}
