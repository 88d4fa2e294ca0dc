package dev.moat.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What one test's agent can leave on the host, as sorted lines per kind: network namespaces and
 * links named with its egress prefix, its nft table (set elements and counters, packet counts
 * blanked), the job cgroups it was seen to use (in every mounted v1 hierarchy or in v2), runc
 * containers whose bundle is under the test's directory, mounts and loop devices under that
 * directory, files under its work and scratch roots, and processes that descend from this JVM or
 * run the test's marker command line. Everything is restricted to names only this test makes, so
 * that other checkouts' tests on the same host can't change it. Immutable.
 *
 * @param kinds kind (e.g. {@code netns}) to its lines
 */
record HostSnapshot(SortedMap<String, SortedSet<String>> kinds) {
  private static final Pattern LINK = Pattern.compile("^\\d+: ([^:@\\s]+)");
  private static final Pattern RUNC = Pattern.compile("\"id\":\"([^\"]+)\".*?\"bundle\":\"([^\"]+)\"");
  private static final Pattern PACKETS = Pattern.compile("packets \\d+ bytes \\d+");

  /**
   * Where the test's agent leaves its marks.
   *
   * @param prefix the egress name prefix (namespaces {@code moat-<prefix>N}, links {@code <prefix>Nh})
   * @param nftTable the egress table in family inet, if any
   * @param dir the test's directory: mounts, loop devices and runc bundles under it
   * @param roots directories whose contents must come back to what they were (work and scratch roots)
   * @param marker the exact command line of the jobs' background process
   * @param cgroups job cgroups seen in use, as {@code hierarchy:path} from {@code /proc/PID/cgroup}
   * @param runcRoot runc's state directory, if the pool is oci
   */
  record Scope(String prefix, Optional<String> nftTable, Path dir, List<Path> roots, String marker,
      Set<String> cgroups, Optional<Path> runcRoot) {}

  static HostSnapshot take(Scope scope) throws IOException {
    SortedMap<String, SortedSet<String>> kinds = new TreeMap<>();
    kinds.put("netns", lines(run(List.of("/usr/sbin/ip", "netns", "list"), "").lines()
        .map(l -> l.split(" ")[0]).filter(n -> n.startsWith("moat-" + scope.prefix()))));
    kinds.put("link", lines(run(List.of("/usr/sbin/ip", "-o", "link"), "").lines().map(LINK::matcher)
        .filter(Matcher::find).map(m -> m.group(1)).filter(n -> n.startsWith(scope.prefix()))));
    kinds.put("nft", scope.nftTable().isEmpty() ? new TreeSet<>() : nft(scope.nftTable().get()));
    kinds.put("cgroup", lines(scope.cgroups().stream().filter(HostSnapshot::cgroupExists)));
    kinds.put("runc", scope.runcRoot().isEmpty() ? new TreeSet<>() : runc(scope.runcRoot().get(), scope.dir()));
    String dir = scope.dir().toString();
    kinds.put("mount", lines(Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(dir))
        .map(l -> l.replaceFirst("^\\d+ \\d+ \\d+:\\d+ ", ""))));
    kinds.put("loop", lines(run(List.of("/usr/sbin/losetup", "-a"), "").lines().filter(l -> l.contains(dir))
        .map(l -> l.replaceFirst("^/dev/loop\\d+: \\[\\d+\\]:\\d+ ", ""))));
    SortedSet<String> files = new TreeSet<>();
    for (Path root : scope.roots()) {
      if (!Files.isDirectory(root)) continue;
      try (Stream<Path> paths = Files.walk(root)) {
        paths.filter(p -> !p.equals(root)).forEach(p -> files.add(p.toString()));
      }
    }
    kinds.put("file", files);
    kinds.put("process", processes(scope.marker()));
    return new HostSnapshot(kinds);
  }

  /**
   * Polls until the host is back to {@code before} (teardown of job networks and workspaces runs
   * after a job is reported), and returns the last snapshot either way.
   */
  static HostSnapshot awaitEqual(HostSnapshot before, Scope scope, Duration max) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    HostSnapshot now = take(scope);
    while (!now.equals(before) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      now = take(scope);
    }
    return now;
  }

  /** What {@code after} has that this hasn't ({@code +}) and the reverse ({@code -}), per kind. */
  String diff(HostSnapshot after) {
    StringBuilder out = new StringBuilder();
    for (String kind : kinds.keySet()) {
      SortedSet<String> added = new TreeSet<>(after.kinds.get(kind));
      added.removeAll(kinds.get(kind));
      SortedSet<String> removed = new TreeSet<>(kinds.get(kind));
      removed.removeAll(after.kinds.get(kind));
      added.forEach(l -> out.append("+ ").append(kind).append(' ').append(l).append('\n'));
      removed.forEach(l -> out.append("- ").append(kind).append(' ').append(l).append('\n'));
    }
    return out.toString();
  }

  /** The kinds in which {@code other} differs from this. */
  SortedSet<String> kindsDifferentIn(HostSnapshot other) {
    return lines(kinds.keySet().stream().filter(k -> !kinds.get(k).equals(other.kinds.get(k))));
  }

  private static SortedSet<String> nft(String table) throws IOException {
    String listing;
    try {
      listing = run(List.of("/usr/sbin/nft", "list", "table", "inet", table), "");
    } catch (IOException e) {
      return new TreeSet<>(List.of("no table: " + e.getMessage()));
    }
    return lines(listing.lines().map(String::strip).filter(l -> !l.isEmpty()).map(l -> PACKETS.matcher(l).replaceAll("packets _ bytes _")));
  }

  /** {@code hierarchy:path} as in {@code /proc/PID/cgroup} (v1 {@code memory:/a/b}, v2 {@code :/a/b}) still exists. */
  private static boolean cgroupExists(String cgroup) {
    int colon = cgroup.indexOf(':');
    String hierarchy = cgroup.substring(0, colon);
    String path = cgroup.substring(colon + 1);
    Path mount = hierarchy.isEmpty() ? Path.of("/sys/fs/cgroup/unified") : Path.of("/sys/fs/cgroup", hierarchy.replace("name=", ""));
    if (hierarchy.isEmpty() && !Files.isDirectory(mount)) mount = Path.of("/sys/fs/cgroup");
    return Files.isDirectory(Path.of(mount + path));
  }

  private static SortedSet<String> runc(Path root, Path dir) throws IOException {
    if (!Files.isDirectory(root)) return new TreeSet<>();
    Matcher m = RUNC.matcher(run(List.of("/usr/sbin/runc", "--root", root.toString(), "list", "-f", "json"), ""));
    SortedSet<String> mine = new TreeSet<>();
    while (m.find()) if (m.group(2).startsWith(dir.toString())) mine.add(m.group(1) + " " + m.group(2));
    return mine;
  }

  private static SortedSet<String> processes(String marker) {
    SortedSet<String> out = new TreeSet<>();
    ProcessHandle.current().descendants().forEach(p -> out.add(p.pid() + " " + p.info().commandLine().orElse("?")));
    for (long pid : dev.moat.testkit.Processes.running(marker)) out.add(pid + " " + marker);
    return out;
  }

  private static SortedSet<String> lines(Stream<String> lines) {
    return lines.collect(TreeSet::new, TreeSet::add, TreeSet::addAll);
  }

  /** Runs a host tool with {@code input} on stdin and returns its output; fails on a non-zero exit. */
  static String run(List<String> argv, String input) throws IOException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    try (var in = p.getOutputStream()) {
      in.write(input.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(argv + " did not finish in 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + argv, e);
    }
    if (p.exitValue() != 0) throw new IOException(String.join(" ", argv) + " exited " + p.exitValue() + ": " + out.strip());
    return out;
  }

  @Override
  public String toString() {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, SortedSet<String>> e : kinds.entrySet()) out.add(e.getKey() + "=" + e.getValue().size());
    return String.join(" ", out);
  }
}
