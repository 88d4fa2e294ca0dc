package dev.moat.sandbox.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where this process sits in the host's cgroup hierarchies: for each v1 controller, the directory
 * of our own cgroup in that controller's hierarchy, and for the unified (v2) hierarchy, if mounted,
 * our own cgroup's directory there. Read from {@code /proc/self/cgroup} (our paths) and
 * {@code /proc/self/mounts} (where each hierarchy is mounted).
 *
 * <p>Assumes each hierarchy is mounted at its root, as it is outside containers with a private
 * cgroup namespace. Immutable.
 *
 * @param v1 controller name (e.g. {@code memory}) to our cgroup directory in its hierarchy;
 *     co-mounted controllers (e.g. {@code cpu,cpuacct}) map to the same directory
 * @param v2 our cgroup directory in the unified hierarchy, if one is mounted
 */
record CgroupHost(Map<String, Path> v1, Optional<Path> v2) {
  CgroupHost {
    v1 = Map.copyOf(v1);
  }

  /** The host as this process sees it. */
  static CgroupHost current() throws IOException {
    return read(Path.of("/proc/self/cgroup"), Path.of("/proc/self/mounts"));
  }

  static CgroupHost read(Path procCgroup, Path procMounts) throws IOException {
    Map<String, String> ownPaths = new HashMap<>();
    String unifiedPath = null;
    for (String line : Files.readAllLines(procCgroup)) {
      String[] f = line.split(":", 3);
      if (f.length != 3) continue;
      if (f[0].equals("0") && f[1].isEmpty()) {
        unifiedPath = f[2];
      } else {
        for (String controller : f[1].split(",")) ownPaths.put(controller, f[2]);
      }
    }
    Map<String, Path> v1 = new HashMap<>();
    Path v2 = null;
    for (String line : Files.readAllLines(procMounts)) {
      String[] f = line.split(" ");
      if (f.length < 4) continue;
      Path mount = Path.of(unescape(f[1]));
      if (f[2].equals("cgroup2") && unifiedPath != null) {
        v2 = under(mount, unifiedPath);
      } else if (f[2].equals("cgroup")) {
        for (String option : f[3].split(",")) {
          String own = ownPaths.get(option);
          if (own != null) v1.put(option, under(mount, own));
        }
      }
    }
    return new CgroupHost(v1, Optional.ofNullable(v2));
  }

  /**
   * The driver for this host: v2 when our unified cgroup offers memory, pids and cpu; else v1 when
   * memory, pids, cpu and cpuacct each have a hierarchy (a hybrid host whose unified mount has
   * only, say, hugetlb is v1); else none.
   *
   * @throws IOException naming what is missing when neither works
   */
  Cgroups driver() throws IOException {
    if (v2.isPresent()) {
      Path controllers = v2.get().resolve("cgroup.controllers");
      if (Files.exists(controllers)
          && List.of(CgroupFiles.read(controllers).split("\\s+")).containsAll(CgroupV2.CONTROLLERS)) {
        return new CgroupV2(v2.get(), CgroupTree.KERNEL);
      }
    }
    if (hasV1(CgroupV1.CONTROLLERS)) return new CgroupV1(v1, v2, CgroupTree.KERNEL);
    throw new IOException("no usable cgroups: need a cgroup2 hierarchy with " + CgroupV2.CONTROLLERS
        + " in our cgroup's cgroup.controllers, or cgroup v1 hierarchies for " + CgroupV1.CONTROLLERS
        + "; found v1 " + v1.keySet() + ", v2 " + v2.map(Path::toString).orElse("not mounted"));
  }

  /** Whether every one of {@code controllers} has a v1 hierarchy. */
  boolean hasV1(List<String> controllers) {
    return v1.keySet().containsAll(controllers);
  }

  private static Path under(Path mount, String cgroupPath) {
    String relative = cgroupPath.replaceFirst("^/+", "");
    return relative.isEmpty() ? mount : mount.resolve(relative);
  }

  /** Mount points escape space, tab, newline and backslash as octal ({@code \040}). */
  private static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
