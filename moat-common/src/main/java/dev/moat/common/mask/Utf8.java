package dev.moat.common.mask;

/** Cutting UTF-8 byte streams without splitting a character (log chunks, masked output). */
public final class Utf8 {
  private Utf8() {}

  /** The largest index <= limit that does not split a UTF-8 sequence. */
  public static int boundary(byte[] b, int limit) {
    if (limit == 0) return 0;
    int lead = limit - 1;
    while (lead > 0 && limit - 1 - lead < 3 && (b[lead] & 0xC0) == 0x80) lead--;
    int first = b[lead] & 0xFF;
    // A byte that can't start a character (continuation, 0xF8..0xFF) is never completed: don't hold it back.
    int length = first < 0xC0 ? 1 : first < 0xE0 ? 2 : first < 0xF0 ? 3 : first < 0xF8 ? 4 : 1;
    return lead + length <= limit ? limit : lead;
  }
}
