package dev.moat.sandbox.ctx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.Availability;
import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.BwrapTier;
import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.OutputCapture;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.SandboxTier;
import dev.moat.sandbox.image.TestImages;
import dev.moat.sandbox.oci.OciSettings;
import dev.moat.sandbox.oci.OciTier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ctx socket and {@code moat-ctx} in both tiers, against the real {@link CtxServer}: the helper
 * is on the sandbox's {@code PATH} (the oci image has no moat-ctx of its own), its answers and
 * refusals come through with their exit codes, the socket can't be reached from outside the job's
 * directory, and a step's environment never shows in the host's process table.
 */
class CtxSocketTest {
  static final String VALUE = "s3cr3t-ctx-" + ProcessHandle.current().pid();
  @TempDir Path tempDir;

  /** Serves "secret get A" and refuses everything else the way the agent does. */
  static CtxServer.Answer handle(List<String> args) {
    if (args.equals(List.of("secret", "get", "A"))) return CtxServer.Answer.ok(VALUE);
    return CtxServer.Answer.error(3, "secret " + String.join(" ", args.subList(2, args.size()))
        + " is not granted to this job");
  }

  @Test
  void bwrapJobsReachTheAgentThroughMoatCtx() throws Exception {
    Availability a = BwrapTier.probe(BwrapSettings.defaults());
    if (!a.available()) System.out.println("Skipping: " + a.reason());
    assumeTrue(a.available(), a.reason());
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    exercise(new BwrapTier(BwrapSettings.defaults()));
  }

  @Test
  void ociJobsReachTheAgentThroughMoatCtx() throws Exception {
    assumeTrue(dev.moat.sandbox.HostUser.current().isRoot(), "the oci tier needs root");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "no runc (apt-get install runc)");
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    OciSettings settings = OciSettings.defaults(tempDir, TestImages.ROOTFS);
    exercise(new OciTier(settings, TestImages.store(), TestImages.bookworm().digest()));
  }

  private void exercise(SandboxTier tier) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "no gcc (apt-get install gcc libc6-dev)");
    Path helper = CtxHelper.build(Files.createDirectories(tempDir.resolve("bin")));
    Path ws = Files.createDirectory(tempDir.resolve("ws"));
    try (Sandbox sandbox = tier.create(new SandboxSpec("ctxt-" + ProcessHandle.current().pid(), ws, helper))) {
      Path socket = sandbox.ctxSocket().orElseThrow();
      assertThat(Files.getPosixFilePermissions(socket.getParent())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
      try (CtxServer _ = CtxServer.start(socket, CtxSocketTest::handle, "test")) {
        Map<String, String> env = Map.of("PATH", SandboxSpec.CTX_BIN + ":/usr/bin:/bin", "MOAT_CTX", SandboxSpec.CTX_SOCKET,
            "STEP_SECRET", VALUE + "-env");
        String script = "command -v moat-ctx; moat-ctx secret get A; echo; echo \"env=$STEP_SECRET\";"
            + " moat-ctx secret get B 2>&1; echo \"denied=$?\"; moat-ctx 2>&1; echo \"usage=$?\";"
            + " test -w /run/moat/bin/moat-ctx && echo helper-writable; sleep 1";
        OutputCapture out = new OutputCapture();
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread scan = Thread.ofVirtual().start(() -> {
          while (running.get()) seen.addAll(hostCommandLines());
        });
        ExecResult r = sandbox.exec(List.of("/bin/sh", "-c", script), env, out, Instant.now().plus(Duration.ofMinutes(1)));
        running.set(false);
        scan.join();

        assertThat(r.exitCode()).as(out.text()).isZero();
        assertThat(out.text()).contains("/run/moat/bin/moat-ctx\n" + VALUE + "\nenv=" + VALUE + "-env\n")
            .contains("moat-ctx: secret B is not granted to this job\ndenied=3\n")
            .contains("usage: moat-ctx secret get NAME").contains("usage=2").doesNotContain("helper-writable");
        // The scan saw the step's processes (sleep) but never its environment.
        assertThat(seen).anyMatch(c -> c.contains("sleep 1"));
        assertThat(seen).noneMatch(c -> c.contains(VALUE + "-env"));
        assertOtherUidsAreKeptOut(helper, socket);
      }
      assertThat(socket).doesNotExist();
    }
  }

  /** A host process of another uid (nobody) can't reach the job's socket: its directory is 0700. */
  private static void assertOtherUidsAreKeptOut(Path helper, Path socket) throws Exception {
    if (!dev.moat.sandbox.HostUser.current().isRoot()) return; // without root, job and agent share a uid
    Process p = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", helper.toString(),
        "secret", "get", "A").redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    assertThat(out).isEqualTo("moat-ctx: MOAT_CTX is not set: this job has no ctx socket\n");
    Process q = new ProcessBuilder("/usr/bin/env", "-i", "MOAT_CTX=" + socket, "/usr/bin/setpriv", "--reuid=65534",
        "--regid=65534", "--clear-groups", helper.toString(), "secret", "get", "A").redirectErrorStream(true).start();
    String denied = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(q.waitFor()).isEqualTo(4);
    assertThat(denied).isEqualTo("moat-ctx: " + socket + ": Permission denied\n");
  }

  /** Every host process's command line, NULs as spaces. */
  private static List<String> hostCommandLines() {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().matches("\\d+")).map(p -> {
        try {
          return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
          return "";
        }
      }).toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
