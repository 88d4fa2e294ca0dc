package dev.moat.sandbox.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One job's cgroup (v2) or set of cgroups, one per hierarchy (v1), with its limits applied.
 * Lifecycle: start every job process through {@link #join()}; after the job read {@link #stats()};
 * {@link #kill()} ends every process in it; {@link #remove()} deletes it; {@link #close()} does both.
 *
 * <p>Thread-safety: every method may be called from any thread; {@code kill} and {@code remove} are
 * idempotent.
 */
public sealed interface JobCgroup extends AutoCloseable permits V1JobCgroup, V2JobCgroup {
  /** {@code moat-<id>}. */
  String name();

  /**
   * Where the job's cgroup is relative to the agent's own: what a runtime's relative
   * {@code cgroupsPath} names to nest a container below it ({@code moat-<id>} on v1,
   * {@code moat-jobs/moat-<id>} on v2).
   */
  String relativePath();

  /**
   * The cgroup {@code child} nested directly below this one (made by a runtime for a container),
   * as a view for its {@link #stats()}: v1 counts an OOM kill in the victim's memcg and a refused
   * fork in the forking task's cgroup, not in the ancestor whose limit was hit, so a step's hits are
   * read where it ran.
   */
  JobCgroup child(String child);

  /** The launch prefix that puts a process into this job's cgroups before it execs the job. */
  JoinPrefix join();

  /** The cgroup directories of this job, one per hierarchy (v1) or one (v2). */
  List<Path> directories();

  /** The pids now in the job; empty after {@link #kill()} or when nothing was started. */
  List<Long> pids() throws IOException;

  /** The job's counters so far. Fails once removed. */
  CgroupStats stats() throws IOException;

  /**
   * Kills every process in the job, background and detached ones included, and returns once the
   * cgroup is empty. Never signals anything outside the job's cgroups.
   *
   * @throws IOException if the cgroup could not be emptied within a few seconds
   */
  void kill() throws IOException;

  /** Removes the job's cgroup directories; call after {@link #kill()}. Idempotent. */
  void remove() throws IOException;

  /** {@link #kill()}, then {@link #remove()}, even if the kill failed. */
  @Override
  default void close() throws IOException {
    try {
      kill();
    } catch (IOException e) {
      try {
        remove();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    remove();
  }
}
