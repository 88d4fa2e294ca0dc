package dev.moat.common.tar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

/**
 * Extracts an untrusted tar stream into a directory, refusing anything that would land outside it:
 * absolute names, {@code ..} segments, and writes through a symlink that an earlier entry made.
 * Symlinks are created as given (they only resolve inside the sandbox) but are never followed here.
 * Device nodes, hard links and other types are refused. Bounded in entries and bytes. Not thread-safe.
 */
public final class TarExtractor {
  private final Path root;
  private final long maxBytes;
  private final int maxEntries;
  private long bytes;
  private int entries;

  public TarExtractor(Path root, long maxBytes, int maxEntries) {
    this.root = root.toAbsolutePath().normalize();
    this.maxBytes = maxBytes;
    this.maxEntries = maxEntries;
  }

  /**
   * Extracts every entry; stops at the end-of-archive marker. A stream that ends before the marker
   * is truncated (a dropped connection), not complete, and is refused.
   */
  public void extract(InputStream in) throws IOException {
    Map<String, String> pax = new HashMap<>();
    byte[] header = new byte[TarWriter.BLOCK];
    while (true) {
      readBlock(in, header);
      if (isZero(header)) return;
      if (++entries > maxEntries) throw new TarException("archive has more than " + maxEntries + " entries");
      verifyChecksum(header);
      char type = (char) header[156];
      long size = octal(header, 124, 12);
      String name = pax.getOrDefault("path", string(header, 0, 100));
      String prefix = string(header, 345, 155);
      if (!pax.containsKey("path") && !prefix.isEmpty()) name = prefix + "/" + name;
      String link = pax.getOrDefault("linkpath", string(header, 157, 100));
      pax = new HashMap<>();
      switch (type) {
        case 'x' -> pax = parsePax(readBytes(in, size));
        case 'g' -> readBytes(in, size);
        case '5' -> Files.createDirectories(target(name));
        case '2' -> symlink(name, link);
        case '0', '\0' -> file(in, name, size, (octal(header, 100, 8) & 0100) != 0);
        default -> throw new TarException("unsupported tar entry type '" + type + "' for " + name);
      }
    }
  }

  private void symlink(String name, String link) throws IOException {
    Path target = target(name);
    Files.createDirectories(target.getParent());
    Files.createSymbolicLink(target, Path.of(link));
  }

  private void file(InputStream in, String name, long size, boolean executable) throws IOException {
    bytes += size;
    if (bytes > maxBytes) throw new TarException("archive is larger than " + maxBytes + " bytes");
    Path target = target(name);
    Files.createDirectories(target.getParent());
    try (OutputStream out =
        Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      copy(in, out, size);
    }
    Files.setPosixFilePermissions(
        target, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
    skipPadding(in, size);
  }

  /** Resolves an entry name under the root, refusing escapes and symlinked parents. */
  Path target(String name) throws IOException {
    if (name.isEmpty() || name.startsWith("/") || name.contains("\0")) throw new TarException("bad entry name: " + name);
    Path relative = Path.of(name).normalize();
    for (Path part : relative) {
      if (part.toString().equals("..")) throw new TarException("entry escapes the workspace: " + name);
    }
    Path target = root.resolve(relative).normalize();
    if (!target.startsWith(root) || target.equals(root)) throw new TarException("entry escapes the workspace: " + name);
    for (Path p = target.getParent(); !p.equals(root); p = p.getParent()) {
      if (Files.isSymbolicLink(p)) throw new TarException("entry goes through a symlink: " + name);
    }
    return target;
  }

  private static Map<String, String> parsePax(byte[] data) throws TarException {
    Map<String, String> out = new HashMap<>();
    int at = 0;
    while (at < data.length) {
      int space = indexOf(data, (byte) ' ', at);
      if (space <= at || space - at > 9) throw new TarException("malformed pax header");
      int len = 0;
      for (int i = at; i < space; i++) {
        if (data[i] < '0' || data[i] > '9') throw new TarException("malformed pax header");
        len = len * 10 + (data[i] - '0');
      }
      if (space + 1 >= at + len || at + len > data.length || data[at + len - 1] != '\n') {
        throw new TarException("malformed pax header");
      }
      String record = new String(data, space + 1, at + len - space - 2, StandardCharsets.UTF_8);
      int eq = record.indexOf('=');
      if (eq > 0) out.put(record.substring(0, eq), record.substring(eq + 1));
      at += len;
    }
    return out;
  }

  private static int indexOf(byte[] data, byte b, int from) {
    for (int i = from; i < data.length; i++) if (data[i] == b) return i;
    return -1;
  }

  private byte[] readBytes(InputStream in, long size) throws IOException {
    if (size > 1 << 20) throw new TarException("pax header too large");
    byte[] data = in.readNBytes((int) size);
    if (data.length != size) throw new TarException("truncated tar");
    skipPadding(in, size);
    return data;
  }

  private static void copy(InputStream in, OutputStream out, long size) throws IOException {
    byte[] buf = new byte[64 * 1024];
    long left = size;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) throw new TarException("truncated tar");
      out.write(buf, 0, n);
      left -= n;
    }
  }

  private static void skipPadding(InputStream in, long size) throws IOException {
    int rest = (int) (size % TarWriter.BLOCK);
    if (rest != 0 && in.readNBytes(TarWriter.BLOCK - rest).length != TarWriter.BLOCK - rest) {
      throw new TarException("truncated tar");
    }
  }

  private static void readBlock(InputStream in, byte[] block) throws IOException {
    if (in.readNBytes(block, 0, block.length) != block.length) throw new TarException("truncated tar");
  }

  private static boolean isZero(byte[] block) {
    for (byte b : block) if (b != 0) return false;
    return true;
  }

  private static void verifyChecksum(byte[] h) throws TarException {
    long sum = 0;
    for (int i = 0; i < h.length; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i] & 0xff;
    if (sum != octal(h, 148, 8)) throw new TarException("bad tar header checksum");
  }

  private static String string(byte[] h, int at, int len) {
    int end = at;
    while (end < at + len && h[end] != 0) end++;
    return new String(h, at, end - at, StandardCharsets.UTF_8);
  }

  private static long octal(byte[] h, int at, int len) throws TarException {
    String s = string(h, at, len).trim();
    if (s.isEmpty()) return 0;
    // Only digits: Long.parseLong would also take a sign, and a negative size desynchronises the stream.
    if (!s.matches("[0-7]{1,21}")) throw new TarException("bad number in tar header: " + s);
    return Long.parseLong(s, 8);
  }

  /** An archive that is malformed or tries to escape its root. */
  public static final class TarException extends IOException {
    private static final long serialVersionUID = 1L;

    public TarException(String message) {
      super(message);
    }
  }
}
