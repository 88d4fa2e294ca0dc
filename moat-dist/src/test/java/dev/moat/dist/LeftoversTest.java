package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.agent.PoolFile;
import dev.moat.agent.PoolSettings;
import dev.moat.agent.PoolTier;
import dev.moat.sandbox.net.Egress;
import dev.moat.sandbox.net.EgressSettings;
import dev.moat.sandbox.net.HostResolver;
import dev.moat.sandbox.net.Ipv4Cidr;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Issue 3, must show 5: after many jobs in a row through a real server and agent, nothing is left
 * on the host: no netns, veth, nft element or counter, cgroup, container, mount, loop device, file
 * or process. Each job writes files in its workspace and {@code /tmp}, leaves a background process
 * running, and connects to an allowed address and to refused public, private and metadata ones in a
 * {@link FakeInternet}. A watcher on the host sees each job's background process while the job runs,
 * records its cgroups and tells the job so; the snapshot before the first job must equal the one
 * after the last (polled for a bounded time, since network and workspace teardown run after a job
 * is reported). Everything is named and scoped so that other checkouts' tests on this host can't
 * change the snapshot. Needs root.
 */
class LeftoversTest {
  static final Path IMAGES = Path.of("/var/tmp/moat-test-images");
  static final int JOBS = 50;
  static final Duration TEARDOWN = Duration.ofSeconds(20);
  /** The network part of each job: bash for /dev/tcp, since the agent runs steps with sh. */
  static final String CONNECTIONS = """
      cat > connect.sh <<'EOF'
      exec 3<>/dev/tcp/allowed.example/443 && read -r line <&3 && echo "allowed: $line"
      for target in %s 10.0.0.1 169.254.169.254; do
        if (exec 4<>/dev/tcp/$target/443) 2>/dev/null; then echo "REACHED $target"; else echo "refused $target"; fi
      done
      EOF
      bash connect.sh
      """.formatted(FakeInternet.OTHER);
  @TempDir Path dir;
  final long pid = ProcessHandle.current().pid();
  /** The jobs' background process; unique to this JVM, so a watcher sees only this test's jobs. */
  final String marker = "sleep 30" + pid % 100000;

  @BeforeEach
  void needsRoot() {
    Scenario.assumeRoot("leftover tests", "cgroups, loop mounts, netns and runc");
  }

  @Test
  void fiftyBwrapJobsWithLimitsDiskCapAndFilteredEgressLeaveNothingOnTheHost() throws Exception {
    leaveNothing("tier: bwrap\n", "", Optional.empty(), List.of("cgroup", "file", "link", "loop", "mount", "netns", "nft", "process"));
  }

  @Test
  void fiftyOciJobsWithLimitsDiskCapAndFilteredEgressLeaveNothingOnTheHost() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "runc is not installed");
    boolean images = Files.exists(IMAGES.resolve("index.json"));
    if (!images) System.out.println("skipping the oci leftover test: no test image store " + IMAGES + " (built by moat-sandbox's tests)");
    assumeTrue(images, "no test image store");
    leaveNothing("tier: oci\nimage: debian-bookworm\n", "    image: debian-bookworm\n", Optional.of(Path.of("/run/moat/runc")),
        List.of("cgroup", "file", "link", "loop", "mount", "netns", "nft", "process", "runc"));
  }

  /**
   * Runs {@value #JOBS} jobs on the pool whose file starts with {@code tier} (then limits, a disk
   * cap and filtered egress) through the agent's own {@link PoolTier}, with an {@link Egress} of
   * this test's names and a {@link FakeInternet} behind it, and asserts the host is as before.
   */
  private void leaveNothing(String tier, String imageLine, Optional<Path> runcRoot, List<String> kindsInUse) throws Exception {
    String missing = Egress.probe().available() ? FakeInternet.missing() : Egress.probe().reason();
    if (missing != null) System.out.println("skipping the leftover test: " + missing);
    assumeTrue(missing == null, missing);
    PoolSettings pool = PoolFile.read(Files.writeString(dir.resolve("pool.yml"), tier + """
        limits: {memory: 256MiB, pids: 128, cpu: 1000m, disk: 32MiB}
        egress: {mode: filtered, allow: ["allowed.example:443"]}
        """));
    String prefix = "ll" + pid % 100000;
    // The agent's own table, prefix and pool, not the host-wide defaults, so that other checkouts'
    // egress on this host neither collides with nor shows up in this test's snapshot.
    var settings = new EgressSettings("moat_ll" + pid, prefix, Ipv4Cidr.parse("10." + (50 + pid % 50) + ".0.0/16"));
    // Closed in reverse: the agent (with the scenario) before the egress table, that before the lab.
    try (var lab = FakeInternet.start("lq" + pid % 100000, settings.pool().toString());
        var egress = Egress.start(settings, labResolver());
        var s = Scenario.create(dir)) {
      assertThat(egress.removeLeftovers()).isEmpty();
      var scope = new HostSnapshot.Scope(prefix, Optional.of(settings.table()), dir, List.of(s.workRoot(0), s.scratchRoot(0)),
          marker, ConcurrentHashMap.newKeySet(), runcRoot);
      runJobsAndCompare(s, () -> s.agent(pool, egress), scope, imageLine, kindsInUse);
      assertThat(lab.leaks()).as("packets that got past the egress table into the lab: %s", lab.leakedFlows()).isZero();
    }
  }

  @FunctionalInterface
  private interface AgentStart {
    void start() throws IOException;
  }

  /**
   * Snapshots the host, starts the agent, runs {@value #JOBS} jobs of one run one after another
   * (capacity 1), checks each job's log, and asserts the host is back to the snapshot. So that the
   * snapshot can't pass by looking in the wrong places, one taken while the first job runs must
   * differ from it in each of {@code kindsInUse}.
   */
  private void runJobsAndCompare(Scenario s, AgentStart agent, HostSnapshot.Scope scope, String image,
      List<String> kindsInUse) throws Exception {
    int jobs = JOBS;
    HostSnapshot before = HostSnapshot.take(scope);
    try (var watcher = JobWatcher.start(marker, scope)) {
      agent.start();
      String step = """
          head -c 1048576 /dev/urandom > blob && mkdir -p out && echo result > out/file && ls -l blob
          echo scratch > /tmp/job-tmp && head -c 65536 /dev/zero > /tmp/job-zero
          grep VERSION_CODENAME /etc/os-release || true
          %s >/dev/null 2>&1 &
          i=0; while [ ! -e .seen ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done
          test -e .seen && echo "host saw the background process"
          """.formatted(marker) + CONNECTIONS;
      String workflow = "on: push\njobs:\n" + IntStream.rangeClosed(1, jobs).mapToObj(i -> String.format(
          "  j%02d:\n%s    steps:\n      - run: |\n%s", i, image, step.indent(10))).collect(Collectors.joining());
      long run = s.pushOne(workflow);
      JsonNode result = s.awaitRun(run, Duration.ofMinutes(8), st -> !st.equals("queued") && !st.equals("running"));
      for (JsonNode job : result.path("jobs")) {
        String log = s.server.log(job.path("id").asLong());
        assertThat(job.path("status").asString()).as(job.path("key").asString() + ":\n" + log).isEqualTo("succeeded");
        assertThat(log).contains("host saw the background process", "allowed: hello " + FakeInternet.ALLOWED + ":443",
            "refused " + FakeInternet.OTHER, "refused 10.0.0.1", "refused 169.254.169.254", "==> egress: 3 connection(s) refused")
            .doesNotContain("REACHED");
      }
      assertThat(result.path("jobs")).hasSize(jobs);
      assertThat(watcher.seen()).as("background processes the host saw, one per job").isEqualTo(jobs);
      assertThat(before.kindsDifferentIn(watcher.during())).as("what a running job holds, against before:%n%s",
          before.diff(watcher.during())).containsAll(kindsInUse);
    }
    HostSnapshot after = HostSnapshot.awaitEqual(before, scope, TEARDOWN);
    System.out.println("leftovers after " + jobs + " jobs: before " + before + ", after " + after);
    assertThat(after).as("what is left on the host after %d jobs (+ added, - gone):%n%s", jobs, before.diff(after)).isEqualTo(before);
  }

  /** Resolves only {@code allowed.example}, to the lab's allowed address. */
  private static HostResolver labResolver() {
    return name -> {
      if (!name.equals("allowed.example")) throw new UnknownHostException(name);
      return List.of((Inet4Address) InetAddress.getByName(FakeInternet.ALLOWED));
    };
  }

  /**
   * Watches the host for the jobs' background process: records the job cgroups it runs in (as the
   * host sees them) and writes {@code .seen} into its working directory, the job's workspace.
   */
  private static final class JobWatcher implements AutoCloseable {
    private final String marker;
    private final HostSnapshot.Scope scope;
    private final Set<String> cgroups;
    private volatile HostSnapshot during;
    private final Set<Long> seen = ConcurrentHashMap.newKeySet();
    private final Set<String> own;
    private final Thread thread;
    private volatile boolean stop;

    private JobWatcher(String marker, HostSnapshot.Scope scope) throws IOException {
      this.marker = marker;
      this.scope = scope;
      this.cgroups = scope.cgroups();
      this.own = Set.copyOf(cgroupsOf(ProcessHandle.current().pid()));
      this.thread = Thread.ofPlatform().name("leftovers-watcher").daemon().unstarted(this::watch);
    }

    static JobWatcher start(String marker, HostSnapshot.Scope scope) throws IOException {
      var w = new JobWatcher(marker, scope);
      w.thread.start();
      return w;
    }

    int seen() {
      return seen.size();
    }

    /** The host while the first job ran. */
    HostSnapshot during() {
      if (during == null) throw new AssertionError("the watcher saw no job");
      return during;
    }

    private void watch() {
      while (!stop) {
        for (long pid : dev.moat.testkit.Processes.running(marker)) {
          if (seen.contains(pid)) continue;
          try {
            for (String c : cgroupsOf(pid)) if (!own.contains(c)) cgroups.add(c);
            if (during == null) during = HostSnapshot.take(scope);
            Files.writeString(Path.of("/proc/" + pid + "/cwd/.seen"), "seen\n");
            seen.add(pid);
          } catch (IOException e) {
            // it ended while we looked; the job then reports that the host did not see it
          }
        }
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    /** {@code hierarchy:path} for each line of {@code /proc/PID/cgroup}. */
    private static List<String> cgroupsOf(long pid) throws IOException {
      return Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).stream().map(l -> l.substring(l.indexOf(':') + 1)).toList();
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      thread.join(5000);
    }
  }
}
