package dev.moat.common.tar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds tar streams header by header, including the malformed and hostile ones that {@link TarWriter}
 * refuses to produce: any type flag, any name, a wrong checksum, no end-of-archive marker.
 */
final class RawTar {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  RawTar file(String name, String content) {
    return entry('0', name, "", content.getBytes(StandardCharsets.UTF_8));
  }

  RawTar symlink(String name, String target) {
    return entry('2', name, target, new byte[0]);
  }

  RawTar entry(char type, String name, String link, byte[] data) {
    block(header(type, name, link, data.length));
    out.writeBytes(data);
    int rest = data.length % 512;
    if (rest != 0) out.writeBytes(new byte[512 - rest]);
    return this;
  }

  RawTar pax(String records) {
    return entry('x', "././@PaxHeader", "", records.getBytes(StandardCharsets.UTF_8));
  }

  RawTar block(byte[] block) {
    out.writeBytes(block);
    return this;
  }

  /** The stream so far, without an end-of-archive marker. */
  byte[] unterminated() {
    return out.toByteArray();
  }

  /** The stream so far and the two zero blocks that end an archive. */
  byte[] bytes() {
    byte[] body = out.toByteArray();
    return Arrays.copyOf(body, body.length + 1024);
  }

  /** A ustar header with a correct checksum. */
  static byte[] header(char type, String name, String link, long size) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, "0000644");
    put(h, 108, "0000000");
    put(h, 116, "0000000");
    put(h, 124, String.format("%011o", size));
    put(h, 136, "00000000000");
    h[156] = (byte) type;
    put(h, 157, link);
    put(h, 257, "ustar");
    put(h, 263, "00");
    return checksummed(h);
  }

  /** Recomputes a header's checksum, e.g. after a test edited a field. */
  static byte[] checksummed(byte[] h) {
    Arrays.fill(h, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : h) sum += b & 0xff;
    put(h, 148, String.format("%06o", sum));
    h[154] = 0;
    return h;
  }

  private static void put(byte[] h, int at, String value) {
    byte[] b = value.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(b, 0, h, at, b.length);
  }
}
