package dev.moat.common.mask;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Masks secret values in a byte stream that arrives in arbitrary pieces (invariant I8): every form
 * of every value ({@link SecretForms}) is replaced by {@link #MASK}, also when a match is split
 * across writes or chunk boundaries. It holds back only the tail that could still be the start of
 * a match (at most the longest form minus one byte), so output is never more than that behind.
 *
 * <p>Overlapping matches are replaced by one mask; touching ones by one mask each, so that the
 * output is the same however the stream was cut into pieces. Not thread-safe: one per stream.
 */
public final class StreamMasker {
  public static final byte[] MASK = "***".getBytes(StandardCharsets.US_ASCII);

  private final PatternSet patterns;
  private byte[] held = new byte[0];

  /** A masker for {@code secrets}; with none, it passes everything through at once. */
  public StreamMasker(Collection<String> secrets) {
    List<byte[]> all = new ArrayList<>();
    for (String s : secrets) all.addAll(SecretForms.of(s));
    this.patterns = new PatternSet(all);
  }

  /** The masked bytes of {@code chunk} that are safe to emit now (possibly fewer than given). */
  public byte[] feed(byte[] chunk, int offset, int length) {
    byte[] buffer = Arrays.copyOf(held, held.length + length);
    System.arraycopy(chunk, offset, buffer, held.length, length);
    return emit(buffer, false);
  }

  public byte[] feed(byte[] chunk) {
    return feed(chunk, 0, chunk.length);
  }

  /** Everything held back, masked: call at the end of the stream. */
  public byte[] finish() {
    byte[] out = emit(held, true);
    held = new byte[0];
    return out;
  }

  /** Whether bytes are held back waiting for what follows. */
  public boolean holding() {
    return held.length > 0;
  }

  private byte[] emit(byte[] buffer, boolean last) {
    // Masked intervals [start, end), merged when they overlap.
    List<int[]> masked = new ArrayList<>();
    int state = PatternSet.start();
    for (int i = 0; i < buffer.length; i++) {
      state = patterns.step(state, buffer[i]);
      int len = patterns.longestMatch(state);
      if (len > 0) add(masked, i + 1 - len, i + 1);
    }
    // Bytes from here on may still grow into a match; a match that reaches past it is held whole.
    int cut = last ? buffer.length : buffer.length - patterns.depth(state);
    for (int[] m : masked) {
      if (m[0] < cut && m[1] > cut) cut = m[0];
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(cut + MASK.length);
    int at = 0;
    for (int[] m : masked) {
      if (m[1] > cut) break;
      out.write(buffer, at, m[0] - at);
      out.write(MASK, 0, MASK.length);
      at = m[1];
    }
    out.write(buffer, at, cut - at);
    held = Arrays.copyOfRange(buffer, cut, buffer.length);
    return out.toByteArray();
  }

  private static void add(List<int[]> masked, int start, int end) {
    // Matches arrive in order of their end; merge back while the new one overlaps an earlier one.
    while (!masked.isEmpty() && masked.getLast()[1] > start) {
      int[] last = masked.removeLast();
      start = Math.min(start, last[0]);
      end = Math.max(end, last[1]);
    }
    masked.add(new int[] {start, end});
  }
}
