package dev.moat.common.wire;

import java.util.List;

/** Consecutive log chunks, oldest first. */
public record LogBatch(List<LogChunk> chunks) {
  public static final int MAX_CHUNKS = 64;

  public LogBatch {
    chunks = List.copyOf(chunks);
    if (chunks.size() > MAX_CHUNKS) throw new IllegalArgumentException("too many chunks");
  }
}
