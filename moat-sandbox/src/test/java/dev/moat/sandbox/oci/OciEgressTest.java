package dev.moat.sandbox.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.HostUser;
import dev.moat.sandbox.OutputCapture;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.image.TestImages;
import dev.moat.sandbox.net.AllowedHost;
import dev.moat.sandbox.net.Egress;
import dev.moat.sandbox.net.EgressFixture;
import dev.moat.sandbox.net.EgressPolicy;
import dev.moat.sandbox.net.EgressLab;
import dev.moat.sandbox.net.JobNetwork;
import dev.moat.sandbox.net.JobProbe;
import dev.moat.sandbox.net.JobProbe.Outcome;
import dev.moat.sandbox.net.NetworkLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Filtered egress through the oci tier, attacked from inside real runc containers (uid 65500, no
 * capabilities, the bookworm image's own bash) whose traffic is caught by the network lab: the
 * allowlisted name answers, a public address off the list, the private, CGNAT and metadata ranges,
 * the host's addresses and the gateway are refused with a TCP reset, denials are counted for the
 * job across its steps, and nothing leaks.
 */
@Tag("slow")
class OciEgressTest {
  static EgressLab net;
  static NetworkLab lab;
  static Egress egress;
  @TempDir Path tempDir;
  final List<Sandbox> sandboxes = new ArrayList<>();
  final List<JobNetwork> captured = new ArrayList<>();
  OciSettings settings;

  @BeforeAll
  static void startLabAndEgress() throws IOException {
    assumeTrue(HostUser.current().isRoot(), "the oci tier needs root");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "no runc (apt-get install runc)");
    EgressFixture.assumeCapable("oci egress tests");
    net = EgressLab.start("lo", "oe", EgressFixture.resolver());
    lab = net.lab();
    egress = net.egress();
  }

  @AfterAll
  static void stop() throws IOException {
    if (net != null) net.close();
  }

  @BeforeEach
  void settings() throws IOException {
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    settings = OciSettings.defaults(tempDir, OciFixture.ROOTFS);
  }

  @AfterEach
  void closeAndCheckNothingLeaked() throws IOException {
    for (Sandbox s : sandboxes) s.close();
    for (JobNetwork n : captured) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(n.netnsPath()));
      lab.release(n);
    }
    if (lab != null) assertThat(lab.leaks()).as("packets that left the lab's addresses").isZero();
  }

  OciSandbox sandbox(EgressPolicy policy) throws IOException {
    OciTier tier = new OciTier(settings, TestImages.store(), TestImages.bookworm().digest()).withEgress(egress, policy);
    OciSandbox sandbox = (OciSandbox) tier.create(new SandboxSpec("egress-" + ProcessHandle.current().pid(),
        Files.createDirectories(tempDir.resolve("ws" + sandboxes.size()))));
    sandboxes.add(sandbox);
    lab.capture(sandbox.network());
    captured.add(sandbox.network());
    return sandbox;
  }

  /** Runs {@link JobProbe#CONNECT} in a fresh container of {@code sandbox}. */
  static Map<String, Outcome> connect(Sandbox sandbox, List<String> targets) throws IOException {
    List<String> argv = new ArrayList<>(List.of("/bin/bash", "-c", JobProbe.CONNECT, "probe"));
    argv.addAll(targets);
    OutputCapture out = new OutputCapture();
    ExecResult r = sandbox.exec(argv, OciFixture.BASIC_ENV, out, OciFixture.in(Duration.ofMinutes(1)));
    assertThat(r.succeeded()).as(out.text()).isTrue();
    return JobProbe.parse(out.text(), targets);
  }

  @Test
  void theAllowlistedNameAnswersAndAPublicAddressOffTheListIsRefused() throws Exception {
    OciSandbox sandbox = sandbox(EgressPolicy.filtered(new AllowedHost("allowed.example")));

    Map<String, Outcome> out = connect(sandbox,
        List.of("allowed.example:443", "allowed.example:80", NetworkLab.OTHER + ":443", "allowed.example:22"));

    assertThat(out.get("allowed.example:443").answer()).isEqualTo("hello " + NetworkLab.ALLOWED + ":443");
    assertThat(out.get("allowed.example:80").answer()).isEqualTo("hello " + NetworkLab.ALLOWED + ":80");
    assertThat(out.get(NetworkLab.OTHER + ":443").error()).isEqualTo("Connection refused");
    assertThat(out.get("allowed.example:22").error()).isEqualTo("Connection refused");
    assertThat(sandbox.egressDenials()).isEqualTo(2);
  }

  @Test
  void privateCgnatAndMetadataTargetsAreRefusedWithinAHundredMilliseconds() throws Exception {
    OciSandbox sandbox = sandbox(EgressPolicy.filtered(new AllowedHost("allowed.example"), new AllowedHost("rebind.example")));
    List<String> targets = List.of("10.0.0.1:80", "172.16.0.1:80", "192.168.1.1:80", "100.64.0.1:80",
        "169.254.169.254:80", "rebind.example:443");

    Map<String, Outcome> out = connect(sandbox, targets);

    for (Outcome o : out.values()) {
      assertThat(o.error()).as(o.target()).isEqualTo("Connection refused");
      System.out.printf("oci: refused %s in %.2f ms%n", o.target(), o.millis());
      assertThat(o.millis()).as("ms to refuse " + o.target()).isLessThan(100);
    }
    assertThat(sandbox.egressDenials()).isEqualTo(targets.size());
  }

  @Test
  void theGatewayTheHostsAddressesAndItsLoopbackAreUnreachable() throws Exception {
    OciSandbox sandbox = sandbox(EgressPolicy.filtered(new AllowedHost("allowed.example")));
    String gateway = sandbox.network().gateway().orElseThrow().getHostAddress();
    String port = Integer.toString(lab.hostPort());
    Set<String> targets = new LinkedHashSet<>(List.of(gateway + ":" + port, gateway + ":22"));
    for (String address : NetworkLab.hostAddresses()) {
      if (!address.startsWith("127.")) targets.add(address + ":" + port);
    }
    targets.add("127.0.0.1:" + port); // the container's own loopback: the host's is out of reach

    Map<String, Outcome> out = connect(sandbox, List.copyOf(targets));

    out.values().forEach(o -> assertThat(o.error()).as(o.target()).isEqualTo("Connection refused"));
    assertThat(lab.hostAccepts()).as("connections the host listener accepted").isZero();
    assertThat(sandbox.egressDenials()).as("all but the container's own loopback").isEqualTo(targets.size() - 1);
  }

  @Test
  void everyStepJoinsTheJobsNetworkSoDenialsAddUpAcrossSteps() throws Exception {
    OciSandbox sandbox = sandbox(EgressPolicy.filtered(new AllowedHost("allowed.example")));

    connect(sandbox, List.of("10.0.0.1:80"));
    Map<String, Outcome> second = connect(sandbox, List.of("169.254.169.254:80", "allowed.example:443"));
    OutputCapture hosts = new OutputCapture();
    sandbox.exec(List.of("/bin/cat", "/etc/hosts"), OciFixture.BASIC_ENV, hosts, OciFixture.in(Duration.ofSeconds(30)));

    assertThat(second.get("allowed.example:443").answer()).isEqualTo("hello " + NetworkLab.ALLOWED + ":443");
    assertThat(hosts.text()).contains(NetworkLab.ALLOWED + " allowed.example");
    assertThat(sandbox.egressDenials()).isEqualTo(2);
  }

  @Test
  void closeTearsTheJobsNetworkDown() throws Exception {
    OciSandbox sandbox = sandbox(EgressPolicy.filtered(new AllowedHost("allowed.example")));
    connect(sandbox, List.of("10.0.0.1:80"));
    Path netns = sandbox.network().netnsPath();
    assertThat(netns).exists();

    sandbox.close();

    await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(netns));
    assertThat(sandbox.network().denials()).as("the final count survives close").isEqualTo(1);
  }

  @Test
  void aCreateThatFailsLeavesNoBundleAndNoNetwork() throws Exception {
    OciTier tier = new OciTier(settings, TestImages.store(), TestImages.bookworm().digest())
        .withEgress(egress, EgressPolicy.filtered(new AllowedHost("unknown.example")));
    Path ws = Files.createDirectory(tempDir.resolve("ws"));

    assertThatThrownBy(() -> tier.create(new SandboxSpec("egress-fail", ws)))
        .isInstanceOf(IOException.class).hasMessageContaining("unknown.example");

    try (Stream<Path> left = Files.list(tempDir)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("ws");
    }
    assertThat(egress.removeLeftovers()).as("nothing of the failed job's network").isEmpty();
  }
}
