package dev.moat.common.tar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a POSIX (ustar + pax) tar stream: regular files, directories and symlinks, the subset a git
 * tree needs. Long or non-ASCII names go into pax {@code path}/{@code linkpath} records (UTF-8, as pax
 * requires), and the ustar header keeps a printable-ASCII stand-in. Not thread-safe.
 */
public final class TarWriter implements AutoCloseable {
  static final int BLOCK = 512;
  private final OutputStream out;
  private boolean finished;

  public TarWriter(OutputStream out) {
    this.out = out;
  }

  public void directory(String path) throws IOException {
    header(path.endsWith("/") ? path : path + "/", "", 0, 0755, '5');
  }

  public void symlink(String path, String target) throws IOException {
    header(path, target, 0, 0777, '2');
  }

  /** Writes a regular file of exactly {@code size} bytes read from {@code content}. */
  public void file(String path, long size, boolean executable, InputStream content) throws IOException {
    header(path, "", size, executable ? 0755 : 0644, '0');
    long copied = content.transferTo(out);
    if (copied != size) throw new IOException(path + ": expected " + size + " bytes, read " + copied);
    pad(size);
  }

  public void file(String path, byte[] content, boolean executable) throws IOException {
    file(path, content.length, executable, new java.io.ByteArrayInputStream(content));
  }

  /** Writes the two zero blocks that end an archive and flushes; does not close the stream. */
  public void finish() throws IOException {
    if (finished) return;
    finished = true;
    out.write(new byte[BLOCK * 2]);
    out.flush();
  }

  @Override
  public void close() throws IOException {
    finish();
  }

  private void header(String path, String link, long size, int mode, char type) throws IOException {
    if (needsPax(path) || needsPax(link)) {
      byte[] pax = paxRecords(path, link);
      out.write(block("././@PaxHeader", "", pax.length, 0644, 'x'));
      out.write(pax);
      pad(pax.length);
    }
    out.write(block(ustarName(path), ustarName(link), size, mode, type));
  }

  private static boolean needsPax(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length >= 100 || !s.matches("[ -~]*");
  }

  /** The name itself when it fits the ustar field; otherwise a printable-ASCII stand-in of 99 bytes at most. */
  private static String ustarName(String s) {
    if (!needsPax(s)) return s;
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return new String(b, 0, Math.min(b.length, 99), StandardCharsets.US_ASCII).replaceAll("[^ -~]", "_");
  }

  private static byte[] paxRecords(String path, String link) {
    var sb = new StringBuilder();
    sb.append(paxRecord("path", path));
    if (!link.isEmpty()) sb.append(paxRecord("linkpath", link));
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A pax record is "LEN key=value\n" where LEN counts the whole record, itself included. */
  static String paxRecord(String key, String value) {
    int body = (" " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8).length;
    int len = body + Integer.toString(body).length();
    if (Integer.toString(len).length() != Integer.toString(body).length()) len++;
    return len + " " + key + "=" + value + "\n";
  }

  private static byte[] block(String name, String link, long size, int mode, char type) {
    byte[] h = new byte[BLOCK];
    put(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
    octal(h, 100, 8, mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, 0);
    h[156] = (byte) type;
    put(h, 157, 100, link.getBytes(StandardCharsets.UTF_8));
    put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
    put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
    java.util.Arrays.fill(h, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : h) sum += b & 0xff;
    octal(h, 148, 7, sum);
    return h;
  }

  private static void put(byte[] h, int at, int max, byte[] value) {
    System.arraycopy(value, 0, h, at, Math.min(max, value.length));
  }

  private static void octal(byte[] h, int at, int width, long value) {
    String s = Long.toOctalString(value);
    if (s.length() > width - 1) throw new IllegalArgumentException("value too large for tar field: " + value);
    s = "0".repeat(width - 1 - s.length()) + s;
    put(h, at, width - 1, s.getBytes(StandardCharsets.US_ASCII));
  }

  private void pad(long size) throws IOException {
    int rest = (int) (size % BLOCK);
    if (rest != 0) out.write(new byte[BLOCK - rest]);
  }
}
