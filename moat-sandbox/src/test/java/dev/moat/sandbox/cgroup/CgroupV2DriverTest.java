package dev.moat.sandbox.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The v2 driver's file writes, against a fake unified hierarchy in a temporary directory (this
 * machine has no usable cgroup v2). {@link FakeKernel} fills each new cgroup with the interface
 * files the kernel would.
 */
class CgroupV2DriverTest {
  static final Limits LIMITS = new Limits(128L << 20, 64, 250);

  @TempDir Path fs;
  Path own;
  CgroupV2 driver;

  @BeforeEach
  void setUp() throws IOException {
    own = Files.createDirectories(fs.resolve("system.slice/moat.service"));
    FakeKernel.fill(own);
    driver = new CgroupV2(own, new FakeKernel());
  }

  static String read(Path file) throws IOException {
    return Files.readString(file).strip();
  }

  @Test
  void createEnablesControllersDownToTheJobAndWritesEachLimit() throws IOException {
    JobCgroup job = driver.create("j1", LIMITS);

    Path jobs = own.resolve("moat-jobs");
    Path dir = jobs.resolve("moat-j1");
    assertThat(read(own.resolve("cgroup.subtree_control"))).isEqualTo("+memory +pids +cpu");
    assertThat(read(jobs.resolve("cgroup.subtree_control"))).isEqualTo("+memory +pids +cpu");
    assertThat(read(dir.resolve("memory.max"))).isEqualTo("134217728");
    assertThat(read(dir.resolve("memory.swap.max"))).isEqualTo("0");
    assertThat(read(dir.resolve("pids.max"))).isEqualTo("64");
    assertThat(read(dir.resolve("cpu.max"))).isEqualTo("25000 100000");
    assertThat(job.name()).isEqualTo("moat-j1");
    assertThat(job.directories()).containsExactly(dir);
    assertThat(job.join().procsFiles()).containsExactly(dir.resolve("cgroup.procs"));
  }

  @Test
  void controllersAlreadyEnabledAreLeftAlone() throws IOException {
    Files.writeString(own.resolve("cgroup.subtree_control"), "cpu memory pids io\n");

    driver.create("j1", LIMITS);

    assertThat(read(own.resolve("cgroup.subtree_control"))).isEqualTo("cpu memory pids io");
  }

  @Test
  void anAgentAlreadyInItsMoatAgentLeafNestsJobsBesideIt() throws IOException {
    Path leaf = Files.createDirectory(own.resolve("moat-agent"));
    FakeKernel.fill(leaf);

    new CgroupV2(leaf, new FakeKernel()).create("j1", LIMITS);

    assertThat(own.resolve("moat-jobs/moat-j1")).isDirectory();
    assertThat(read(own.resolve("cgroup.subtree_control"))).isEqualTo("+memory +pids +cpu");
  }

  @Test
  void statsReadOomKillsPeakMemoryPidsMaxHitsAndCpuUsage() throws IOException {
    JobCgroup job = driver.create("j1", LIMITS);
    Path dir = job.directories().getFirst();
    Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\noom_group_kill 0\n");
    Files.writeString(dir.resolve("memory.peak"), "134217728\n");
    Files.writeString(dir.resolve("pids.events"), "max 3\n");
    Files.writeString(dir.resolve("cpu.stat"), "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\nnr_periods 40\nnr_throttled 4\n");

    assertThat(job.stats()).isEqualTo(new CgroupStats(2, 128L << 20, 3, Duration.ofMillis(1500), 4));
  }

  @Test
  void killWritesCgroupKillAndReturnsOnlyOnceTheCgroupIsUnpopulated() throws Exception {
    JobCgroup job = driver.create("j1", LIMITS);
    Path dir = job.directories().getFirst();
    Files.writeString(dir.resolve("cgroup.events"), "populated 1\nfrozen 0\n");

    CompletableFuture<Void> kill = CompletableFuture.runAsync(() -> {
      try {
        job.kill();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    await().atMost(Duration.ofSeconds(5)).until(() -> read(dir.resolve("cgroup.kill")).equals("1"));
    assertThat(kill).isNotDone();
    Files.writeString(dir.resolve("cgroup.events"), "populated 0\nfrozen 0\n");

    kill.get(5, TimeUnit.SECONDS);
  }

  @Test
  void withoutCgroupKillAnEmptyJobIsFrozenAndThawedAgain() throws IOException {
    JobCgroup job = driver.create("j1", LIMITS);
    Path dir = job.directories().getFirst();
    Files.delete(dir.resolve("cgroup.kill"));

    job.kill();

    assertThat(read(dir.resolve("cgroup.freeze"))).isEqualTo("0");
    assertThat(dir.resolve("cgroup.kill")).doesNotExist();
  }

  @Test
  void removeDeletesTheJobCgroupButKeepsTheSharedParent() throws IOException {
    JobCgroup job = driver.create("j1", LIMITS);
    JobCgroup other = driver.create("j2", LIMITS);

    job.close();
    job.remove();

    assertThat(own.resolve("moat-jobs/moat-j1")).doesNotExist();
    assertThat(other.directories().getFirst()).isDirectory();
    assertThatThrownBy(job::stats).hasMessageContaining("removed");
  }

  @Test
  void leftoversOfACrashedAgentAreKilledAndRemovedAtStart() throws IOException {
    driver.create("j1", LIMITS);
    driver.create("j2", LIMITS);

    assertThat(driver.removeLeftovers()).containsExactly("moat-j1", "moat-j2");

    assertThat(own.resolve("moat-jobs")).isDirectoryNotContaining(Files::isDirectory);
    assertThat(driver.removeLeftovers()).isEmpty();
  }

  @Test
  void aLimitTheKernelRefusesLeavesNoCgroupBehind() throws IOException {
    CgroupV2 refusing = new CgroupV2(own, new FakeKernel() {
      @Override
      public void mkdir(Path dir) throws IOException {
        super.mkdir(dir);
        Files.delete(dir.resolve("pids.max"));
        Files.createDirectory(dir.resolve("pids.max"));
      }
    });

    assertThatThrownBy(() -> refusing.create("j1", LIMITS)).hasMessageContaining("pids.max");
    assertThat(own.resolve("moat-jobs/moat-j1")).doesNotExist();
  }

  /** Imitates the kernel: a new cgroup comes with its interface files; rmdir removes them too. */
  static class FakeKernel implements CgroupTree {
    static final Map<String, String> FILES = Map.ofEntries(
        Map.entry("cgroup.procs", ""), Map.entry("cgroup.controllers", "cpu memory pids"),
        Map.entry("cgroup.subtree_control", ""), Map.entry("cgroup.kill", ""),
        Map.entry("cgroup.events", "populated 0\nfrozen 0\n"), Map.entry("memory.max", "max\n"),
        Map.entry("memory.swap.max", "max\n"), Map.entry("memory.events", "max 0\noom_kill 0\n"),
        Map.entry("pids.max", "max\n"), Map.entry("pids.events", "max 0\n"),
        Map.entry("cpu.max", "max 100000\n"), Map.entry("cpu.stat", "usage_usec 0\nnr_throttled 0\n"));

    static void fill(Path dir) throws IOException {
      for (var e : FILES.entrySet()) Files.writeString(dir.resolve(e.getKey()), e.getValue());
    }

    @Override
    public void mkdir(Path dir) throws IOException {
      Files.createDirectory(dir);
      fill(dir);
    }

    @Override
    public void rmdir(Path dir) throws IOException {
      if (!Files.exists(dir)) return;
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
      }
    }
  }
}
