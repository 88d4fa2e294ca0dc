package dev.moat.sandbox.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's cgroup v1 directories, one per hierarchy. v1 has no {@code cgroup.kill}, so kill freezes
 * the job (when the freezer hierarchy is mounted) so that it can't fork, SIGKILLs every pid listed
 * in its {@code cgroup.procs} files, thaws it so the signals are delivered, and repeats until every
 * hierarchy's group is empty. Without a freezer the repetition alone catches forks in flight; the
 * pids limit bounds how many there can be. The v1 freezer is hierarchical, and {@link #pids()}
 * reads nested cgroups too, so this covers cgroups that a runtime nests below the job's (runc's
 * per-container ones).
 *
 * <p>A runtime also makes the job's name in hierarchies the driver doesn't use (devices, cpuset,
 * blkio...) as the parent of its own cgroups; {@link #remove()} removes those too ({@code others}),
 * nested ones first, so a job leaves no directory in any hierarchy.
 *
 * <p>Thread-safe: all state is in the kernel.
 */
final class V1JobCgroup implements JobCgroup {
  private static final Logger LOG = LoggerFactory.getLogger(V1JobCgroup.class);
  private static final Duration KILL_PATIENCE = Duration.ofSeconds(5);
  private static final Duration FREEZE_PATIENCE = Duration.ofSeconds(1);

  private final String name;
  private final Map<String, Path> dirs;
  private final List<Path> others;
  private final CgroupTree tree;

  /**
   * @param dirs controller to this job's directory in its hierarchy (co-mounted ones repeat)
   * @param others where the job's name may appear in the other hierarchies, made by a runtime
   */
  V1JobCgroup(String name, Map<String, Path> dirs, List<Path> others, CgroupTree tree) {
    this.name = name;
    this.dirs = Map.copyOf(dirs);
    this.others = List.copyOf(others);
    this.tree = tree;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public JobCgroup child(String child) {
    Map<String, Path> nested = new LinkedHashMap<>();
    dirs.forEach((controller, dir) -> nested.put(controller, dir.resolve(Cgroups.requireChildName(child))));
    return new V1JobCgroup(name + "/" + child, nested, List.of(), tree);
  }

  @Override
  public String relativePath() {
    return name;
  }

  /** Memory first: the job's memory is charged from its first page on. */
  @Override
  public JoinPrefix join() {
    return new JoinPrefix(directories().stream().map(d -> d.resolve("cgroup.procs")).toList());
  }

  @Override
  public List<Path> directories() {
    Set<Path> unique = new LinkedHashSet<>();
    unique.add(dirs.get("memory"));
    for (String c : List.of("pids", "cpu", "cpuacct", CgroupV1.FREEZER)) {
      if (dirs.containsKey(c)) unique.add(dirs.get(c));
    }
    return List.copyOf(unique);
  }

  @Override
  public List<Long> pids() throws IOException {
    Set<Long> all = new TreeSet<>();
    for (Path dir : directories()) all.addAll(CgroupFiles.pidsBelow(dir));
    return List.copyOf(all);
  }

  @Override
  public CgroupStats stats() throws IOException {
    Path memory = dirs.get("memory");
    if (!Files.isDirectory(memory)) throw new IOException("cgroup removed: " + memory);
    return new CgroupStats(
        CgroupFiles.keyed(memory.resolve("memory.oom_control"), "oom_kill"),
        CgroupFiles.number(memory.resolve("memory.max_usage_in_bytes")),
        CgroupFiles.keyed(dirs.get("pids").resolve("pids.events"), "max"),
        Duration.ofNanos(CgroupFiles.number(dirs.get("cpuacct").resolve("cpuacct.usage"))),
        CgroupFiles.keyed(dirs.get("cpu").resolve("cpu.stat"), "nr_throttled"));
  }

  @Override
  public void kill() throws IOException {
    CgroupFiles.await(() -> {
      List<Long> pids = pids();
      if (pids.isEmpty()) return true;
      freeze();
      pids().forEach(PidSignal::kill);
      thaw();
      return false;
    }, KILL_PATIENCE, "the processes of " + name + " to die");
  }

  private void freeze() throws IOException {
    Path state = freezerState();
    if (state == null) return;
    CgroupFiles.write(state, "FROZEN");
    try {
      CgroupFiles.await(() -> CgroupFiles.read(state).equals("FROZEN"), FREEZE_PATIENCE, name + " to freeze");
    } catch (IOException e) {
      // A task stuck in the kernel (e.g. D state) can delay freezing; killing what we see is still right.
      LOG.warn("job cgroup did not freeze; killing without: cgroup={}", name, e);
    }
  }

  private void thaw() throws IOException {
    Path state = freezerState();
    if (state != null) CgroupFiles.write(state, "THAWED");
  }

  private Path freezerState() {
    Path freezer = dirs.get(CgroupV1.FREEZER);
    return freezer == null || !Files.isDirectory(freezer) ? null : freezer.resolve("freezer.state");
  }

  @Override
  public void remove() throws IOException {
    IOException failure = null;
    List<Path> all = new ArrayList<>(others);
    all.addAll(directories().reversed());
    for (Path dir : all) {
      try {
        for (Path cgroup : CgroupFiles.cgroupsBelow(dir)) tree.rmdir(cgroup);
      } catch (IOException e) {
        if (failure == null) failure = e;
        else failure.addSuppressed(e);
      }
    }
    if (failure != null) throw failure;
  }

  @Override
  public String toString() {
    return "V1JobCgroup[" + name + " " + directories() + "]";
  }
}
