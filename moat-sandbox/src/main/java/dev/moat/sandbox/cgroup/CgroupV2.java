package dev.moat.sandbox.cgroup;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The cgroup v2 driver. Job cgroups live at {@code <root>/moat-jobs/moat-<id>}, where
 * {@code <root>} is the agent's own cgroup.
 *
 * <p>The "no internal processes" rule: a cgroup may enable controllers for its children in
 * {@code cgroup.subtree_control} only while no process sits in it (the root excepted). So
 * {@code <root>} must hold no process when the controllers are enabled. If enabling fails, this
 * driver moves the agent's own process into the leaf {@code <root>/moat-agent} and tries once more;
 * that works when the agent is alone in its cgroup (a systemd unit with {@code Delegate=yes}, or a
 * container whose cgroup it owns). If other processes share it, {@link #create} fails with a message
 * saying so. When the agent's own cgroup is already {@code moat-agent}, its parent is the root.
 *
 * <p>Thread-safe: the shared parent is prepared idempotently; each job has its own directory.
 */
final class CgroupV2 implements Cgroups {
  /** Controllers a job cgroup needs; v2 is chosen only if our cgroup offers all of them. */
  static final List<String> CONTROLLERS = List.of("memory", "pids", "cpu");
  static final String JOBS = "moat-jobs";
  static final String AGENT_LEAF = "moat-agent";
  static final String ENABLE = "+memory +pids +cpu";

  private final Path root;
  private final CgroupTree tree;

  /**
   * @param own the agent's own cgroup directory in the unified hierarchy
   * @param tree how cgroups are made and removed ({@link CgroupTree#KERNEL} outside tests)
   */
  CgroupV2(Path own, CgroupTree tree) {
    Objects.requireNonNull(own, "own");
    this.root = own.getFileName() != null && own.getFileName().toString().equals(AGENT_LEAF) ? own.getParent() : own;
    this.tree = Objects.requireNonNull(tree, "tree");
  }

  @Override
  public String version() {
    return "v2";
  }

  /** The directory all job cgroups sit in. */
  Path jobsDir() {
    return root.resolve(JOBS);
  }

  @Override
  public JobCgroup create(String id, Limits limits) throws IOException {
    String name = Cgroups.nameOf(id);
    Objects.requireNonNull(limits, "limits");
    prepareParent();
    Path dir = jobsDir().resolve(name);
    tree.mkdir(dir);
    V2JobCgroup job = new V2JobCgroup(name, dir, tree);
    try {
      CgroupFiles.write(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
      // No swap on top of the memory limit; absent where the kernel has no swap accounting.
      if (Files.exists(dir.resolve("memory.swap.max"))) CgroupFiles.write(dir.resolve("memory.swap.max"), "0");
      CgroupFiles.write(dir.resolve("pids.max"), Integer.toString(limits.pidsMax()));
      CgroupFiles.write(dir.resolve("cpu.max"), limits.cpuQuotaMicros() + " " + Limits.CPU_PERIOD_MICROS);
      return job;
    } catch (IOException | RuntimeException e) {
      try {
        job.remove();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  @Override
  public List<String> removeLeftovers() throws IOException {
    return removeLeftovers(CgroupV1.JOB_PREFIX);
  }

  /** Kills and removes the job cgroups in {@code moat-jobs} whose names start with {@code prefix}. */
  @Override
  public List<String> removeLeftovers(String prefix) throws IOException {
    List<String> names = LeftoverNames.under(jobsDir(), Cgroups.requireJobPrefix(prefix));
    for (String name : names) new V2JobCgroup(name, jobsDir().resolve(name), tree).close();
    return names;
  }

  /** Enables the controllers for {@code moat-jobs} and, inside it, for each job. */
  private void prepareParent() throws IOException {
    if (!enabled(root)) enableInRoot();
    ensureCgroup(jobsDir());
    if (!enabled(jobsDir())) CgroupFiles.write(jobsDir().resolve("cgroup.subtree_control"), ENABLE);
  }

  private void enableInRoot() throws IOException {
    Path control = root.resolve("cgroup.subtree_control");
    try {
      CgroupFiles.write(control, ENABLE);
    } catch (IOException busy) {
      // Most likely EBUSY: processes (the agent itself) sit in root. Move the agent to a leaf.
      Path leaf = root.resolve(AGENT_LEAF);
      try {
        ensureCgroup(leaf);
        CgroupFiles.write(leaf.resolve("cgroup.procs"), Long.toString(ProcessHandle.current().pid()));
        CgroupFiles.write(control, ENABLE);
      } catch (IOException e) {
        e.addSuppressed(busy);
        throw new IOException("cannot enable " + CONTROLLERS + " for job cgroups under " + root
            + ": the agent must be alone in its cgroup (cgroup v2 allows no processes in a cgroup that"
            + " enables controllers for children); run it in a delegated cgroup of its own", e);
      }
    }
  }

  /** Creates the shared cgroup {@code dir} unless it exists (also when another job just made it). */
  private void ensureCgroup(Path dir) throws IOException {
    if (Files.isDirectory(dir)) return;
    try {
      tree.mkdir(dir);
    } catch (FileAlreadyExistsException e) {
      // made concurrently by another job's create: fine
    }
  }

  private static boolean enabled(Path cgroup) throws IOException {
    Path control = cgroup.resolve("cgroup.subtree_control");
    if (!Files.exists(control)) return false;
    return List.of(CgroupFiles.read(control).split("\\s+")).containsAll(CONTROLLERS);
  }
}
