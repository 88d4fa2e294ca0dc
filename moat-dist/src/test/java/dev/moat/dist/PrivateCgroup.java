package dev.moat.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A cgroup of the test's own, {@code <name>} under this JVM's cgroup in each hierarchy a job cgroup
 * uses (v1: memory, pids, cpu, cpuacct, freezer; v2: the unified one), to run a forked agent in.
 * The agent then makes its job cgroups inside it, and its start-up sweep of {@code moat-*} looks
 * only there: on v1 the pids and cpu hierarchies are otherwise shared host-wide, so an agent
 * restarted at the root would also kill other checkouts' live jobs. The name must not start with
 * {@code moat-}, so that no agent's sweep takes the cgroup itself. Not thread-safe.
 */
final class PrivateCgroup implements AutoCloseable {
  private static final List<String> V1 = List.of("memory", "pids", "cpu", "cpuacct", "freezer");
  private static final Path ROOT = Path.of("/sys/fs/cgroup");
  private final List<Path> dirs;

  private PrivateCgroup(List<Path> dirs) {
    this.dirs = dirs;
  }

  /** Creates {@code name} in every hierarchy that this JVM's {@code /proc/self/cgroup} names and jobs use. */
  static PrivateCgroup create(String name) throws IOException {
    if (name.startsWith("moat-")) throw new IllegalArgumentException("an agent's sweep would take " + name);
    Map<String, String> own = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
      String[] f = line.split(":", 3);
      for (String controller : f[1].split(",")) own.put(controller, f[2]);
    }
    List<Path> dirs = new ArrayList<>();
    boolean v1 = own.keySet().containsAll(List.of("memory", "pids"));
    for (String controller : v1 ? V1 : List.of("")) {
      if (!own.containsKey(controller)) continue;
      Path mount = controller.isEmpty() ? ROOT : ROOT.resolve(controller);
      dirs.add(Path.of(mount + own.get(controller)).resolve(name));
    }
    var cgroup = new PrivateCgroup(dirs);
    try {
      for (Path dir : dirs) Files.createDirectory(dir);
    } catch (IOException e) {
      cgroup.close();
      throw e;
    }
    return cgroup;
  }

  /** Moves process {@code pid} (all its threads) into this cgroup in every hierarchy. */
  void move(long pid) throws IOException {
    for (Path dir : dirs) Files.writeString(dir.resolve("cgroup.procs"), Long.toString(pid));
  }

  /** The job cgroups ({@code moat-*}) in this cgroup, as {@code hierarchy-dir/name}. */
  List<Path> children() throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path dir : dirs) {
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> children = Files.list(dir)) {
        children.filter(Files::isDirectory).filter(p -> p.getFileName().toString().startsWith("moat-")).forEach(out::add);
      }
    }
    return out;
  }

  /** Whether any of its directories is still there. */
  boolean exists() {
    return dirs.stream().anyMatch(Files::isDirectory);
  }

  /**
   * Removes what is left in it, then the cgroup. Its processes must have ended: a directory with
   * tasks can't be removed, and the exception names it.
   */
  @Override
  public void close() throws IOException {
    IOException failure = null;
    List<Path> all = new ArrayList<>(children());
    all.addAll(dirs);
    for (Path dir : all) {
      try {
        Files.deleteIfExists(dir);
      } catch (IOException e) {
        if (failure == null) failure = new IOException("cannot remove test cgroup " + dir, e); else failure.addSuppressed(e);
      }
    }
    if (failure != null) throw failure;
  }
}
