package dev.moat.sandbox.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.Availability;
import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.BwrapTier;
import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.OutputCapture;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.image.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks invariant I3 (bounded disk) from inside a real bwrap sandbox whose workspace is a
 * {@link WorkspaceVolume}: every way of filling it stops at its size with ENOSPC.
 */
class BwrapVolumeTest {
  static final long SIZE = 32L << 20;
  static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin", "HOME", SandboxSpec.WORKSPACE);

  @TempDir Path tempDir;
  WorkspaceVolumes volumes;
  WorkspaceVolume volume;
  Sandbox sandbox;

  @BeforeEach
  void setUp() throws IOException {
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    assumeAvailable(BwrapTier.probe(BwrapSettings.defaults()), "bwrap");
    assumeAvailable(WorkspaceVolumes.probe(tempDir.resolve("probe")), "workspace volume");
    volumes = new WorkspaceVolumes(tempDir.resolve("volumes"));
    volume = volumes.create("moat-disk-bwrap", SIZE);
    Files.createDirectories(volume.path().resolve("src"));
    Files.writeString(volume.path().resolve("src/main.c"), "int main(void) { return 0; }\n");
    sandbox = new BwrapTier(BwrapSettings.defaults()).create(new SandboxSpec("moat-disk-bwrap", volume.path()));
  }

  @AfterEach
  void tearDown() throws IOException {
    if (sandbox != null) sandbox.close();
    if (volumes != null) volumes.removeLeftovers();
  }

  @Test
  void writingPastTheCapFailsWithNoSpaceLeftAndTheHostDiskHoldsAtMostTheCap() throws IOException {
    String out = sh("dd if=/dev/zero of=/workspace/fill bs=1M count=64 2>&1; echo rc=$?; stat -c size=%s /workspace/fill");

    assertThat(out).contains("dd: error writing '/workspace/fill': No space left on device", "rc=1");
    assertThat(sizeIn(out)).isLessThanOrEqualTo(SIZE).isGreaterThan(SIZE * 8 / 10);
    assertThat(allocatedBytes(volume.image())).isLessThanOrEqualTo(SIZE + HOST_EXTENT_BLOCKS);
    assertThat(sh("head -c 2097152 /dev/zero >> /workspace/src/main.c; echo rc=$?")).contains("No space left on device", "rc=1");
  }

  @Test
  void preallocatingPastTheCapFailsWithNoSpaceLeft() throws IOException {
    assertThat(sh("fallocate -l 64M /workspace/big; echo rc=$?"))
        .contains("fallocate: fallocate failed: No space left on device", "rc=1");
    assertThat(allocatedBytes(volume.image())).isLessThanOrEqualTo(SIZE + HOST_EXTENT_BLOCKS);
  }

  @Test
  void creatingMoreFilesThanTheVolumeHasInodesFailsWithNoSpaceLeft() throws IOException {
    // 32 MiB at one inode per 8 KiB is 4096 inodes: the 5000th empty file cannot exist.
    String out = sh("i=0; while [ $i -lt 5000 ]; do true > /workspace/f$i || { echo stopped=$i; exit 0; }; i=$((i+1)); done; echo all");

    assertThat(out).contains("No space left on device").doesNotContain("all");
    assertThat(Integer.parseInt(out.substring(out.indexOf("stopped=") + 8).strip())).isBetween(4000, 4096);
  }

  @Test
  void theJobReadsTheSourceAndWritesNormallyUnderTheCap() throws IOException {
    String out = sh("cat src/main.c && id -u && head -c 8388608 /dev/urandom > blob && mkdir -p out/deep "
        + "&& mv blob out/deep/blob && ln -s deep/blob out/link && wc -c < out/link && echo done > out/result "
        + "&& rm out/link && ls out");

    assertThat(out).isEqualTo("int main(void) { return 0; }\n65500\n8388608\ndeep\nresult\n");
    assertThat(volume.path().resolve("out/result")).hasContent("done");
  }

  @Test
  void theJobCanNeitherUnmountNorRemountNorHardLinkOutOfItsWorkspace() throws IOException {
    String out = sh("umount /workspace 2>/dev/null; echo umount=$?; "
        + "mount -o remount,suid,dev /workspace 2>/dev/null; echo remount=$?; "
        + "ln /etc/passwd /workspace/passwd 2>&1; grep ' /workspace ' /proc/self/mountinfo");

    assertThat(out).doesNotContain("umount=0", "remount=0")
        .contains("Invalid cross-device link")
        .containsPattern(" /workspace rw,nosuid,nodev[, ].* - ext4 /dev/loop[0-9]+ ");
  }

  @Test
  void closingTheSandboxThenTheVolumeLeavesNoMountLoopDeviceOrFile() throws IOException {
    assertThat(sh("echo hi > /workspace/f && cat /workspace/f")).isEqualTo("hi\n");

    sandbox.close();
    volume.close();

    await().atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> WorkspaceVolumeTest.assertNothingLeftUnder(volumes.root()));
  }

  private String sh(String script) throws IOException {
    OutputCapture out = new OutputCapture();
    ExecResult result = sandbox.exec(List.of("/bin/sh", "-c", script), ENV, out, Instant.now().plus(Duration.ofMinutes(1)));
    assertThat(result.outcome()).as(out.text()).isEqualTo(ExecResult.Outcome.EXITED);
    return out.text();
  }

  static long sizeIn(String output) {
    return Long.parseLong(output.lines().filter(l -> l.startsWith("size=")).findFirst().orElseThrow().substring(5));
  }

  /**
   * What the host's file system may add to a volume's reserved size for its own extent tree, once
   * writes split the reservation's unwritten extents (one 4 KiB block here).
   */
  static final long HOST_EXTENT_BLOCKS = 64L << 10;

  /** Bytes the host's file system really allocated to {@code file}. */
  static long allocatedBytes(Path file) throws IOException {
    String[] blocks = HostCommand.output(List.of("/usr/bin/stat", "-c", "%b %B", file.toString()), Duration.ofSeconds(10))
        .strip().split(" ");
    return Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
  }

  static void assumeAvailable(Availability availability, String what) {
    if (!availability.available()) System.out.println("Skipping " + what + " tests: " + availability.reason());
    assumeTrue(availability.available(), availability.reason());
  }
}
