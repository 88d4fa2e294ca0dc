package dev.moat.sandbox;

import dev.moat.sandbox.ExecResult.Outcome;
import dev.moat.sandbox.net.JobNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A job's bwrap sandbox: every {@link #exec} runs in a fresh set of namespaces over the same
 * workspace, so only the workspace carries state from one step to the next ({@code /tmp} does
 * not).
 *
 * <p>When exec returns, the command has ended and so has every process that still held its output;
 * the sandbox's pid 1 is dead, so the kernel kills whatever else remains. After a kill or timeout
 * even those are gone, because bwrap only exits after reaping pid 1, which the kernel lets exit
 * only once its namespace is empty. After a normal exit, a process that had closed its output may
 * still be dying for a moment.
 *
 * <p>After {@link #kill()} (or {@link #close()}), every later exec returns {@link Outcome#KILLED}
 * at once without starting anything, so that a cancelled job's remaining steps fall through. A
 * timeout ends only that exec. Interrupting the thread blocked in exec also ends only that exec: it
 * returns KILLED with the interrupt flag set, and the sandbox stays usable.
 *
 * <p>With a job cgroup, every exec is started through its join prefix, so all steps share the job's
 * limits; the result names the limits that were enforced during the exec; a kill or timeout empties
 * the cgroup as a backstop to the pid namespace; and close removes it.
 *
 * <p>Thread-safety: as {@link Sandbox}. A {@link ReentrantLock} guards the running exec and the
 * killed flag; it is held while a process starts, so a kill either sees the new process or the
 * exec sees the kill.
 */
final class BwrapSandbox implements Sandbox {
  private static final ExecResult KILLED = new ExecResult(Outcome.KILLED, -1);

  private final SandboxSpec spec;
  private final BwrapCommand.SandboxUser user;
  private final HostLayout host;
  private final Path workspace;
  private final SandboxScratch scratch;
  private final Path seccompProgram;
  private final SandboxCgroup cgroup;
  private final JobNetwork network;
  private final InstantSource clock;
  private final Path ctxSocket;
  private final ReentrantLock lock = new ReentrantLock();
  private BwrapRun running;
  private boolean killed;
  private boolean closed;

  BwrapSandbox(SandboxSpec spec, BwrapCommand.SandboxUser user, HostLayout host, Path workspace,
      SandboxScratch scratch, Path seccompProgram, SandboxCgroup cgroup, JobNetwork network, Path ctxSocket,
      InstantSource clock) {
    this.ctxSocket = ctxSocket;
    this.spec = spec;
    this.user = user;
    this.host = host;
    this.workspace = workspace;
    this.scratch = scratch;
    this.seccompProgram = seccompProgram;
    this.cgroup = cgroup;
    this.network = network;
    this.clock = clock;
  }

  @Override
  public ExecResult exec(List<String> argv, Map<String, String> env, OutputSink output, Instant deadline)
      throws IOException {
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(deadline, "deadline");
    BwrapCommand command = new BwrapCommand(user, host, workspace, scratch.etcDir(), hostname(), env, argv,
        network != null, seccompProgram, ctxSocket, ctxSocket == null ? null : spec.ctxHelper());
    // Outermost the cgroup join, then nsenter into the job's netns, both as root, then setpriv.
    List<String> inNetns = network == null ? command.argv() : network.enter().wrap(command.argv());
    List<String> hostArgv = cgroup == null ? inNetns : cgroup.join().wrap(inNetns);
    LimitCounters before;
    BwrapRun run;
    lock.lock();
    try {
      if (killed) return KILLED;
      if (!deadline.isAfter(clock.instant())) return new ExecResult(Outcome.TIMED_OUT, -1);
      before = counters();
      run = BwrapRun.start(hostArgv, command.envArgs(), scratch.outputFifo(), output, "moat-bwrap-output-" + spec.id());
      running = run;
    } finally {
      lock.unlock();
    }
    try {
      ExecResult result = run.await(deadline, clock);
      if (result.outcome() != Outcome.EXITED) emptyCgroup();
      return before == null ? result : cgroup.withLimitsHit(result, before);
    } finally {
      lock.lock();
      try {
        running = null;
      } finally {
        lock.unlock();
      }
    }
  }

  @Override
  public void kill() {
    BwrapRun run;
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
    if (!removed) emptyCgroup();
  }

  /** The cgroup's counters, or null without a cgroup. */
  private LimitCounters counters() throws IOException {
    return cgroup == null ? null : cgroup.counters();
  }

  /** Kills whatever of the job escaped its pid namespace's reach (nothing should). */
  private void emptyCgroup() {
    if (cgroup != null) cgroup.empty();
  }

  @Override
  public void close() {
    kill();
    lock.lock();
    try {
      if (closed) return;
      closed = true;
      IOException failure = null;
      try {
        scratch.delete();
      } catch (IOException e) {
        failure = e;
      }
      if (cgroup != null) {
        try {
          cgroup.close();
        } catch (IOException e) {
          if (failure == null) failure = e;
          else failure.addSuppressed(e);
        }
      }
      // Teardown of the netns and veth takes ~50 ms: off the job's critical path.
      if (network != null) network.closeInBackground();
      if (failure != null) throw new UncheckedIOException("cannot clean up sandbox " + spec.id(), failure);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public java.util.Optional<Path> ctxSocket() {
    return java.util.Optional.ofNullable(ctxSocket);
  }

  @Override
  public long egressDenials() throws IOException {
    return network == null ? 0 : network.denials();
  }

  /** The sandbox's network namespace, or null when it has only bwrap's empty one. */
  JobNetwork network() {
    return network;
  }

  String hostname() {
    return "moat-" + spec.id();
  }

  @Override
  public String toString() {
    return "BwrapSandbox[" + spec.id() + "]";
  }
}
