package dev.moat.sandbox.escape;

import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.SandboxTier;
import dev.moat.sandbox.disk.WorkspaceVolume;
import dev.moat.sandbox.disk.WorkspaceVolumes;
import dev.moat.sandbox.escape.TierUnderTest.JobEgress;
import dev.moat.sandbox.image.TreeDeletion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Opens {@link JobUnderAttack jobs} for a test class, all under one scratch directory of its own
 * (sandbox scratch, bundles and a {@link WorkspaceVolumes} root), and after each test (or, with
 * {@link #perClass()}, after all of them) destroys whatever is still open, every volume left
 * under the root and the directory. Register it as a {@code @RegisterExtension} field. Job and
 * volume ids carry this JVM's pid, so two checkouts' runs on one host never share a name.
 *
 * <p>Thread-safe for {@link #open} from several threads.
 */
final class AttackedJobs implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private final boolean perClass;
  private final List<JobUnderAttack> open = new ArrayList<>();
  private Path scratch;
  private WorkspaceVolumes volumes;

  private AttackedJobs(boolean perClass) {
    this.perClass = perClass;
  }

  /** Jobs that live for one test. */
  static AttackedJobs perTest() {
    return new AttackedJobs(false);
  }

  /** Jobs that live until the class's last test ran (the test class must be {@code PER_CLASS}). */
  static AttackedJobs perClass() {
    return new AttackedJobs(true);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    if (perClass) start();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    if (!perClass) start();
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    if (!perClass) close();
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    if (perClass) close();
  }

  private void start() throws IOException {
    scratch = TierUnderTest.searchable(Files.createTempDirectory("moat-escape-"));
    volumes = new WorkspaceVolumes(scratch.resolve("volumes"));
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

  /** Closes every job still open, removes every volume, then the scratch; rethrows the first failure. */
  private void close() throws IOException {
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
      TreeDeletion.delete(scratch);
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
