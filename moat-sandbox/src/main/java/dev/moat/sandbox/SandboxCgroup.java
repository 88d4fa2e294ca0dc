package dev.moat.sandbox;

import dev.moat.sandbox.ExecResult.LimitHit;
import dev.moat.sandbox.cgroup.Cgroups;
import dev.moat.sandbox.cgroup.JobCgroup;
import dev.moat.sandbox.cgroup.JoinPrefix;
import dev.moat.sandbox.cgroup.Limits;
import dev.moat.sandbox.net.JobNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A sandbox's one job cgroup, used the same way by both tiers: every step of the job runs in it
 * (bwrap joins it, runc nests each step's container below it), so the job's limits hold across
 * steps; the counters before and after a step say which limits that step hit; a kill or timeout
 * empties it as a backstop to the pid namespace; close removes it.
 *
 * <p>Public only so that the other tiers' packages ({@code oci}) share it; not part of the Sandbox
 * API. Thread-safe, as {@link JobCgroup}.
 */
public final class SandboxCgroup {
  private final JobCgroup cgroup;
  private final String sandboxId;

  private SandboxCgroup(JobCgroup cgroup, String sandboxId) {
    this.cgroup = cgroup;
    this.sandboxId = sandboxId;
  }

  /**
   * Makes the job cgroup of sandbox {@code id}, named {@code moat-<id, at most 32>-<6 hex>}:
   * unique even when two sandboxes share an id (tests do), so that one can outlive a racing close.
   *
   * @param id the sandbox's id, perhaps with a tier's prefix (letters, digits, '-')
   */
  public static SandboxCgroup create(Cgroups cgroups, String id, Limits limits) throws IOException {
    Objects.requireNonNull(limits, "limits");
    String shortId = id.length() > 32 ? id.substring(0, 32) : id;
    String unique = shortId + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    return new SandboxCgroup(cgroups.create(unique, limits), id);
  }

  /** {@code moat-<unique id>}: also the relative cgroup path of the job below the agent's own. */
  public String name() {
    return cgroup.name();
  }

  /** The job's cgroup relative to the agent's own, for a runtime's relative {@code cgroupsPath}. */
  public String relativePath() {
    return cgroup.relativePath();
  }

  /** The launch prefix that starts a process inside the job's cgroup. */
  public JoinPrefix join() {
    return cgroup.join();
  }

  /** The counters to compare after a step. */
  public LimitCounters counters() throws IOException {
    return LimitCounters.of(cgroup.stats());
  }

  /** {@code result} with the limits the job hit since {@code before}. */
  public ExecResult withLimitsHit(ExecResult result, LimitCounters before) throws IOException {
    return result.withLimitsHit(counters().since(before));
  }

  /**
   * The limits that a step running in cgroup {@code child}, nested in the job's by a runtime, hit
   * (its counters start at zero). Read before the runtime removes it.
   */
  public Set<LimitHit> nestedHits(String child) throws IOException {
    return LimitCounters.of(cgroup.child(child).stats()).since(LimitCounters.ZERO);
  }

  /** Kills whatever of the job is still in its cgroup (after a kill or timeout nothing should be). */
  public void empty() {
    try {
      cgroup.kill();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot empty the cgroup of sandbox " + sandboxId, e);
    }
  }

  /** Kills what is left and removes the cgroup, nested ones included. */
  public void close() throws IOException {
    cgroup.close();
  }

  private interface Cleanup {
    void run() throws IOException;
  }

  /**
   * Undoes a tier's failed create: deletes the scratch directory, then removes the cgroup and the
   * network when made (null when not). Each step is tried even when an earlier one failed, so one
   * failure leaks nothing else; their failures are added to {@code failure}.
   */
  public static void undoCreate(Exception failure, SandboxScratch scratch, SandboxCgroup cgroup, JobNetwork network) {
    for (Cleanup step : new Cleanup[] {scratch::delete, cgroup == null ? () -> {} : cgroup::close,
        network == null ? () -> {} : network::close}) {
      try {
        step.run();
      } catch (IOException | RuntimeException suppressed) {
        failure.addSuppressed(suppressed);
      }
    }
  }

  @Override
  public String toString() {
    return cgroup.name();
  }
}
