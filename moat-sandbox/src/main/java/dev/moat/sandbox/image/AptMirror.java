package dev.moat.sandbox.image;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the Debian mirror that apt on this host uses, so that images come from the same (often
 * local or pinned) mirror as the host's packages. Reads one-line {@code sources.list} entries and
 * deb822 {@code *.sources} files; skips security mirrors (mmdebstrap wants the main archive).
 * Stateless.
 */
public final class AptMirror {
  public static final String FALLBACK = "http://deb.debian.org/debian";

  private AptMirror() {}

  /** The first main-archive Debian mirror apt uses here, or {@link #FALLBACK}. */
  public static String detect() {
    return detect(Path.of("/etc/apt"));
  }

  static String detect(Path aptDir) {
    List<String> uris = new ArrayList<>();
    try {
      Path list = aptDir.resolve("sources.list");
      if (Files.isRegularFile(list)) uris.addAll(oneLineUris(Files.readAllLines(list)));
      Path dir = aptDir.resolve("sources.list.d");
      if (Files.isDirectory(dir)) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
          for (Path f : sorted(files)) {
            String n = f.getFileName().toString();
            if (n.endsWith(".list")) uris.addAll(oneLineUris(Files.readAllLines(f)));
            if (n.endsWith(".sources")) uris.addAll(deb822Uris(Files.readAllLines(f)));
          }
        }
      }
    } catch (IOException e) {
      return FALLBACK; // an unreadable apt config is not a reason to refuse building images
    }
    return uris.stream().filter(AptMirror::isDebianArchive).findFirst().orElse(FALLBACK);
  }

  private static List<Path> sorted(DirectoryStream<Path> files) {
    List<Path> all = new ArrayList<>();
    files.forEach(all::add);
    all.sort(null);
    return all;
  }

  static boolean isDebianArchive(String uri) {
    String u = uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    return u.matches("https?://\\S+") && u.endsWith("/debian") && !u.contains("security");
  }

  /** {@code deb [options] uri suite components...}; deb-src lines are skipped. */
  static List<String> oneLineUris(List<String> lines) {
    List<String> uris = new ArrayList<>();
    for (String line : lines) {
      String l = line.strip().replaceAll("\\[[^]]*]", " ");
      if (!l.startsWith("deb ")) continue;
      String[] parts = l.substring(4).trim().split("\\s+");
      if (parts.length > 0) uris.add(parts[0]);
    }
    return uris;
  }

  /** {@code URIs:} fields of stanzas whose {@code Types:} include {@code deb}. */
  static List<String> deb822Uris(List<String> lines) {
    List<String> uris = new ArrayList<>();
    boolean deb = false;
    List<String> stanza = new ArrayList<>();
    for (String line : lines) {
      if (line.isBlank()) {
        if (deb) uris.addAll(stanza);
        deb = false;
        stanza = new ArrayList<>();
      } else if (line.startsWith("Types:")) {
        deb = List.of(line.substring(6).trim().split("\\s+")).contains("deb");
      } else if (line.startsWith("URIs:")) {
        stanza.addAll(List.of(line.substring(5).trim().split("\\s+")));
      }
    }
    if (deb) uris.addAll(stanza);
    return uris;
  }
}
