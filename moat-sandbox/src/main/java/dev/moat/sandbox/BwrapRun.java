package dev.moat.sandbox;

import dev.moat.sandbox.ExecResult.Outcome;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exec: the bwrap process (the "monitor", in the host pid namespace), the pid namespace it
 * creates, and the pump that reads their output from the sandbox's FIFO.
 *
 * <p>Process tree: monitor (our child, setpriv exec'd into bwrap) &rarr; pid 1 of the job's pid
 * namespace (bwrap's reaper) &rarr; the command and everything it starts. The monitor exits with the
 * command's status once the command exits; pid 1 then gets SIGKILL ({@code --die-with-parent}),
 * and when pid 1 of a pid namespace dies the kernel kills every process in it. Pid 1 holds the
 * FIFO's write end until it exits, so end of output means that the command, pid 1 and every process
 * still holding the output are gone, and the kernel is killing any others.
 *
 * <p>Termination kills pid 1 of the namespace, never single job processes and never by name; the
 * monitor then exits only after reaping pid 1, which the kernel allows only once the namespace is
 * empty.
 *
 * <p>Thread-safety: {@link #await} runs on the exec thread; {@link #terminate} may run on any
 * thread, also concurrently with itself.
 */
final class BwrapRun {
  private static final Logger LOG = LoggerFactory.getLogger(BwrapRun.class);
  /** How long after the monitor ended the output may take to close. Normally microseconds. */
  private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);
  /** How long killing the namespace may take before the monitor itself is killed. */
  private static final Duration KILL_GRACE = Duration.ofSeconds(2);

  private final Process monitor;
  private final OutputPump pump;
  private final AtomicReference<Outcome> forced = new AtomicReference<>();

  private BwrapRun(Process monitor, OutputPump pump) {
    this.monitor = monitor;
    this.pump = pump;
  }

  /**
   * Starts {@code argv} with an empty environment, {@code stdin} fed into its stdin through a pipe
   * (then closed) and stdout and stderr into {@code fifo}, and pumps the FIFO into {@code sink}.
   */
  static BwrapRun start(List<String> argv, byte[] stdin, Path fifo, OutputSink sink, String name) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(argv)
        .redirectInput(ProcessBuilder.Redirect.PIPE)
        .redirectOutput(ProcessBuilder.Redirect.to(fifo.toFile()))
        .redirectErrorStream(true);
    builder.environment().clear();
    // Opening a FIFO blocks until the other side opens too. A read-write open never blocks and
    // counts as a writer, so our read-only open and the JDK's write-only open (for the child) both
    // return at once. Closing that handle after the start leaves the sandbox's processes as the
    // only writers: the pump sees end of stream exactly when they are all gone (or, if the start
    // failed, at once).
    try (FileChannel _ = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      InputStream in = Files.newInputStream(fifo);
      OutputPump pump = OutputPump.start(name, in, sink);
      Process monitor = ProcessSpawner.start(builder);
      ProcessSpawner.feed(monitor, stdin, name);
      return new BwrapRun(monitor, pump);
    }
  }


  /**
   * Waits until the command and everything it started ended, or until {@code deadline}, when it
   * kills the sandbox. Interruption is treated as a cancel: it kills, returns KILLED and restores
   * the interrupt flag.
   */
  ExecResult await(Instant deadline, InstantSource clock) throws IOException {
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
      pump.rethrowFailure();
      Outcome why = forced.get();
      return why == null ? new ExecResult(Outcome.EXITED, monitor.exitValue()) : new ExecResult(why, -1);
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  /**
   * Kills every process of this exec and waits (briefly) until the monitor ended. The first reason
   * given wins. Safe to call at any time, also after the run ended.
   */
  void terminate(Outcome why) {
    forced.compareAndSet(null, why);
    boolean interrupted = false;
    long giveUp = System.nanoTime() + KILL_GRACE.toNanos();
    while (monitor.isAlive() && System.nanoTime() - giveUp < 0) {
      // The monitor's only child is pid 1 of the job's namespace; killing it kills the namespace,
      // and the monitor exits. Looping covers the instant before the monitor has cloned pid 1:
      // killing the monitor then could orphan a half-made namespace that nothing kills.
      monitor.children().forEach(ProcessHandle::destroyForcibly);
      try {
        monitor.waitFor(5, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (monitor.isAlive()) {
      LOG.warn("bwrap still running {} after killing its namespace; killing it: pid={}", KILL_GRACE, monitor.pid());
      monitor.destroyForcibly();
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  /** Waits for the pump; returns whether the thread was interrupted meanwhile. */
  private boolean awaitDrained() throws IOException {
    boolean interrupted = false;
    long giveUp = System.nanoTime() + DRAIN_GRACE.toNanos();
    while (true) {
      try {
        long left = giveUp - System.nanoTime();
        if (pump.awaitDrained(Duration.ofNanos(Math.max(left, 0)))) return interrupted;
        pump.abandon();
        throw new IOException("sandbox output still open " + DRAIN_GRACE + " after bwrap exited (pid "
            + monitor.pid() + "): some process outlived the sandbox");
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
  }
}
