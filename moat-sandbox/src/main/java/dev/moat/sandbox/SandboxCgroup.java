package dev.moat.sandbox;

import dev.moat.sandbox.cgroup.Cgroups;
import dev.moat.sandbox.cgroup.JobCgroup;
import dev.moat.sandbox.cgroup.JoinPrefix;
import dev.moat.sandbox.cgroup.Limits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.Objects;
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
   * Makes the job cgroup of sandbox {@code spec}, named {@code moat-<id, at most 32>-<6 hex>}:
   * unique even when two sandboxes share a spec id (tests do), so that one can outlive a racing close.
   */
  public static SandboxCgroup create(Cgroups cgroups, SandboxSpec spec, Limits limits) throws IOException {
    Objects.requireNonNull(limits, "limits");
    String id = spec.id().length() > 32 ? spec.id().substring(0, 32) : spec.id();
    String unique = id + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    return new SandboxCgroup(cgroups.create(unique, limits), spec.id());
  }

  /** {@code moat-<unique id>}: also the relative cgroup path of the job below the agent's own. */
  public String name() {
    return cgroup.name();
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

  @Override
  public String toString() {
    return cgroup.name();
  }
}
