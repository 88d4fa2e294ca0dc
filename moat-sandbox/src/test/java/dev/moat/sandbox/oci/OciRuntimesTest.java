package dev.moat.sandbox.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.HostUser;
import dev.moat.sandbox.OutputCapture;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.image.TestImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime choice against the real crun and runc of this host. */
class OciRuntimesTest {
  @TempDir Path tmp;
  OciSettings runc;
  String digest;

  @BeforeEach
  void setUp() throws IOException {
    assumeTrue(HostUser.current().isRoot(), "the oci tier needs root");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "no runc (apt-get install runc)");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    runc = OciSettings.defaults(tmp, OciFixture.ROOTFS).withRuntime(Path.of("/usr/sbin/runc"), tmp.resolve("state/runc"));
    digest = TestImages.bookworm().digest();
  }

  @Test
  void withoutCrunItIsRunc() {
    OciRuntimes.Choice choice = OciRuntimes.choose(runc, TestImages.store(), digest, tmp.resolve("no-crun"));

    assertThat(choice.settings()).isEqualTo(runc);
    assertThat(choice.reason()).isEqualTo("runc: no " + tmp.resolve("no-crun"));
  }

  @Test
  void crunOnlyWhereItRunsARealContainer() throws IOException {
    assumeTrue(Files.isExecutable(OciRuntimes.CRUN), "no /usr/bin/crun (apt-get install crun)");
    OciRuntimes.Choice choice = OciRuntimes.choose(runc, TestImages.store(), digest);
    System.out.println("runtime on this host: " + choice.reason());

    if (hybridCgroups()) {
      // crun refuses these hosts (the project's build machines are one), so it must be runc.
      assertThat(choice.crun()).isFalse();
      assertThat(choice.settings()).isEqualTo(runc);
      assertThat(choice.reason()).startsWith("runc: crun can't run containers here: crun failed")
          .contains("cgroups in hybrid mode not supported");
    } else {
      assertThat(choice.crun()).as(choice.reason()).isTrue();
      assertThat(choice.settings().runcRoot()).isEqualTo(tmp.resolve("state/crun"));
      assertThat(runOsRelease(choice.settings())).contains("bookworm");
    }
  }

  private String runOsRelease(OciSettings settings) throws IOException {
    OciTier tier = new OciTier(settings, TestImages.store(), digest);
    Path workspace = Files.createDirectory(tmp.resolve("workspace"));
    OutputCapture out = new OutputCapture();
    try (Sandbox sandbox = tier.create(new SandboxSpec("crun-" + ProcessHandle.current().pid(), workspace))) {
      ExecResult r = sandbox.exec(List.of("/bin/cat", "/etc/os-release"), OciFixture.BASIC_ENV, out,
          Instant.now().plus(Duration.ofMinutes(1)));
      assertThat(r.succeeded()).as(out.text()).isTrue();
    }
    return out.text();
  }

  /**
   * Whether this host mounts v1 hierarchies and also a v2 one that holds controllers: what crun
   * refuses. Read from the kernel's tables, independently of crun.
   */
  static boolean hybridCgroups() throws IOException {
    List<String[]> mounts = Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" ")).toList();
    boolean v1 = mounts.stream().anyMatch(m -> m[2].equals("cgroup"));
    for (String[] m : mounts) {
      if (!m[2].equals("cgroup2")) continue;
      Path controllers = Path.of(m[1], "cgroup.controllers");
      if (v1 && Files.exists(controllers) && !Files.readString(controllers).isBlank()) return true;
    }
    return false;
  }
}
