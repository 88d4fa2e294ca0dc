package dev.moat.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.net.AllowedHost;
import dev.moat.sandbox.net.Egress;
import dev.moat.sandbox.net.EgressFixture;
import dev.moat.sandbox.net.EgressLab;
import dev.moat.sandbox.net.EgressPolicy;
import dev.moat.sandbox.net.JobNetwork;
import dev.moat.sandbox.net.NetworkLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Filtered egress through the bwrap tier, attacked from inside a real sandbox whose traffic is
 * caught by the network lab: the allowlisted name answers, a public address off the list and the
 * private and metadata ranges are refused, denials are counted for the job, and nothing leaks.
 */
class BwrapEgressTest {
  static EgressLab net;
  static NetworkLab lab;
  static Egress egress;
  @TempDir Path tempDir;

  @BeforeAll
  static void startLabAndEgress() throws IOException {
    BwrapFixture.assumeBwrapWorks();
    Availability available = Egress.probe();
    boolean python = Files.isExecutable(Path.of("/usr/bin/python3"));
    if (!available.available() || !python) System.out.println("skipping bwrap egress tests: " + available.reason() + (python ? "" : ", no python3"));
    assumeTrue(available.available() && python, available.reason());
    net = EgressLab.start("lb", "bt", EgressFixture.resolver());
    lab = net.lab();
    egress = net.egress();
  }

  @AfterAll
  static void stop() throws IOException {
    if (net != null) net.close();
  }

  @Test
  void aJobReachesItsAllowlistAndNothingElse() throws Exception {
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    BwrapTier tier = new BwrapTier(BwrapSettings.defaults())
        .withEgress(egress, EgressPolicy.filtered(new AllowedHost("allowed.example")));
    Sandbox sandbox = tier.create(new SandboxSpec("egress-" + ProcessHandle.current().pid(),
        Files.createDirectory(tempDir.resolve("ws"))));
    JobNetwork network = ((BwrapSandbox) sandbox).network();
    lab.capture(network);
    try {
      String script = """
          exec 3<>/dev/tcp/allowed.example/443 && read -r line <&3 && echo "allowed: $line"
          for target in 203.0.113.20/443 10.0.0.1/80 172.16.0.1/80 192.168.1.1/80 100.64.0.1/80 169.254.169.254/80; do
            if (exec 4<>/dev/tcp/$target) 2>/dev/null; then echo "REACHED $target"; else echo "refused $target"; fi
          done
          """;
      OutputCapture out = new OutputCapture();
      ExecResult r = sandbox.exec(List.of("/bin/bash", "-c", script), BwrapFixture.BASIC_ENV, out,
          BwrapFixture.in(Duration.ofSeconds(60)));

      assertThat(r.succeeded()).as(out.text()).isTrue();
      assertThat(out.text()).contains("allowed: hello " + NetworkLab.ALLOWED + ":443").doesNotContain("REACHED");
      assertThat(out.text().lines().filter(l -> l.startsWith("refused"))).hasSize(6);
      assertThat(sandbox.egressDenials()).isEqualTo(6);
    } finally {
      sandbox.close();
      lab.release(network);
    }
    assertThat(lab.leaks()).as("packets that left the lab's addresses").isZero();
  }
}
