package dev.moat.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The parts of the host's file system that a bwrap sandbox shows read-only: {@code /usr}, the
 * top-level {@code /bin}-style links into it, and a few public {@code /etc} entries that a shell,
 * the dynamic linker, TLS clients and Debian's JDKs need. Nothing else of the host is visible: no
 * {@code /etc/passwd} (the sandbox gets a generated one), {@code /etc/shadow}, {@code /root},
 * {@code /home}, {@code /var} or agent state.
 *
 * <p>Scanned once per tier; only entries that exist are listed, because bwrap fails on a missing
 * bind source. Immutable.
 *
 * @param systemBinds read-only binds of {@code /usr} and, on hosts without merged {@code /usr},
 *     of real top-level directories such as {@code /bin}
 * @param symlinks top-level links into {@code /usr} ({@code /bin -> usr/bin}), recreated as is
 * @param etcBinds read-only binds of public {@code /etc} entries
 */
record HostLayout(List<Bind> systemBinds, List<Symlink> symlinks, List<Bind> etcBinds) {
  /** Top-level directories that merged-/usr hosts replace with links into /usr. */
  static final List<String> TOP_LEVEL = List.of("bin", "sbin", "lib", "lib32", "lib64", "libx32");

  /** Public /etc entries, bound only when present. Never passwd, group, shadow or anything secret. */
  static final List<String> ETC = List.of(
      "alternatives", "ssl", "ca-certificates", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
      "nsswitch.conf", "localtime", "protocols", "services");

  /**
   * A read-only bind.
   *
   * @param source the host path
   * @param destination the absolute path inside the sandbox
   */
  record Bind(Path source, String destination) {
    Bind {
      Objects.requireNonNull(source, "source");
      if (!destination.startsWith("/")) throw new IllegalArgumentException("not absolute: " + destination);
    }
  }

  /**
   * A symbolic link created inside the sandbox.
   *
   * @param target what the link points to, e.g. {@code usr/bin}
   * @param path the absolute link path inside the sandbox, e.g. {@code /bin}
   */
  record Symlink(String target, String path) {
    Symlink {
      Objects.requireNonNull(target, "target");
      if (!path.startsWith("/")) throw new IllegalArgumentException("not absolute: " + path);
    }
  }

  HostLayout {
    systemBinds = List.copyOf(systemBinds);
    symlinks = List.copyOf(symlinks);
    etcBinds = List.copyOf(etcBinds);
  }

  /** Scans the real host. */
  static HostLayout scan() {
    return scan(Path.of("/"));
  }

  /** Scans a host tree rooted at {@code root}; sandbox paths stay relative to the sandbox's own /. */
  static HostLayout scan(Path root) {
    List<Bind> system = new ArrayList<>();
    List<Symlink> links = new ArrayList<>();
    system.add(new Bind(root.resolve("usr"), "/usr"));
    for (String name : TOP_LEVEL) {
      Path path = root.resolve(name);
      if (Files.isSymbolicLink(path)) {
        String target = readLink(path);
        if (target.startsWith("usr/") || target.startsWith("/usr/")) links.add(new Symlink(target, "/" + name));
      } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        system.add(new Bind(path, "/" + name));
      }
    }
    return new HostLayout(system, links, etcBinds(root.resolve("etc")));
  }

  private static List<Bind> etcBinds(Path etc) {
    List<Bind> binds = new ArrayList<>();
    for (String name : ETC) {
      if (Files.exists(etc.resolve(name))) binds.add(new Bind(etc.resolve(name), "/etc/" + name));
    }
    // Debian's JDKs link their conf/security files into /etc/java-<n>-openjdk.
    if (Files.isDirectory(etc)) {
      try (DirectoryStream<Path> javas = Files.newDirectoryStream(etc, "java-*")) {
        List<Path> sorted = new ArrayList<>();
        javas.forEach(sorted::add);
        sorted.sort(null);
        for (Path java : sorted) {
          if (Files.isDirectory(java)) binds.add(new Bind(java, "/etc/" + java.getFileName()));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + etc, e);
      }
    }
    return binds;
  }

  private static String readLink(Path path) {
    try {
      return Files.readSymbolicLink(path).toString();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read link " + path, e);
    }
  }
}
