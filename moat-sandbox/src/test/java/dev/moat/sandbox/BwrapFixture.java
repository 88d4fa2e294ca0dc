package dev.moat.sandbox;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A real bwrap tier and a sandbox over a fresh workspace, for tests. Skips the test (with the
 * probe's reason printed) only when this host cannot run bwrap sandboxes at all.
 */
final class BwrapFixture implements AutoCloseable {
  static final Map<String, String> BASIC_ENV = Map.of("PATH", "/usr/bin:/bin", "HOME", SandboxSpec.WORKSPACE);
  private static Availability availability;

  final BwrapSettings settings = BwrapSettings.defaults();
  final BwrapTier tier;
  final Path workspace;
  final Sandbox sandbox;

  /**
   * @param tempDir a JUnit {@code @TempDir}: mode 0700, so it is opened to 0711 here; the sandbox's
   *     uid must be able to search every parent of the workspace
   */
  BwrapFixture(Path tempDir) throws IOException {
    assumeBwrapWorks();
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    tier = new BwrapTier(settings);
    workspace = Files.createDirectory(tempDir.resolve("workspace"));
    sandbox = tier.create(new SandboxSpec("test-" + ProcessHandle.current().pid(), workspace));
  }

  static synchronized void assumeBwrapWorks() {
    if (availability == null) {
      availability = BwrapTier.probe(BwrapSettings.defaults());
      if (!availability.available()) System.out.println("Skipping bwrap tests: " + availability.reason());
    }
    assumeTrue(availability.available(), availability.reason());
  }

  static Instant in(Duration duration) {
    return Instant.now().plus(duration);
  }

  /** Runs {@code sh -c script} with {@link #BASIC_ENV} and a one-minute deadline. */
  Ran sh(String script) throws IOException {
    OutputCapture out = new OutputCapture();
    ExecResult result = sandbox.exec(List.of("/bin/sh", "-c", script), BASIC_ENV, out, in(Duration.ofMinutes(1)));
    return new Ran(result, out.text());
  }

  /** A finished exec and its output. */
  record Ran(ExecResult result, String output) {}

  @Override
  public void close() {
    sandbox.close();
  }
}
