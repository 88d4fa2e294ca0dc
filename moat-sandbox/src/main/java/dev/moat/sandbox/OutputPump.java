package dev.moat.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Copies one sandbox command's output into an {@link OutputSink} on its own platform thread, until
 * end of stream, i.e. until every process that held the write end has closed it or died.
 *
 * <p>Not a virtual thread: a blocking read of a FIFO pins its carrier on JDK 25, and with as many
 * quiet sandboxes as cores every carrier was pinned, freezing every virtual thread of the agent
 * (its polls and heartbeats included).
 *
 * <p>If the sink throws, the pump keeps draining (so the sandbox never blocks on a full pipe) and
 * discards the rest; {@link #rethrowFailure()} then reports the sink's exception. Thread-safe.
 *
 * <p>Public only so that the other tiers' packages ({@code oci}) share it; not part of the Sandbox API.
 */
public final class OutputPump {
  private static final int BUFFER = 16 * 1024;

  private final Thread thread;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  private OutputPump(String name, InputStream in, OutputSink sink) {
    this.thread = Thread.ofPlatform().daemon().name(name).unstarted(() -> pump(in, sink));
  }

  public static OutputPump start(String name, InputStream in, OutputSink sink) {
    OutputPump pump = new OutputPump(name, in, sink);
    pump.thread.start();
    return pump;
  }

  /** Waits until the stream ended; false if it is still open after {@code timeout}. */
  public boolean awaitDrained(Duration timeout) throws InterruptedException {
    return thread.join(timeout);
  }

  /** Unblocks and ends a pump whose stream does not close (its channel closes on interrupt). */
  public void abandon() {
    thread.interrupt();
  }

  /** Throws what went wrong while reading or delivering output, if anything did. */
  public void rethrowFailure() throws IOException {
    Throwable t = failure.get();
    if (t instanceof IOException io) throw new IOException("reading sandbox output failed", io);
    if (t != null) throw new IOException("output sink failed", t);
  }

  private void pump(InputStream in, OutputSink sink) {
    try (in) {
      byte[] buffer = new byte[BUFFER];
      for (int n; (n = in.read(buffer)) != -1; ) {
        if (failure.get() != null) continue;
        try {
          sink.write(buffer, 0, n);
        } catch (RuntimeException e) {
          failure.compareAndSet(null, e);
        }
      }
    } catch (IOException e) {
      failure.compareAndSet(null, e);
    }
  }
}
