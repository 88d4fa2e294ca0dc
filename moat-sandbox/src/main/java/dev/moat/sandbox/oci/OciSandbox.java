package dev.moat.sandbox.oci;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.ExecResult.LimitHit;
import dev.moat.sandbox.ExecResult.Outcome;
import dev.moat.sandbox.LimitCounters;
import dev.moat.sandbox.OutputSink;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.SandboxCgroup;
import dev.moat.sandbox.SandboxScratch;
import dev.moat.sandbox.net.JobNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A job's oci sandbox: every {@link #exec} runs a fresh runc container (id
 * {@code <prefix>-<n>}) over the same read-only image and the same workspace, so only the
 * workspace carries state between steps. The sandbox's scratch directory is the runc bundle:
 * {@code config.json} (rewritten per exec, mode 0600), the generated {@code passwd}, {@code group}
 * and {@code hosts}, and the output FIFO.
 *
 * <p>With a {@link JobNetwork}, every step's container joins the job's network namespace
 * ({@link JobNetwork#netnsPath()}), so all steps share the job's filtered egress and its denial
 * count; close tears the network down in the background, after the containers are gone.
 *
 * <p>Kill, timeout and interrupt behave as in the bwrap tier: kill ends the running container and
 * every later exec returns KILLED; a timeout or interrupt ends only that exec.
 *
 * <p>Thread-safety: as {@link Sandbox}; a {@link ReentrantLock} guards the running exec and the
 * killed flag and is held while a container starts, so a kill either sees it or the exec sees the
 * kill.
 */
final class OciSandbox implements Sandbox {
  private static final ExecResult KILLED = new ExecResult(Outcome.KILLED, -1);

  private final String prefix;
  private final Runc runc;
  private final StepTemplate template;
  private final SandboxScratch scratch;
  private final SandboxCgroup cgroup;
  private final JobNetwork network;
  private final InstantSource clock;
  private final ReentrantLock lock = new ReentrantLock();
  private int execs;
  private OciRun running;
  private boolean killed;
  private boolean closed;

  /**
   * What every step's container shares; the command and environment are added per exec.
   *
   * @param netns the job's network namespace to join, or null for a new empty one per step
   * @param ctxSocket the host path of the job's ctx socket, or null without one
   * @param ctxHelper the {@code moat-ctx} binary, set exactly when {@code ctxSocket} is
   */
  record StepTemplate(Path rootfs, Path workspace, String hostname, int uid, int gid, String jobCgroup,
      OciLimits limits, Path netns, Path ctxSocket, Path ctxHelper) {
    StepContainer step(List<String> argv, Map<String, String> env, Path etcDir, String containerId) {
      return new StepContainer(argv, env, rootfs, workspace, etcDir, hostname, uid, gid, netns,
          jobCgroup + "/" + containerId, limits, ctxSocket, ctxHelper);
    }
  }

  /**
   * @param cgroup the job cgroup that every step's container nests in ({@code template} names it)
   * @param network the job's network, whose namespace {@code template} joins, or null
   */
  OciSandbox(String prefix, Runc runc, StepTemplate template, SandboxScratch scratch, SandboxCgroup cgroup,
      JobNetwork network, InstantSource clock) {
    this.prefix = prefix;
    this.runc = runc;
    this.template = template;
    this.scratch = scratch;
    this.cgroup = cgroup;
    this.network = network;
    this.clock = clock;
  }

  @Override
  public ExecResult exec(List<String> argv, Map<String, String> env, OutputSink output, Instant deadline)
      throws IOException {
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(deadline, "deadline");
    OciRun run;
    String id;
    LimitCounters before;
    lock.lock();
    try {
      if (killed) return KILLED;
      if (!deadline.isAfter(clock.instant())) return new ExecResult(Outcome.TIMED_OUT, -1);
      before = cgroup.counters();
      id = prefix + "-" + (++execs);
      byte[] stdin;
      if (template.ctxSocket() == null) {
        writeConfig(template.step(argv, env, scratch.etcDir(), id));
        stdin = new byte[0];
      } else {
        // The environment goes through stdin to moat-ctx --exec-env: never into config.json on disk.
        List<String> wrapped = new java.util.ArrayList<>(List.of(SandboxSpec.CTX_HELPER, "--exec-env"));
        wrapped.addAll(argv);
        writeConfig(template.step(wrapped, Map.of(), scratch.etcDir(), id));
        stdin = envEntries(env);
      }
      run = OciRun.start(runc, scratch.etcDir(), id, stdin, scratch.outputFifo(), output);
      running = run;
    } finally {
      lock.unlock();
    }
    try {
      // v1 counts a step's hits in its container's cgroup, v2 also in the job's: read both.
      ExecResult result = run.await(deadline, clock, () -> cgroup.nestedHits(id));
      if (result.outcome() != Outcome.EXITED) cgroup.empty();
      Set<LimitHit> hits = EnumSet.noneOf(LimitHit.class);
      hits.addAll(result.limitsHit());
      hits.addAll(cgroup.withLimitsHit(result, before).limitsHit());
      return result.withLimitsHit(hits);
    } finally {
      lock.lock();
      try {
        running = null;
      } finally {
        lock.unlock();
      }
    }
  }

  /** {@code NAME=VALUE} entries, each ended by NUL, as {@code moat-ctx --exec-env} reads them. */
  static byte[] envEntries(Map<String, String> env) {
    var out = new java.io.ByteArrayOutputStream();
    new java.util.TreeMap<>(env).forEach((k, v) -> {
      if (k.isEmpty() || k.indexOf('=') >= 0 || k.indexOf('\0') >= 0 || v.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("bad environment entry: " + k);
      }
      out.writeBytes((k + "=" + v).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.write(0);
    });
    return out.toByteArray();
  }

  @Override
  public java.util.Optional<Path> ctxSocket() {
    return java.util.Optional.ofNullable(template.ctxSocket());
  }

  private void writeConfig(StepContainer step) throws IOException {
    Path tmp = scratch.etcDir().resolve("config.json.tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, step.config().toJson());
    Files.move(tmp, scratch.etcDir().resolve("config.json"), StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public void kill() {
    OciRun run;
    boolean removed;
    lock.lock();
    try {
      killed = true;
      run = running;
      removed = closed;
    } finally {
      lock.unlock();
    }
    if (run != null) run.terminate(Outcome.KILLED);
    if (!removed) cgroup.empty();
  }

  /**
   * Kills what runs; the exec thread removes its container, so close only waits and cleans up.
   * The job network goes last, in the background (its teardown takes ~50 ms), even when removing
   * a container or the bundle failed.
   */
  @Override
  public void close() {
    kill();
    lock.lock();
    try {
      if (closed) return;
      closed = true;
      try {
        for (int n = 1; n <= execs; n++) {
          String id = prefix + "-" + n;
          if (runc.exists(id)) runc.delete(id); // only after a crash of the exec thread
        }
        scratch.delete();
        cgroup.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot clean up oci sandbox " + prefix, e);
      } finally {
        if (network != null) network.closeInBackground();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long egressDenials() throws IOException {
    return network == null ? 0 : network.denials();
  }

  /** The job's network, or null when every step has a new empty namespace. */
  JobNetwork network() {
    return network;
  }

  /** The name of the job cgroup that every step's container nests in. */
  String cgroupName() {
    return cgroup.name();
  }

  /** Container ids of this sandbox are this prefix, a dash and the exec's number. */
  String containerPrefix() {
    return prefix;
  }

  @Override
  public String toString() {
    return "OciSandbox[" + prefix + "]";
  }
}
