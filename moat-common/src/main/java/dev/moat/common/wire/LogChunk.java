package dev.moat.common.wire;

import java.util.Objects;

/**
 * A piece of a job's log. Sequence numbers start at 0 and have no gaps; the server stores each
 * number once, so resending a chunk is harmless.
 */
public record LogChunk(long seq, String data) {
  /** Largest chunk the server accepts, in UTF-16 chars. */
  public static final int MAX_CHARS = 64 * 1024;

  public LogChunk {
    if (seq < 0) throw new IllegalArgumentException("seq must be >= 0");
    Objects.requireNonNull(data, "data");
    if (data.length() > MAX_CHARS) throw new IllegalArgumentException("chunk too large");
  }
}
