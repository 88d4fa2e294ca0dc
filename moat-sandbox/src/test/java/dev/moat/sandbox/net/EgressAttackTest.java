package dev.moat.sandbox.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.net.JobProbe.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Invariant I4 attacked from inside real job networks, by processes running as uid 65500 with no
 * capabilities, against a {@link NetworkLab}: every job packet that gets past Moat's table lands in
 * the lab, and the lab's leak counter must stay 0.
 */
class EgressAttackTest {
  static EgressLab net;
  static NetworkLab lab;
  static Egress egress;
  final List<JobNetwork> jobs = new ArrayList<>();

  @BeforeAll
  static void startLabAndEgress() throws IOException {
    EgressFixture.assumeCapable("egress attack tests");
    net = EgressLab.start("la", "ea", EgressFixture.resolver());
    lab = net.lab();
    egress = net.egress();
  }

  @AfterAll
  static void tearDownLabAndEgress() throws IOException {
    if (net != null) net.close();
  }

  @AfterEach
  void closeJobsAndCheckNothingLeaked() throws IOException {
    for (JobNetwork job : jobs) {
      try {
        job.close();
      } finally {
        lab.release(job);
      }
    }
    assertThat(lab.leaks()).as("packets that left the lab's addresses").isZero();
  }

  JobNetwork job(EgressPolicy policy) throws IOException {
    JobNetwork job = egress.open(policy);
    jobs.add(job);
    lab.capture(job);
    return job;
  }


  @Test
  void anAllowlistedHostResolvedAtTheGatewayIsReachableByNameOn443And80() throws Exception {
    JobNetwork job = job(EgressPolicy.filtered(new AllowedHost("allowed.example")));
    assertThat(job.hostsEntries()).isEqualTo(NetworkLab.ALLOWED + " allowed.example\n");

    Map<String, Outcome> out = JobProbe.connect(job, List.of("allowed.example:443", "allowed.example:80"));

    assertThat(out.get("allowed.example:443").answer()).isEqualTo("hello " + NetworkLab.ALLOWED + ":443");
    assertThat(out.get("allowed.example:80").answer()).isEqualTo("hello " + NetworkLab.ALLOWED + ":80");
    assertThat(job.denials()).isZero();
  }

  @Test
  void aPublicHostNotOnTheListAndAnAllowedHostOnAnotherPortAreRefused() throws Exception {
    JobNetwork job = job(EgressPolicy.filtered(new AllowedHost("allowed.example", List.of(443))));

    Map<String, Outcome> out = JobProbe.connect(job,
        List.of(NetworkLab.OTHER + ":443", NetworkLab.OTHER + ":80", "allowed.example:80", "allowed.example:22"));

    out.values().forEach(o -> assertThat(o.error()).as(o.target()).isEqualTo("Connection refused"));
    assertThat(job.denials()).isEqualTo(4);
  }

  @Test
  void privateAndMetadataTargetsAreRefusedWithinAHundredMilliseconds() throws Exception {
    JobNetwork job = job(EgressPolicy.filtered(new AllowedHost("allowed.example"), new AllowedHost("rebind.example")));
    List<String> targets = List.of("10.0.0.1:80", "172.16.0.1:80", "192.168.1.1:80", "100.64.0.1:80",
        "169.254.169.254:80", "rebind.example:443");

    Map<String, Outcome> out = JobProbe.connect(job, targets);

    for (Outcome o : out.values()) {
      assertThat(o.error()).as(o.target()).isEqualTo("Connection refused");
      assertThat(o.millis()).as("ms to refuse " + o.target()).isLessThan(100);
      System.out.printf("refused %s in %.2f ms%n", o.target(), o.millis());
    }
    assertThat(job.denials()).isEqualTo(targets.size());
  }

  @Test
  void theGatewayTheHostsAddressesAndItsLoopbackAreUnreachable() throws Exception {
    JobNetwork job = job(EgressPolicy.filtered(new AllowedHost("allowed.example")));
    String port = Integer.toString(lab.hostPort());
    Set<String> targets = new LinkedHashSet<>(List.of(
        job.gateway().orElseThrow().getHostAddress() + ":" + port, job.gateway().orElseThrow().getHostAddress() + ":22"));
    for (String address : NetworkLab.hostAddresses()) {
      if (!address.startsWith("127.")) targets.add(address + ":" + port);
    }
    targets.add("127.0.0.1:" + port); // the job's own loopback: the host's is out of reach

    Map<String, Outcome> out = JobProbe.connect(job, List.copyOf(targets));

    out.values().forEach(o -> assertThat(o.error()).as(o.target()).isEqualTo("Connection refused"));
    assertThat(lab.hostAccepts()).as("connections the host listener accepted").isZero();
    assertThat(job.denials()).as("all but the job's own loopback").isEqualTo(targets.size() - 1);
  }

  @Test
  void aJobWithoutEgressHasOnlyLoopbackAndEveryOutsideConnectIsUnreachable() throws Exception {
    JobNetwork job = job(EgressPolicy.none());
    assertThat(job.hostInterface()).isEmpty();
    assertThat(job.hostsEntries()).isEmpty();

    String links = JobProbe.run(job, List.of("/usr/sbin/ip", "-o", "link", "show"));
    Map<String, Outcome> out = JobProbe.connect(job,
        List.of(NetworkLab.ALLOWED + ":443", "10.0.0.1:80", "169.254.169.254:80", "192.0.2.2:" + lab.hostPort(),
            "127.0.0.1:" + lab.hostPort()));

    assertThat(links.lines().map(l -> l.split(":")[1].trim())).containsExactly("lo");
    out.entrySet().stream().filter(e -> !e.getKey().startsWith("127."))
        .forEach(e -> assertThat(e.getValue().error()).as(e.getKey()).isEqualTo("Network is unreachable"));
    assertThat(out.get("127.0.0.1:" + lab.hostPort()).error()).isEqualTo("Connection refused");
    assertThat(lab.hostAccepts()).isZero();
    assertThat(job.denials()).isZero();
  }

  @Test
  void denialsAreCountedPerJobAndJobsCannotReachEachOther() throws Exception {
    JobNetwork a = job(EgressPolicy.filtered(new AllowedHost("allowed.example")));
    JobNetwork b = job(EgressPolicy.filtered(new AllowedHost("other.example")));

    JobProbe.connect(a, List.of(NetworkLab.OTHER + ":443", "10.0.0.1:80", b.address().orElseThrow().getHostAddress() + ":80"));
    Map<String, Outcome> fromB = JobProbe.connect(b, List.of("169.254.169.254:80", "other.example:443"));

    assertThat(fromB.get("other.example:443").answer()).isEqualTo("hello " + NetworkLab.OTHER + ":443");
    assertThat(a.denials()).isEqualTo(3);
    assertThat(b.denials()).isEqualTo(1);
    a.close();
    assertThat(a.denials()).as("the final count survives close").isEqualTo(3);
  }

  @Test
  void ipv6IsOffInTheJobAndTheJobCannotTurnItOn() throws Exception {
    JobNetwork job = job(EgressPolicy.filtered(new AllowedHost("allowed.example")));

    String state = JobProbe.run(job, List.of("/bin/sh", "-c",
        "echo addrs=$(cat /proc/net/if_inet6 | wc -l) disabled=$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6);"
            + " echo 0 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6 || echo ENABLE-REFUSED;"
            + " /usr/sbin/ip -6 addr add 2001:db8::2/64 dev eth0 || echo ADDR-REFUSED"));
    Map<String, Outcome> out = JobProbe.connect(job, List.of("2001:db8::10:443", "fd00::2:443", "::1:443"));

    assertThat(state).contains("addrs=0 disabled=1", "ENABLE-REFUSED", "ADDR-REFUSED");
    out.values().forEach(o -> assertThat(o.open()).as(o.target()).isFalse());
    out.values().forEach(o -> assertThat(o.error()).as(o.target())
        .isIn("Network is unreachable", "Cannot assign requested address", "Address family not supported by protocol"));
  }

  @Test
  void theJobCannotLeaveItsNamespaceOrChangeItsInterface() throws Exception {
    JobNetwork job = job(EgressPolicy.filtered(new AllowedHost("allowed.example")));

    String out = JobProbe.run(job, List.of("/bin/sh", "-c",
        "/usr/bin/nsenter --net=/proc/1/ns/net -- /bin/true || echo SETNS-REFUSED;"
            + " /usr/sbin/ip addr add 10.232.255.1/30 dev eth0 || echo ADDR-REFUSED;"
            + " /usr/sbin/ip link set eth0 down || echo DOWN-REFUSED"));

    assertThat(out).contains("SETNS-REFUSED", "ADDR-REFUSED", "DOWN-REFUSED").contains("Operation not permitted");
  }

  @Test
  void aBwrapSandboxStartedThroughTheEnterPrefixUsesTheJobNetwork() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/bwrap")), "no bwrap");
    JobNetwork job = job(EgressPolicy.filtered(new AllowedHost("allowed.example")));
    Path hosts = Files.createTempFile("moat-egress-bwrap-hosts", "",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
    try {
      Files.writeString(hosts, "127.0.0.1 localhost\n" + job.hostsEntries());
      List<String> bwrap = List.of("/usr/bin/bwrap", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
          "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--ro-bind", "/etc/nsswitch.conf", "/etc/nsswitch.conf",
          "--ro-bind", hosts.toString(), "/etc/hosts", "--proc", "/proc", "--dev", "/dev",
          "--unshare-all", "--share-net", "--die-with-parent", "--cap-drop", "ALL", "--",
          "/bin/bash", "-c", "exec 3<>/dev/tcp/allowed.example/443 && read -r line <&3 && echo \"$line\";"
              + " exec 4<>/dev/tcp/10.0.0.1/80 || echo PRIVATE-REFUSED; cat /proc/net/dev | tail -n +3 | cut -d: -f1");
      List<String> argv = new ArrayList<>(JobProbe.SETPRIV);
      argv.addAll(bwrap);
      Process p = new ProcessBuilder(job.enter().wrap(argv)).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

      assertThat(out).contains("hello " + NetworkLab.ALLOWED + ":443", "Connection refused", "PRIVATE-REFUSED");
      assertThat(out.lines().filter(l -> l.startsWith(" ")).map(String::trim)).containsExactlyInAnyOrder("lo", "eth0");
      assertThat(job.denials()).isEqualTo(1);
    } finally {
      Files.deleteIfExists(hosts);
    }
  }
}
