package dev.moat.sandbox.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The crash sweep for cgroups that runc made: a relative {@code cgroupsPath} such as
 * {@code moat/<container id>} puts a container's cgroup below this process's own cgroup in every
 * mounted hierarchy (each v1 controller, named ones such as {@code name=systemd}, and the unified
 * tree). runc removes them when it deletes a container; this removes those that a crash between
 * runc's steps left, once the containers' runc state is gone.
 *
 * <p>Kill is by cgroup: every pid listed in any of the container's {@code cgroup.procs} files gets
 * SIGKILL, after a thaw (a frozen task would not die), until all are empty. Stateless; call only
 * at agent start, when no container of this agent runs.
 */
public final class ContainerCgroups {
  private static final Duration KILL_PATIENCE = Duration.ofSeconds(5);

  private ContainerCgroups() {}

  /**
   * Kills and removes every cgroup {@code <own cgroup>/<parent>/<prefix>*} in every hierarchy.
   *
   * @return the names removed, sorted, each once however many hierarchies it was in
   */
  public static List<String> removeLeftovers(String parent, String prefix) throws IOException {
    if (parent.isEmpty() || parent.startsWith("/") || parent.contains("..")) {
      throw new IllegalArgumentException("parent must be a relative cgroup path: " + parent);
    }
    CgroupHost host = CgroupHost.current();
    Set<Path> parents = new LinkedHashSet<>();
    host.v1().values().forEach(own -> parents.add(own.resolve(parent)));
    host.v2().ifPresent(own -> parents.add(own.resolve(parent)));
    Set<String> names = new TreeSet<>();
    for (Path dir : parents) names.addAll(children(dir, prefix));
    for (String name : names) {
      List<Path> dirs = new ArrayList<>();
      for (Path dir : parents) {
        if (Files.isDirectory(dir.resolve(name))) dirs.add(dir.resolve(name));
      }
      kill(name, dirs);
      for (Path dir : dirs) CgroupFiles.rmdir(dir);
    }
    return List.copyOf(names);
  }

  private static List<String> children(Path dir, String prefix) throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> children = Files.list(dir)) {
      return children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(prefix) && n.matches("[A-Za-z0-9_.-]+")).toList();
    }
  }

  private static void kill(String name, List<Path> dirs) throws IOException {
    for (Path dir : dirs) {
      if (Files.exists(dir.resolve("freezer.state"))) CgroupFiles.write(dir.resolve("freezer.state"), "THAWED");
      if (Files.exists(dir.resolve("cgroup.freeze"))) CgroupFiles.write(dir.resolve("cgroup.freeze"), "0");
    }
    CgroupFiles.await(() -> {
      Set<Long> pids = new TreeSet<>();
      for (Path dir : dirs) pids.addAll(CgroupFiles.pids(dir.resolve("cgroup.procs")));
      pids.forEach(PidSignal::kill);
      return pids.isEmpty();
    }, KILL_PATIENCE, "the processes of container cgroup " + name + " to die");
  }
}
