package dev.moat.sandbox.oci;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.ExecResult.LimitHit;
import dev.moat.sandbox.ExecResult.Outcome;
import dev.moat.sandbox.OutputPump;
import dev.moat.sandbox.OutputSink;
import dev.moat.sandbox.ProcessSpawner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exec: a foreground {@code runc run} (our child), the container it makes, and the pump that
 * reads their output from the sandbox's FIFO.
 *
 * <p>runc passes its own stdio to the container's process, which is pid 1 of a new pid namespace;
 * runc exits with that process's status and keeps the stopped container ({@code --keep}), so that
 * its cgroup's counters can be read before this removes it. When pid 1 dies the kernel kills
 * the rest of the namespace, and end of output on the FIFO means that every process that held it is
 * gone (the same contract as the bwrap tier's {@code BwrapRun}).
 *
 * <p>Termination is {@code runc kill ID KILL} (pid 1, hence the namespace), retried until runc
 * exits, which also covers the moment before runc has created the container; then
 * {@code runc delete --force}, which kills by cgroup whatever could remain. Never by pid or name.
 *
 * <p>Thread-safety: {@link #await} runs on the exec thread; {@link #terminate} may run on any
 * thread, also concurrently with itself.
 */
final class OciRun {
  private static final Logger LOG = LoggerFactory.getLogger(OciRun.class);
  private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);
  private static final Duration KILL_GRACE = Duration.ofSeconds(5);

  private final Runc runc;
  private final String id;
  private final Process monitor;
  private final OutputPump pump;
  private final AtomicReference<Outcome> forced = new AtomicReference<>();

  private OciRun(Runc runc, String id, Process monitor, OutputPump pump) {
    this.runc = runc;
    this.id = id;
    this.monitor = monitor;
    this.pump = pump;
  }

  /**
   * Starts container {@code id} from {@code bundle}, {@code stdin} fed to its stdin (then closed),
   * its output into {@code sink} through {@code fifo}.
   */
  static OciRun start(Runc runc, Path bundle, String id, byte[] stdin, Path fifo, OutputSink sink) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(runc.runArgv(bundle, id))
        .redirectInput(ProcessBuilder.Redirect.PIPE)
        .redirectOutput(ProcessBuilder.Redirect.to(fifo.toFile()))
        .redirectErrorStream(true);
    builder.environment().clear(); // nothing of the agent's environment reaches runc or the job
    // Same FIFO dance as BwrapRun: a read-write open never blocks, and closing it after the start
    // leaves runc and the container as the only writers.
    try (FileChannel _ = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      InputStream in = Files.newInputStream(fifo);
      OutputPump pump = OutputPump.start("moat-oci-output-" + id, in, sink);
      Process monitor = ProcessSpawner.start(builder);
      ProcessSpawner.feed(monitor, stdin, "moat-oci-" + id);
      return new OciRun(runc, id, monitor, pump);
    }
  }

  /** Reads which limits the stopped container hit, from its cgroup. */
  @FunctionalInterface
  interface HitsReader {
    Set<LimitHit> read() throws IOException;
  }

  /**
   * Waits until the container and everything in it ended, or until {@code deadline}, when it kills
   * the container; then reads its limit hits with {@code hits} and deletes it. Interruption kills,
   * returns KILLED and restores the interrupt flag.
   */
  ExecResult await(Instant deadline, InstantSource clock, HitsReader hits) throws IOException {
    boolean interrupted = false;
    try {
      while (true) {
        Duration left = Duration.between(clock.instant(), deadline);
        if (!left.isPositive()) {
          terminate(Outcome.TIMED_OUT);
          break;
        }
        try {
          if (monitor.waitFor(left.toNanos(), TimeUnit.NANOSECONDS)) break;
        } catch (InterruptedException e) {
          interrupted = true;
          terminate(Outcome.KILLED);
          break;
        }
      }
      interrupted |= awaitDrained();
      Set<LimitHit> hit = readHits(hits);
      removeContainer();
      pump.rethrowFailure();
      Outcome why = forced.get();
      ExecResult result = why == null ? new ExecResult(Outcome.EXITED, monitor.exitValue()) : new ExecResult(why, -1);
      return result.withLimitsHit(hit);
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  /** Kills the container and waits (briefly) for runc to exit. The first reason wins. Idempotent. */
  void terminate(Outcome why) {
    forced.compareAndSet(null, why);
    boolean interrupted = false;
    long giveUp = System.nanoTime() + KILL_GRACE.toNanos();
    while (monitor.isAlive() && System.nanoTime() - giveUp < 0) {
      try {
        runc.kill(id); // fails harmlessly while the container does not exist yet
      } catch (IOException e) {
        LOG.warn("runc kill failed: id={}", id, e);
      }
      try {
        monitor.waitFor(10, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (monitor.isAlive()) {
      LOG.warn("runc still running {} after killing container {}; deleting it by force", KILL_GRACE, id);
      try {
        runc.delete(id);
      } catch (IOException e) {
        LOG.warn("runc delete failed: id={}", id, e);
      }
      monitor.destroyForcibly();
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  /** None when the container never got a cgroup (runc failed before) or it is already gone. */
  private Set<LimitHit> readHits(HitsReader hits) {
    try {
      return hits.read();
    } catch (IOException e) {
      LOG.debug("no limit counters for container {}: {}", id, e.getMessage());
      return Set.of();
    }
  }

  /** runc run keeps the stopped container ({@code --keep}), and it may survive a kill: delete it. */
  private void removeContainer() throws IOException {
    if (runc.exists(id)) runc.delete(id);
  }

  private boolean awaitDrained() throws IOException {
    boolean interrupted = false;
    long giveUp = System.nanoTime() + DRAIN_GRACE.toNanos();
    while (true) {
      try {
        long left = giveUp - System.nanoTime();
        if (pump.awaitDrained(Duration.ofNanos(Math.max(left, 0)))) return interrupted;
        pump.abandon();
        runc.delete(id);
        throw new IOException("container " + id + " output still open " + DRAIN_GRACE + " after runc exited");
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
  }
}
