package dev.moat.agent;

import dev.moat.common.wire.LogBatch;
import dev.moat.common.wire.LogChunk;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a job's output bytes into numbered chunks and ships them until the server has acknowledged
 * every one. Chunks are cut on line ends when possible and always on UTF-8 character boundaries.
 * A chunk leaves the queue only when the server's ack says it is stored, so a reconnect resends
 * exactly what is missing: no gap, no duplicate. Thread-safe: {@link #write} from the output pump,
 * {@link #close} from the job thread, shipping on its own virtual thread.
 */
final class LogShipper implements AutoCloseable {
  interface Transport {
    /** Sends a batch; returns the server's next expected sequence number. */
    long send(LogBatch batch) throws java.io.IOException;
  }

  private static final Logger LOG = LoggerFactory.getLogger(LogShipper.class);
  private static final int CUT_BYTES = 32 * 1024;
  private static final long FLUSH_MILLIS = 50;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private final ArrayDeque<LogChunk> unacked = new ArrayDeque<>();
  private final Transport transport;
  private final Thread sender;
  private long nextSeq;
  private boolean closing;
  private boolean abandoned;

  LogShipper(Transport transport, String name) {
    this.transport = transport;
    // Its lines carry the job's log fields, as the creating thread's do.
    var fields = org.slf4j.MDC.getCopyOfContextMap();
    this.sender = Thread.ofVirtual().name("logs-" + name).start(() -> {
      if (fields != null) org.slf4j.MDC.setContextMap(fields);
      shipLoop();
    });
  }

  void write(byte[] buf, int off, int len) {
    lock.lock();
    try {
      if (abandoned) return; // nobody ships it any more: keeping it would only grow the heap
      boolean wasEmpty = pending.size() == 0;
      pending.write(buf, off, len);
      if (pending.size() >= CUT_BYTES) cut(false);
      else if (wasEmpty) changed.signalAll(); // start the flush timer of the idle sender
    } finally {
      lock.unlock();
    }
  }

  void line(String text) {
    byte[] b = (text + "\n").getBytes(StandardCharsets.UTF_8);
    write(b, 0, b.length);
  }

  /** Flushes and blocks until every chunk is acknowledged (or {@link #abandon} is called). */
  @Override
  public void close() throws InterruptedException {
    lock.lock();
    try {
      closing = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    sender.join();
  }

  /** Stops shipping (the server no longer accepts this job's log). */
  void abandon() {
    lock.lock();
    try {
      abandoned = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves pending bytes into chunks: up to the last line end, or all of them ({@code all}). A
   * character split at the end waits for its other bytes, unless the log is closing: then no more
   * bytes will come. Caller holds the lock.
   */
  private void cut(boolean all) {
    byte[] bytes = pending.toByteArray();
    int end = !all ? chunkEnd(bytes, 0, bytes.length) : closing ? bytes.length : utf8Boundary(bytes, bytes.length);
    int at = 0;
    while (at < end) {
      int to = end - at <= CUT_BYTES ? end : chunkEnd(bytes, at, at + CUT_BYTES);
      unacked.add(new LogChunk(nextSeq++, new String(bytes, at, to - at, StandardCharsets.UTF_8)));
      at = to;
    }
    pending.reset();
    pending.write(bytes, end, bytes.length - end);
    changed.signalAll();
  }

  /** Where a chunk from {@code from} ends, at most at {@code to}: after its last line end, else on a character boundary. */
  private static int chunkEnd(byte[] b, int from, int to) {
    for (int i = to - 1; i >= from; i--) if (b[i] == '\n') return i + 1;
    int boundary = utf8Boundary(b, to);
    return boundary > from ? boundary : to;
  }

  static int utf8Boundary(byte[] b, int limit) {
    return dev.moat.common.mask.Utf8.boundary(b, limit);
  }

  private void shipLoop() {
    long backoff = 50;
    while (true) {
      List<LogChunk> batch;
      lock.lock();
      try {
        while (!abandoned && unacked.isEmpty() && !(closing && pending.size() == 0)) {
          if (pending.size() > 0) {
            if (closing || !changed.await(FLUSH_MILLIS, TimeUnit.MILLISECONDS)) cut(true);
          } else {
            changed.await();
          }
        }
        if (abandoned || unacked.isEmpty()) return;
        batch = new ArrayList<>(unacked).subList(0, Math.min(unacked.size(), LogBatch.MAX_CHUNKS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
      try {
        acknowledge(transport.send(new LogBatch(batch)));
        backoff = 50;
      } catch (ServerClient.Rejected e) {
        LOG.atWarn().addKeyValue("error", e.getMessage()).log("server refused log chunks; dropping this job's log");
        abandon();
      } catch (java.io.IOException e) {
        backoff = pause(backoff);
      } catch (RuntimeException e) {
        // e.g. an unreadable ack: this thread would die and leave the log to pile up in memory.
        LOG.atError().setCause(e).log("log shipping failed; dropping this job's log");
        abandon();
      }
    }
  }

  private void acknowledge(long next) {
    lock.lock();
    try {
      while (!unacked.isEmpty() && unacked.peek().seq() < next) unacked.poll();
    } finally {
      lock.unlock();
    }
  }

  private long pause(long backoff) {
    lock.lock();
    try {
      if (!abandoned) changed.await(backoff, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
    return Math.min(backoff * 2, 2000);
  }
}
