package dev.moat.server.event;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A broadcast wake-up for long polls: waiters remember the generation they last saw and sleep until
 * it changes or their time is up, so a signal between their check and their wait is never lost.
 * Thread-safe; cheap enough to signal on every state change.
 */
public final class Wakeup {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long generation;
  private boolean closed;

  public long generation() {
    lock.lock();
    try {
      return generation;
    } finally {
      lock.unlock();
    }
  }

  public void signalAll() {
    lock.lock();
    try {
      generation++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiter for good: later waits return at once (the server is stopping). */
  public void close() {
    lock.lock();
    try {
      closed = true;
      generation++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  public boolean closed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until the generation differs from {@code seen} or {@code max} has passed. Returns whether
   * it changed. Restores the interrupt flag and returns false when interrupted.
   */
  public boolean await(long seen, Duration max) {
    long nanos = max.toNanos();
    lock.lock();
    try {
      while (generation == seen && !closed) {
        if (nanos <= 0) return false;
        nanos = changed.awaitNanos(nanos);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }

  /** Convenience for callers that count in milliseconds. */
  public boolean await(long seen, long maxMillis) {
    return await(seen, Duration.of(maxMillis, TimeUnit.MILLISECONDS.toChronoUnit()));
  }
}
