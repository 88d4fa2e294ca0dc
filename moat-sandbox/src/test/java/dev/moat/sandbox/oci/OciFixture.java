package dev.moat.sandbox.oci;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.HostUser;
import dev.moat.sandbox.OutputCapture;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.image.TestImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A real oci tier over the test {@code debian-bookworm} image and a sandbox over a fresh
 * workspace. Unpacked images are kept in {@link TestImages#ROOTFS} across runs (keyed by digest).
 * Skips when not root or without runc.
 */
final class OciFixture implements AutoCloseable {
  static final Map<String, String> BASIC_ENV = Map.of("PATH", "/usr/bin:/bin", "HOME", SandboxSpec.WORKSPACE);

  final OciSettings settings;
  final OciTier tier;
  final Path workspace;
  final OciSandbox sandbox;

  /** @param tempDir a JUnit {@code @TempDir}, for the workspace and the bundle */
  OciFixture(Path tempDir) throws IOException {
    this(tempDir, null);
  }

  /**
   * @param tempDir a JUnit {@code @TempDir}, for the bundle (and the workspace when none is given)
   * @param workspace the sandbox's workspace, or null for a fresh directory in {@code tempDir}
   */
  OciFixture(Path tempDir, Path workspace) throws IOException {
    assumeTrue(HostUser.current().isRoot(), "the oci tier needs root");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "no runc (apt-get install runc)");
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    settings = OciSettings.defaults(tempDir, TestImages.ROOTFS);
    tier = new OciTier(settings, TestImages.store(), TestImages.bookworm().digest());
    this.workspace = workspace != null ? workspace : Files.createDirectory(tempDir.resolve("workspace"));
    sandbox = (OciSandbox) tier.create(new SandboxSpec("test-" + ProcessHandle.current().pid(), this.workspace));
  }

  static Instant in(Duration duration) {
    return Instant.now().plus(duration);
  }

  /** Runs {@code sh -c script} with {@link #BASIC_ENV} and a one-minute deadline. */
  Ran sh(String script) throws IOException {
    return sh(script, Duration.ofMinutes(1));
  }

  Ran sh(String script, Duration limit) throws IOException {
    OutputCapture out = new OutputCapture();
    ExecResult result = sandbox.exec(List.of("/bin/sh", "-c", script), BASIC_ENV, out, in(limit));
    return new Ran(result, out.text());
  }

  /** Containers of this fixture's sandbox that runc still knows. */
  List<String> containers() throws IOException {
    return tier.containers().stream().filter(id -> id.startsWith(sandbox.containerPrefix())).toList();
  }

  record Ran(ExecResult result, String output) {}

  @Override
  public void close() {
    sandbox.close();
  }
}
