package dev.moat.sandbox.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.ExecResult.Outcome;
import dev.moat.sandbox.HostProcesses;
import dev.moat.sandbox.OutputCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class OciTierTest {
  @TempDir Path tempDir;
  OciFixture oci;

  @BeforeEach
  void setUp() throws IOException {
    oci = new OciFixture(tempDir);
  }

  @AfterEach
  void tearDown() {
    if (oci != null) oci.close();
  }

  @Test
  void aStepSeesTheImagesOsReleaseAndNotTheHostsUsr() throws IOException {
    var ran = oci.sh("cat /etc/os-release; for f in /usr/bin/git /usr/bin/java; do test -e $f && echo HOST:$f; done; true");
    assertThat(ran.result().succeeded()).as(ran.output()).isTrue();
    assertThat(ran.output()).contains("VERSION_CODENAME=bookworm").doesNotContain("HOST:");
    assertThat(Path.of("/usr/bin/git")).as("the host has git, so its absence inside means something").exists();
  }

  @Test
  void stepsRunAsTheJobUidWithNoCapabilities() throws IOException {
    var ran = oci.sh("id -u; id -g; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status");
    assertThat(ran.output()).startsWith("65500\n65500\n")
        .contains("CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1");
  }

  @Test
  void theRootIsReadOnlyButWorkspaceAndTmpAreWritable() throws IOException {
    var ran = oci.sh("touch /usr/x 2>&1; touch /etc/x 2>&1; echo hi > /workspace/f && echo ok > /tmp/t && cat /tmp/t");
    assertThat(ran.output()).contains("touch: cannot touch '/usr/x': Read-only file system")
        .contains("touch: cannot touch '/etc/x': Read-only file system").endsWith("ok\n");
    assertThat(oci.workspace.resolve("f")).hasContent("hi");
  }

  @Test
  void exitCodesPropagate() throws IOException {
    assertThat(oci.sh("exit 7").result()).isEqualTo(new ExecResult(Outcome.EXITED, 7));
    // The command is pid 1 of its namespace, which ignores even SIGKILL sent from inside; a child
    // killed by a signal shows up as 128+signal, as in the bwrap tier.
    assertThat(oci.sh("sh -c 'kill -9 $$'").result()).isEqualTo(new ExecResult(Outcome.EXITED, 137));
  }

  @Test
  void onlyTheWorkspaceCarriesStateFromOneStepToTheNext() throws IOException {
    oci.sh("echo a > /workspace/kept; echo b > /tmp/lost");
    var ran = oci.sh("cat /workspace/kept; ls /tmp");
    assertThat(ran.output()).isEqualTo("a\n");
  }

  @Test
  void theEnvironmentIsExactlyTheOneGiven() throws IOException {
    var ran = oci.sh("env");
    assertThat(ran.output()).contains("PATH=/usr/bin:/bin", "HOME=/workspace")
        .doesNotContain("JAVA_HOME", "MAVEN", "HOME=/root");
  }

  @Test
  void aTimeoutKillsEveryProcessOfTheStep() throws IOException {
    String marker = HostProcesses.uniqueMarker();
    var ran = oci.sh("sleep " + marker + " & sleep " + marker + "; echo never", Duration.ofSeconds(2));

    assertThat(ran.result()).isEqualTo(new ExecResult(Outcome.TIMED_OUT, -1));
    assertThat(ran.output()).doesNotContain("never");
    await().atMost(Duration.ofSeconds(5)).until(() -> HostProcesses.withArgument(marker).isEmpty());
    assertThat(oci.containers()).isEmpty();
  }

  @Test
  void killEndsTheRunningStepAndRefusesLaterOnes() throws Exception {
    String marker = HostProcesses.uniqueMarker();
    CompletableFuture<ExecResult> running = CompletableFuture.supplyAsync(() -> {
      try {
        return oci.sandbox.exec(List.of("/bin/sleep", marker), OciFixture.BASIC_ENV, new OutputCapture(),
            OciFixture.in(Duration.ofMinutes(1)));
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> !HostProcesses.withArgument(marker).isEmpty());

    oci.sandbox.kill();

    assertThat(running.get()).isEqualTo(new ExecResult(Outcome.KILLED, -1));
    assertThat(oci.sh("true").result().outcome()).isEqualTo(Outcome.KILLED);
    await().atMost(Duration.ofSeconds(5)).until(() -> HostProcesses.withArgument(marker).isEmpty());
  }

  @Test
  void aRunningStepIsConfinedToItsCgroupLimits() throws Exception {
    String marker = HostProcesses.uniqueMarker();
    CompletableFuture<ExecResult> running = CompletableFuture.supplyAsync(() -> {
      try {
        return oci.sandbox.exec(List.of("/bin/sleep", marker), OciFixture.BASIC_ENV, new OutputCapture(),
            OciFixture.in(Duration.ofMinutes(1)));
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> !HostProcesses.withArgument(marker).isEmpty());
    long pid = HostProcesses.withArgument(marker).getFirst();
    List<Path> jobs = CgroupDirs.named("", oci.sandbox.cgroupName());
    List<Path> containers = CgroupDirs.named(oci.sandbox.cgroupName(), oci.sandbox.containerPrefix());

    // The caps are on the job cgroup; the step's container nests in it and holds the process.
    OciLimits limits = oci.settings.limits();
    assertThat(jobs).anySatisfy(dir -> assertThat(dir.resolve("pids.max")).hasContent(Long.toString(limits.pids())));
    // v1 names the memory limit memory.limit_in_bytes, v2 memory.max; exactly one dir has it.
    assertThat(jobs).filteredOn(dir -> memoryLimit(dir) != null).hasSize(1)
        .allSatisfy(dir -> assertThat(memoryLimit(dir)).hasContent(Long.toString(limits.memoryBytes())));
    assertThat(containers).filteredOn(dir -> memoryLimit(dir) != null).hasSize(1)
        .allSatisfy(dir -> assertThat(Files.readString(dir.resolve("cgroup.procs"))).contains(Long.toString(pid)));

    oci.sandbox.kill();
    assertThat(running.get().outcome()).isEqualTo(Outcome.KILLED);
  }

  @Test
  void afterCloseNothingIsLeftOnTheHost() throws IOException {
    oci.sh("true");
    oci.sh("echo second");
    String cgroup = oci.sandbox.cgroupName();
    List<Path> before = bundleDirs();

    oci.close();

    assertThat(oci.containers()).isEmpty();
    assertThat(bundleDirs()).hasSize(before.size() - 1);
    assertThat(CgroupDirs.named("", cgroup)).as("the job cgroup and its containers', every hierarchy").isEmpty();
  }

  private static Path memoryLimit(Path cgroup) {
    for (String name : List.of("memory.limit_in_bytes", "memory.max")) {
      if (Files.exists(cgroup.resolve(name))) return cgroup.resolve(name);
    }
    return null;
  }

  private List<Path> bundleDirs() throws IOException {
    try (var dirs = Files.list(tempDir)) {
      return dirs.filter(p -> !p.getFileName().toString().equals("workspace")).toList();
    }
  }
}
