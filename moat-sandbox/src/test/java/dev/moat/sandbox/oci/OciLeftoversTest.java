package dev.moat.sandbox.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.ExecResult.Outcome;
import dev.moat.sandbox.HostProcesses;
import dev.moat.sandbox.HostUser;
import dev.moat.sandbox.OutputCapture;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.image.TestImages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The oci tier's crash sweep: a tier whose sandbox is abandoned mid-step (an agent that crashed)
 * leaves a running container, its cgroups and its bundle; a fresh tier over the same settings
 * removes them all. Each test has a runc root, scratch root and cgroup parent of its own, so the
 * sweep never touches another checkout's containers.
 */
@Tag("slow")
class OciLeftoversTest {
  @TempDir Path tempDir;
  OciSettings settings;
  final List<Sandbox> abandoned = new ArrayList<>();
  final List<Process> started = new ArrayList<>();

  @BeforeEach
  void settings() throws IOException {
    assumeTrue(HostUser.current().isRoot(), "the oci tier needs root");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "no runc (apt-get install runc)");
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    Path scratch = Files.createDirectory(tempDir.resolve("scratch"));
    Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwx--x--x"));
    settings = OciSettings.defaults(scratch, OciFixture.ROOTFS).withRuncRoot(tempDir.resolve("runc"))
        .withCgroupParent("moat_lt" + ProcessHandle.current().pid());
  }

  @AfterEach
  void cleanUp() throws IOException {
    for (Sandbox s : abandoned) s.close();
    for (Process p : started) p.destroyForcibly();
    new OciTier(settings, TestImages.store(), TestImages.bookworm().digest()).removeLeftovers();
    for (Path parent : CgroupDirs.named("", settings.cgroupParent())) Files.deleteIfExists(parent);
  }

  OciTier tier() throws IOException {
    return new OciTier(settings, TestImages.store(), TestImages.bookworm().digest());
  }

  @Test
  void aFreshTierRemovesTheRunningContainerCgroupsAndBundleOfACrashedOne() throws Exception {
    OciTier crashed = tier();
    OciSandbox sandbox = (OciSandbox) crashed.create(new SandboxSpec("crash-" + ProcessHandle.current().pid(),
        Files.createDirectory(tempDir.resolve("ws"))));
    abandoned.add(sandbox);
    String marker = HostProcesses.uniqueMarker(); // a long sleep nobody else runs
    CompletableFuture<ExecResult> step = CompletableFuture.supplyAsync(() -> {
      try {
        return sandbox.exec(List.of("/bin/sleep", marker), OciFixture.BASIC_ENV, new OutputCapture(),
            OciFixture.in(Duration.ofMinutes(10)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    await().atMost(Duration.ofSeconds(20)).until(() -> !HostProcesses.withArgument(marker).isEmpty());
    long init = HostProcesses.withArgument(marker).getFirst();
    String container = sandbox.containerPrefix() + "-1";
    assertThat(crashed.containers()).containsExactly(container);
    assertThat(CgroupDirs.named(settings.cgroupParent(), container)).isNotEmpty();
    assertThat(bundles()).hasSize(1);

    List<String> removed = tier().removeLeftovers();

    assertThat(removed).contains("container " + container).anyMatch(r -> r.startsWith("bundle " + settings.scratchRoot()));
    assertThat(tier().containers()).as("runc list").isEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(init).isEmpty());
    assertThat(CgroupDirs.named(settings.cgroupParent(), container)).isEmpty();
    assertThat(bundles()).isEmpty();
    ExecResult result = step.get(10, TimeUnit.SECONDS);
    assertThat(result).as("the abandoned step was killed").isEqualTo(new ExecResult(Outcome.EXITED, 128 + 9));
  }

  @Test
  void aContainerCgroupWithoutRuncStateIsEmptiedAndRemoved() throws Exception {
    // What a crash between runc's steps leaves: a cgroup in the parent, a process in it, no state.
    String name = "moat-orphan-" + ProcessHandle.current().pid();
    List<Path> dirs = new ArrayList<>();
    for (Path parent : ownCgroups()) {
      Path dir = parent.resolve(settings.cgroupParent()).resolve(name);
      Files.createDirectories(dir);
      dirs.add(dir);
    }
    Process sleeper = new ProcessBuilder("/bin/sleep", "600").start();
    started.add(sleeper);
    for (Path dir : dirs) Files.writeString(dir.resolve("cgroup.procs"), Long.toString(sleeper.pid()));

    List<String> removed = tier().removeLeftovers();

    assertThat(removed).containsExactly("cgroup " + name);
    assertThat(sleeper.waitFor(5, TimeUnit.SECONDS)).as("the process in the cgroup was killed").isTrue();
    assertThat(sleeper.exitValue()).isEqualTo(128 + 9);
    assertThat(dirs).allSatisfy(dir -> assertThat(dir).doesNotExist());
  }

  @Test
  void withNothingLeftTheSweepRemovesNothing() throws IOException {
    assertThat(tier().removeLeftovers()).isEmpty();
  }

  private List<Path> bundles() throws IOException {
    try (Stream<Path> dirs = Files.list(settings.scratchRoot())) {
      return dirs.toList();
    }
  }

  /** This process's own cgroup in each v1 hierarchy with a controller a container uses. */
  private static List<Path> ownCgroups() throws IOException {
    List<Path> dirs = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
      String[] f = line.split(":", 3);
      if (f[1].equals("memory") || f[1].equals("pids")) dirs.add(Path.of("/sys/fs/cgroup", f[1]).resolve(f[2].substring(1)));
    }
    assumeTrue(!dirs.isEmpty(), "no v1 memory or pids hierarchy");
    return dirs;
  }
}
