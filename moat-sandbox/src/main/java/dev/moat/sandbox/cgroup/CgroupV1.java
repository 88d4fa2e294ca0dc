package dev.moat.sandbox.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The cgroup v1 driver. A job gets a cgroup {@code moat-<id>} in each hierarchy it needs (memory,
 * pids, cpu, cpuacct, and freezer when mounted; co-mounted controllers share one), each directly
 * under the agent's own cgroup in that hierarchy, so the job's memory is also charged to the
 * agent's memory cgroup and its limits.
 *
 * <p>Limits: {@code memory.limit_in_bytes} and, with swap accounting, {@code memory.memsw.limit_in_bytes}
 * to the same value (no swap on top); {@code pids.max}; {@code cpu.cfs_period_us} and
 * {@code cpu.cfs_quota_us}.
 *
 * <p>Thread-safe: immutable; each job has its own directories.
 */
final class CgroupV1 implements Cgroups {
  /** Hierarchies a job needs; v1 is chosen only if all of them are mounted. */
  static final List<String> CONTROLLERS = List.of("memory", "pids", "cpu", "cpuacct");
  static final String FREEZER = "freezer";
  static final String JOB_PREFIX = "moat-";

  private final Map<String, Path> own;
  private final List<Path> otherParents;
  private final CgroupTree tree;

  /**
   * @param own controller to the agent's own cgroup directory in that controller's hierarchy
   * @param unified the agent's own cgroup in a hybrid host's unified hierarchy, if mounted: a
   *     runtime nests its containers there too, so a job's name may appear in it
   * @param tree how cgroups are made and removed ({@link CgroupTree#KERNEL} outside tests)
   */
  CgroupV1(Map<String, Path> own, Optional<Path> unified, CgroupTree tree) {
    if (!own.keySet().containsAll(CONTROLLERS)) throw new IllegalArgumentException("v1 needs " + CONTROLLERS + ", got " + own.keySet());
    this.own = Map.copyOf(own);
    Set<Path> parents = new TreeSet<>(own.values());
    unified.ifPresent(parents::add);
    this.otherParents = List.copyOf(parents);
    this.tree = Objects.requireNonNull(tree, "tree");
  }

  @Override
  public String version() {
    return "v1";
  }

  @Override
  public JobCgroup create(String id, Limits limits) throws IOException {
    String name = Cgroups.nameOf(id);
    Objects.requireNonNull(limits, "limits");
    Map<String, Path> dirs = jobDirs(name);
    V1JobCgroup job = new V1JobCgroup(name, dirs, otherDirs(name, dirs), tree);
    List<Path> made = new ArrayList<>();
    try {
      for (Path dir : job.directories()) {
        tree.mkdir(dir);
        made.add(dir);
      }
      apply(dirs, limits);
      return job;
    } catch (IOException | RuntimeException e) {
      for (Path dir : made.reversed()) {
        try {
          tree.rmdir(dir);
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /** Controller to the directory of job cgroup {@code name} in that controller's hierarchy. */
  private Map<String, Path> jobDirs(String name) {
    Map<String, Path> dirs = new LinkedHashMap<>();
    List<String> wanted = new ArrayList<>(CONTROLLERS);
    if (own.containsKey(FREEZER)) wanted.add(FREEZER);
    for (String controller : wanted) dirs.put(controller, own.get(controller).resolve(name));
    return dirs;
  }

  /** Job {@code name}'s place in every mounted hierarchy that {@code dirs} doesn't cover. */
  private List<Path> otherDirs(String name, Map<String, Path> dirs) {
    Set<Path> others = new TreeSet<>();
    for (Path parent : otherParents) others.add(parent.resolve(name));
    others.removeAll(dirs.values());
    return List.copyOf(others);
  }

  @Override
  public List<String> removeLeftovers() throws IOException {
    return removeLeftovers(JOB_PREFIX);
  }

  @Override
  public List<String> removeLeftovers(String prefix) throws IOException {
    Set<String> names = new TreeSet<>();
    for (Path parent : otherParents) names.addAll(LeftoverNames.under(parent, Cgroups.requireJobPrefix(prefix)));
    for (String name : names) {
      Map<String, Path> dirs = jobDirs(name);
      new V1JobCgroup(name, dirs, otherDirs(name, dirs), tree).close();
    }
    return List.copyOf(names);
  }

  private static void apply(Map<String, Path> dirs, Limits limits) throws IOException {
    Path memory = dirs.get("memory");
    String bytes = Long.toString(limits.memoryBytes());
    CgroupFiles.write(memory.resolve("memory.limit_in_bytes"), bytes);
    // memsw (memory + swap) must be set after, and be at least, the memory limit.
    Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
    if (Files.exists(memsw)) CgroupFiles.write(memsw, bytes);
    CgroupFiles.write(dirs.get("pids").resolve("pids.max"), Integer.toString(limits.pidsMax()));
    Path cpu = dirs.get("cpu");
    CgroupFiles.write(cpu.resolve("cpu.cfs_period_us"), Long.toString(Limits.CPU_PERIOD_MICROS));
    CgroupFiles.write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(limits.cpuQuotaMicros()));
  }
}
