package dev.moat.sandbox;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Starts sandbox processes from one platform thread that lives as long as the JVM.
 *
 * <p>Why: bwrap's {@code --die-with-parent} uses {@code PR_SET_PDEATHSIG}, and Linux sends that
 * signal when the <em>thread</em> that forked the process exits, not the process (and if that
 * thread ended before the signal was armed, the child is handed to another JVM thread, whose end
 * then kills it). Measured here: a bwrap started from a thread that then ended got SIGKILL (exit
 * 137). Virtual threads make this worse, since their carrier threads come and go. Forking from this
 * one thread ties the death signal to the JVM's life only, which is what we want: if the agent dies,
 * its sandboxes die with it.
 *
 * <p>Thread-safe; calls are serialised on the spawner thread.
 *
 * <p>Public only so that the other tiers' packages ({@code oci}) share it; not part of the Sandbox API.
 */
public final class ProcessSpawner {
  private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(
      task -> Thread.ofPlatform().name("moat-sandbox-spawner").daemon().unstarted(task));

  private ProcessSpawner() {}

  /**
   * Starts {@code builder} on the spawner thread. Waits uninterruptibly (a start takes
   * milliseconds, and abandoning it would leak the process) and restores the interrupt flag.
   */
  public static Process start(ProcessBuilder builder) throws IOException {
    Future<Process> started = THREAD.submit(builder::start);
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return started.get();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) throw new IOException(io.getMessage(), io);
      if (cause instanceof RuntimeException re) throw re;
      if (cause instanceof Error error) throw error;
      throw new IOException("cannot start " + builder.command().getFirst(), cause);
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  /**
   * Writes {@code data} to the process's stdin and closes it, on a virtual thread so that a large
   * environment never blocks the exec; a process that died before reading it fails on its own.
   * This is how the tiers hand a step its environment without argv or a file.
   */
  public static void feed(Process process, byte[] data, String name) {
    Thread.ofVirtual().name(name + "-stdin").start(() -> {
      try (var in = process.getOutputStream()) {
        in.write(data);
      } catch (IOException e) {
        // The process ended before it read its input; its exit status says why.
      }
    });
  }
}
