package dev.moat.sandbox.disk;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Reads the kernel's and losetup's tables of mounts and loop devices, so that a volume is found by
 * where it is mounted and which file backs it, never by guessing. Stateless.
 */
final class HostMounts {
  static final Path MOUNTS = Path.of("/proc/self/mounts");

  private HostMounts() {}

  /**
   * A loop device and the file behind it.
   *
   * @param device e.g. {@code /dev/loop3}
   * @param backingFile the file's path when it was attached (it may have been deleted since)
   */
  record Loop(String device, Path backingFile) {}

  /**
   * The mount points in {@code mounts} (the text of {@code /proc/self/mounts}) strictly below
   * {@code root}, deepest first, so that unmounting them in order never meets a busy parent.
   */
  static List<Path> mountPointsUnder(String mounts, Path root) {
    List<Path> under = new ArrayList<>();
    for (String line : mounts.split("\n")) {
      String[] fields = line.split(" ");
      if (fields.length < 2) continue;
      Path point = Path.of(unescapeOctal(fields[1]));
      if (point.startsWith(root) && !point.equals(root)) under.add(point);
    }
    under.sort(Comparator.comparingInt(Path::getNameCount).reversed().thenComparing(Comparator.naturalOrder()));
    return List.copyOf(under);
  }

  /** The loop devices in {@code losetup} raw output (see {@link VolumeCommands#listLoops()}) backed by a file under {@code root}. */
  static List<Loop> loopsUnder(String losetupRaw, Path root) {
    List<Loop> loops = new ArrayList<>();
    for (String line : losetupRaw.split("\n")) {
      int space = line.indexOf(' ');
      if (space < 0) continue;
      String file = unescapeHex(line.substring(space + 1).strip());
      if (file.endsWith(" (deleted)")) file = file.substring(0, file.length() - " (deleted)".length());
      if (file.isEmpty() || !file.startsWith("/")) continue;
      Path backing = Path.of(file);
      if (backing.startsWith(root)) loops.add(new Loop(line.substring(0, space), backing));
    }
    return List.copyOf(loops);
  }

  /** Undoes the kernel's escapes in mount table fields: {@code \040} for space, and so on. */
  static String unescapeOctal(String field) {
    return unescape(field, 'o');
  }

  /** Undoes libblkid's raw-output escapes: {@code \x20} for space, and so on. */
  static String unescapeHex(String field) {
    return unescape(field, 'x');
  }

  /** Replaces each backslash escape ({@code \ooo} or {@code \xHH}) by its byte, keeping UTF-8 intact. */
  private static String unescape(String s, char style) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < b.length; i++) {
      boolean escape = b[i] == '\\' && i + 3 < b.length
          && (style == 'o' ? isOctal(b, i + 1) : b[i + 1] == 'x' && isHex(b, i + 2));
      if (!escape) {
        out.write(b[i]);
        continue;
      }
      String digits = style == 'o' ? new String(b, i + 1, 3, StandardCharsets.US_ASCII) : new String(b, i + 2, 2, StandardCharsets.US_ASCII);
      out.write(Integer.parseInt(digits, style == 'o' ? 8 : 16));
      i += 3;
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static boolean isOctal(byte[] b, int from) {
    for (int i = from; i < from + 3; i++) if (b[i] < '0' || b[i] > '7') return false;
    return true;
  }

  private static boolean isHex(byte[] b, int from) {
    for (int i = from; i < from + 2; i++) if (Character.digit(b[i], 16) < 0) return false;
    return true;
  }
}
