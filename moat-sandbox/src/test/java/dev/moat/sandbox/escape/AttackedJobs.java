package dev.moat.sandbox.escape;

import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.SandboxTier;
import dev.moat.sandbox.disk.WorkspaceVolume;
import dev.moat.sandbox.disk.WorkspaceVolumes;
import dev.moat.sandbox.escape.TierUnderTest.JobEgress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens {@link JobUnderAttack jobs} for a test class, all under one scratch directory of its own
 * (sandbox scratch, bundles and a {@link WorkspaceVolumes} root), and destroys whatever is still
 * open at {@link #close()}, then every volume left under the root. Job and volume ids carry this
 * JVM's pid, so two checkouts' runs on one host never share a name.
 *
 * <p>Thread-safe for {@link #open} from several threads.
 */
final class AttackedJobs implements AutoCloseable {
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private final Path scratch;
  private final WorkspaceVolumes volumes;
  private final List<JobUnderAttack> open = new ArrayList<>();

  /** @param scratch an empty directory (e.g. a JUnit {@code @TempDir}); opened to mode 0711 */
  AttackedJobs(Path scratch) throws IOException {
    this.scratch = TierUnderTest.searchable(scratch);
    this.volumes = new WorkspaceVolumes(scratch.resolve("volumes"));
  }

  /** A fresh job on {@code tier} with loopback only. */
  JobUnderAttack open(TierUnderTest tier) throws IOException {
    return open(tier, Optional.empty());
  }

  /** A fresh job on {@code tier}; with egress, its network comes from it. */
  JobUnderAttack open(TierUnderTest tier, Optional<JobEgress> egress) throws IOException {
    tier.assumeAvailable(scratch);
    SandboxTier sandboxTier = tier.tier(scratch, egress);
    String id = "esc-" + tier.id() + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    WorkspaceVolume volume = volumes.create(id, TierUnderTest.DISK);
    try {
      EscapeProbe.installInto(volume.path());
      JobUnderAttack job = new JobUnderAttack(tier, sandboxTier.create(new SandboxSpec(id, volume.path())), volume);
      synchronized (open) {
        open.add(job);
      }
      return job;
    } catch (IOException | RuntimeException e) {
      try {
        volume.close();
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /** Closes every job still open, then removes every volume under the root; rethrows the first failure. */
  @Override
  public void close() throws IOException {
    List<JobUnderAttack> jobs;
    synchronized (open) {
      jobs = List.copyOf(open);
      open.clear();
    }
    IOException failure = null;
    for (JobUnderAttack job : jobs) {
      try {
        job.close();
      } catch (IOException | RuntimeException e) {
        failure = first(failure, e);
      }
    }
    try {
      volumes.removeLeftovers();
    } catch (IOException e) {
      failure = first(failure, e);
    }
    if (failure != null) throw failure;
  }

  private static IOException first(IOException failure, Exception e) {
    IOException wrapped = e instanceof IOException io ? io : new IOException(e);
    if (failure == null) return wrapped;
    failure.addSuppressed(wrapped);
    return failure;
  }
}
