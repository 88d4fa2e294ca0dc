package dev.moat.sandbox.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.Availability;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Invariant I3 on this host's real cgroups (v1 here): processes started through the join prefix
 * are inside their limits, and a fork bomb, a memory bomb and a CPU spinner are held to them. Skips
 * with a printed reason only when cgroups can't be written at all. Every cgroup and process is
 * cleaned up in {@link #tearDown()}; only processes in the test's own cgroups are ever killed.
 */
class CgroupEnforcementTest {
  static final AtomicInteger SEQ = new AtomicInteger();
  static Cgroups cgroups;

  final List<JobCgroup> jobs = new ArrayList<>();
  final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void cgroupsAreWritable() throws IOException {
    Availability availability = Cgroups.probe();
    if (!availability.available()) System.out.println("skipping cgroup tests: " + availability.reason());
    assumeTrue(availability.available(), availability.reason());
    cgroups = Cgroups.detect();
  }

  /** Ids unique to this JVM, so that the crash sweep below never touches anyone else's cgroups. */
  static String uniqueId() {
    return idPrefix() + SEQ.incrementAndGet();
  }

  static String idPrefix() {
    return "t" + ProcessHandle.current().pid() + "-";
  }

  @AfterEach
  void tearDown() throws IOException {
    IOException failure = null;
    for (JobCgroup job : jobs) {
      try {
        job.close();
      } catch (IOException e) {
        if (failure == null) failure = e;
        else failure.addSuppressed(e);
      }
    }
    started.forEach(Process::destroyForcibly);
    if (failure != null) throw failure;
  }

  JobCgroup job(Limits limits) throws IOException {
    JobCgroup job = cgroups.create(uniqueId(), limits);
    jobs.add(job);
    return job;
  }

  Process start(JobCgroup job, String script, boolean keepOutput) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(job.join().wrap(List.of("/bin/sh", "-c", script)))
        .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    if (!keepOutput) builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = builder.start();
    started.add(p);
    return p;
  }

  static int exitOf(Process p) throws InterruptedException {
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("process ended").isTrue();
    return p.exitValue();
  }

  @Test
  void aProcessStartedThroughTheJoinPrefixRunsInEveryJobCgroupUnderOurOwn() throws Exception {
    JobCgroup job = job(new Limits(64L << 20, 16, 500));

    Process p = start(job, "cat /proc/self/cgroup", true);
    List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();

    assertThat(exitOf(p)).isZero();
    List<String> own = Files.readAllLines(Path.of("/proc/self/cgroup"));
    List<String> controllers = cgroups.version().equals("v1") ? CgroupV1.CONTROLLERS : List.of("");
    for (String controller : controllers) {
      String ownPath = pathOf(own, controller);
      String expected = (ownPath.equals("/") ? "" : ownPath) + "/" + job.name();
      assertThat(pathOf(lines, controller)).as(controller).isEqualTo(expected);
    }
  }

  /** The cgroup path of {@code controller} ("" for v2) in /proc/PID/cgroup lines. */
  static String pathOf(List<String> lines, String controller) {
    for (String line : lines) {
      String[] f = line.split(":", 3);
      if (controller.isEmpty() ? f[0].equals("0") : List.of(f[1].split(",")).contains(controller)) return f[2];
    }
    throw new AssertionError("no " + controller + " line in " + lines);
  }

  @Test
  void aForkBombStopsAtThePidsLimitIsReportedAndLeavesTheHostUsable() throws Exception {
    JobCgroup job = job(new Limits(256L << 20, 32, 500));

    start(job, "b(){ b|b& };b", false);

    await().atMost(Duration.ofSeconds(30)).until(() -> job.stats().pidsMaxHits() > 0);
    assertThat(job.pids().size()).isLessThanOrEqualTo(32);
    Process host = new ProcessBuilder("/bin/true").start();
    assertThat(exitOf(host)).as("the host still forks").isZero();
    job.kill();
    assertThat(job.pids()).isEmpty();
    System.out.println("fork bomb: pids.events max=" + job.stats().pidsMaxHits());
  }

  @Test
  void aMemoryBombIsOomKilledAtTheLimitAndTheOomIsReported() throws Exception {
    JobCgroup job = job(new Limits(128L << 20, 64, 1000));

    long t0 = System.nanoTime();
    // tail keeps a whole "line" of /dev/zero in memory: it grows until the kernel stops it.
    Process p = start(job, "head -c 600M /dev/zero | tail -n 1 > /dev/null", false);
    int exit = exitOf(p);
    long millis = (System.nanoTime() - t0) / 1_000_000;

    CgroupStats stats = job.stats();
    System.out.println("memory bomb: exit " + exit + " after " + millis + " ms, " + stats);
    assertThat(exit).as("tail died of SIGKILL").isEqualTo(128 + 9);
    assertThat(stats.outOfMemory()).isTrue();
    assertThat(stats.memoryPeakBytes()).isBetween(100L << 20, 128L << 20);
  }

  @Test
  void aQuarterCpuQuotaHoldsASpinnerToAQuarterOfWallTimeWithinTenPercent() throws Exception {
    JobCgroup job = job(new Limits(64L << 20, 16, 250));

    long t0 = System.nanoTime();
    Process p = start(job, "timeout 3 sh -c 'while :; do :; done'", false);
    exitOf(p);
    double wall = (System.nanoTime() - t0) / 1e9;

    CgroupStats stats = job.stats();
    double share = stats.cpuUsage().toNanos() / 1e9 / wall;
    System.out.printf("cpu 250m: used %.3f s in %.3f s wall = %.1f %% of one CPU, throttled %d periods%n",
        stats.cpuUsage().toNanos() / 1e9, wall, share * 100, stats.throttledPeriods());
    assertThat(share).isCloseTo(0.25, within(0.025));
    assertThat(stats.throttledPeriods()).isPositive();
  }

  @Test
  void killEndsEveryProcessInTheJobIncludingBackgroundAndDetachedChildren() throws Exception {
    JobCgroup job = job(new Limits(64L << 20, 32, 500));
    Process p = start(job, "sleep 600 & setsid sleep 600 & (sleep 600 &); sleep 600", false);
    await().atMost(Duration.ofSeconds(10)).until(() -> job.pids().size() >= 5);
    List<Long> seen = job.pids();

    job.kill();

    assertThat(job.pids()).isEmpty();
    assertThat(exitOf(p)).isEqualTo(137);
    for (long pid : seen) {
      await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }
    assertThat(exitOf(start(job, "true", false))).as("the next step runs in the same cgroup").isZero();
  }

  @Test
  void closingAJobLeavesNoCgroupDirectoryBehind() throws Exception {
    JobCgroup job = job(new Limits(64L << 20, 16, 500));
    start(job, "sleep 600 & sleep 600", false);
    await().atMost(Duration.ofSeconds(10)).until(() -> job.pids().size() >= 2);

    job.close();

    assertThat(job.directories()).isNotEmpty().allSatisfy(dir -> assertThat(dir).doesNotExist());
  }

  @Test
  void theCrashSweepKillsAndRemovesJobCgroupsLeftRunning() throws Exception {
    JobCgroup left = job(new Limits(64L << 20, 16, 500));
    start(left, "sleep 600", false);
    await().atMost(Duration.ofSeconds(10)).until(() -> !left.pids().isEmpty());
    String prefix = "moat-" + idPrefix();

    List<String> swept = switch (cgroups) {
      case CgroupV1 v1 -> v1.removeLeftovers(prefix);
      case CgroupV2 v2 -> v2.removeLeftovers(prefix);
    };

    assertThat(swept).containsExactly(left.name());
    assertThat(left.directories()).allSatisfy(dir -> assertThat(dir).doesNotExist());
  }
}
