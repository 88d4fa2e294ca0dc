package dev.moat.sandbox.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A job's cgroup v2 directory. Kill writes {@code cgroup.kill} (Linux 5.14+), which SIGKILLs every
 * process in the cgroup atomically, forks in flight included; on older kernels it freezes the
 * cgroup ({@code cgroup.freeze}; v2 lets frozen processes die of SIGKILL) and kills pid by pid.
 * and thaws it again. Either way it waits until {@code cgroup.events} says {@code populated 0}, and
 * the cgroup can take the job's next step. All of it covers cgroups nested below the job's (a
 * runtime's per-container ones): v2's kill, freeze and {@code populated} are recursive, and so are
 * {@link #pids()} and {@link #remove()} (deepest first).
 *
 * <p>Thread-safe: all state is in the kernel.
 */
final class V2JobCgroup implements JobCgroup {
  private static final Duration KILL_PATIENCE = Duration.ofSeconds(5);

  private final String name;
  private final Path dir;
  private final CgroupTree tree;

  V2JobCgroup(String name, Path dir, CgroupTree tree) {
    this.name = name;
    this.dir = dir;
    this.tree = tree;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public JobCgroup child(String child) {
    return new V2JobCgroup(name + "/" + child, dir.resolve(Cgroups.requireChildName(child)), tree);
  }

  @Override
  public String relativePath() {
    return dir.getParent().getFileName() + "/" + name;
  }

  @Override
  public JoinPrefix join() {
    return new JoinPrefix(List.of(dir.resolve("cgroup.procs")));
  }

  @Override
  public List<Path> directories() {
    return List.of(dir);
  }

  @Override
  public List<Long> pids() throws IOException {
    return CgroupFiles.pidsBelow(dir);
  }

  @Override
  public CgroupStats stats() throws IOException {
    if (!Files.isDirectory(dir)) throw new IOException("cgroup removed: " + dir);
    Path memoryEvents = dir.resolve("memory.events");
    Path cpuStat = dir.resolve("cpu.stat");
    return new CgroupStats(
        CgroupFiles.keyed(memoryEvents, "oom_kill"),
        CgroupFiles.number(dir.resolve("memory.peak")),
        CgroupFiles.keyed(dir.resolve("pids.events"), "max"),
        Duration.ofNanos(CgroupFiles.keyed(cpuStat, "usage_usec") * 1000),
        CgroupFiles.keyed(cpuStat, "nr_throttled"));
  }

  @Override
  public void kill() throws IOException {
    if (!Files.isDirectory(dir)) return;
    Path killFile = dir.resolve("cgroup.kill");
    if (Files.exists(killFile)) {
      CgroupFiles.write(killFile, "1");
    } else {
      Path freeze = dir.resolve("cgroup.freeze");
      CgroupFiles.write(freeze, "1");
      try {
        CgroupFiles.await(() -> {
          pids().forEach(PidSignal::kill);
          return pids().isEmpty();
        }, KILL_PATIENCE, "the processes of " + dir + " to die");
      } finally {
        // The job may run another step in this cgroup; a frozen cgroup would freeze it on join.
        CgroupFiles.write(freeze, "0");
      }
    }
    CgroupFiles.await(() -> !populated(), KILL_PATIENCE, dir + " to become empty");
  }

  private boolean populated() throws IOException {
    return Files.isDirectory(dir) && CgroupFiles.keyed(dir.resolve("cgroup.events"), "populated") != 0;
  }

  @Override
  public void remove() throws IOException {
    for (Path cgroup : CgroupFiles.cgroupsBelow(dir)) tree.rmdir(cgroup);
  }

  @Override
  public String toString() {
    return "V2JobCgroup[" + dir + "]";
  }
}
