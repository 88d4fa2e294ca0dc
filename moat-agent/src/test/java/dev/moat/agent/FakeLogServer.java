package dev.moat.agent;

import dev.moat.common.wire.LogBatch;
import dev.moat.common.wire.LogChunk;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * Stands in for the server's log endpoint: it stores a chunk only when its sequence number is the
 * next one expected and answers with that next number. It can be down (throws {@link
 * ServerClient.Unavailable}), lose acks (stores, then throws) or refuse ({@link ServerClient.Rejected}).
 * It also notes protocol violations: a batch that skips ahead of what is stored, or a chunk resent
 * with different data. Thread-safe.
 */
final class FakeLogServer implements LogShipper.Transport {
  private final ReentrantLock lock = new ReentrantLock();
  private final List<LogChunk> stored = new ArrayList<>();
  private final Map<Long, String> sent = new HashMap<>();
  private final List<String> violations = new ArrayList<>();
  private boolean down;
  private int acksToLose;
  private IOException refusal;
  private int calls;
  private int chunksSent;

  @Override
  public long send(LogBatch batch) throws IOException {
    lock.lock();
    try {
      calls++;
      check(batch);
      if (refusal != null) throw refusal;
      if (down) throw new ServerClient.Unavailable("server restarting", null);
      for (LogChunk chunk : batch.chunks()) if (chunk.seq() == stored.size()) stored.add(chunk);
      if (acksToLose > 0) {
        acksToLose--;
        throw new ServerClient.Unavailable("connection reset after the batch was stored", null);
      }
      return stored.size();
    } finally {
      lock.unlock();
    }
  }

  private void check(LogBatch batch) {
    List<LogChunk> chunks = batch.chunks();
    if (chunks.isEmpty()) violations.add("empty batch");
    else if (chunks.getFirst().seq() > stored.size()) violations.add("gap before seq " + chunks.getFirst().seq());
    for (int i = 0; i < chunks.size(); i++) {
      LogChunk chunk = chunks.get(i);
      chunksSent++;
      if (i > 0 && chunk.seq() != chunks.get(i - 1).seq() + 1) violations.add("batch not consecutive at " + chunk.seq());
      String before = sent.putIfAbsent(chunk.seq(), chunk.data());
      if (before != null && !before.equals(chunk.data())) violations.add("seq " + chunk.seq() + " resent with other data");
    }
  }

  void down(boolean down) {
    locked(() -> this.down = down);
  }

  void loseAcks(int count) {
    locked(() -> acksToLose = count);
  }

  void refuse(IOException refusal) {
    locked(() -> this.refusal = refusal);
  }

  int calls() {
    return locked(() -> calls);
  }

  int chunksSent() {
    return locked(() -> chunksSent);
  }

  List<LogChunk> chunks() {
    return locked(() -> List.copyOf(stored));
  }

  /** The stored log: every stored chunk's data, in order. */
  String log() {
    return locked(() -> stored.stream().map(LogChunk::data).collect(Collectors.joining()));
  }

  List<String> violations() {
    return locked(() -> List.copyOf(violations));
  }

  private <T> T locked(java.util.function.Supplier<T> read) {
    lock.lock();
    try {
      return read.get();
    } finally {
      lock.unlock();
    }
  }
}
