package dev.moat.sandbox.escape;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.ExecResult.Outcome;
import dev.moat.sandbox.escape.JobUnderAttack.Ran;
import dev.moat.sandbox.escape.TierUnderTest.JobEgress;
import dev.moat.sandbox.net.AllowedHost;
import dev.moat.sandbox.net.EgressFixture;
import dev.moat.sandbox.net.EgressLab;
import dev.moat.sandbox.net.EgressPolicy;
import dev.moat.sandbox.net.JobNetwork;
import dev.moat.sandbox.net.NetworkLab;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Invariant I4 attacked from inside both tiers with filtered egress (allowlist:
 * {@code allowed.example}), every job packet caught by the {@link NetworkLab}: the host's loopback
 * listener, the host's own addresses, the job's gateway, a public address off the list and the
 * private, CGNAT, link-local and metadata ranges are all refused by a TCP reset (ECONNREFUSED),
 * the host listener accepts nothing, every refusal is counted, and the lab's leak counter stays 0.
 * The allowlisted address answers, so the refusals are the policy's and not a dead network.
 */
class NetworkEscapeTest {
  static final String REFUSED = "ECONNREFUSED";
  static EgressLab egressLab;
  static NetworkLab lab;
  @RegisterExtension final AttackedJobs jobs = AttackedJobs.perTest();

  @BeforeAll
  static void startLabAndEgress() throws IOException {
    EgressFixture.assumeCapable("network escape tests");
    egressLab = EgressLab.start("lx", "ex", EgressFixture.resolver());
    lab = egressLab.lab();
  }

  @AfterAll
  static void stopLabAndEgress() throws IOException {
    if (egressLab != null) egressLab.close();
  }

  /** Each target {@code address:port} and what a connect to it from the job must print. */
  static Map<String, String> targets(JobNetwork network) throws IOException {
    Map<String, String> targets = new LinkedHashMap<>();
    targets.put(NetworkLab.ALLOWED + ":443", "OK hello " + NetworkLab.ALLOWED + ":443");
    // The job's 127.0.0.1 is its own loopback, where nothing listens: the host's is out of reach.
    targets.put("127.0.0.1:" + lab.hostPort(), REFUSED);
    for (String address : NetworkLab.hostAddresses()) {
      // Job veths (10/8) and lab links (198.51.100/24) of other test runs on this shared host come
      // and go while the test runs; the job's own gateway is added below.
      if (!address.startsWith("127.") && !address.startsWith("10.") && !address.startsWith("198.51.100.")) {
        targets.put(address + ":" + lab.hostPort(), REFUSED);
      }
    }
    targets.put(network.gateway().orElseThrow().getHostAddress() + ":" + lab.hostPort(), REFUSED);
    targets.put(NetworkLab.OTHER + ":443", REFUSED);
    // RFC 1918, CGNAT, link-local and cloud metadata.
    for (String address : List.of("10.0.0.1", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.1.1", "169.254.169.254")) {
      targets.put(address + ":80", REFUSED);
    }
    return targets;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(TierUnderTest.class)
  void everyTargetOffTheAllowlistIsRefusedWithAResetAndNothingLeaks(TierUnderTest tier) throws IOException {
    JobUnderAttack job = jobs.open(tier, Optional.of(new JobEgress(egressLab.egress(),
        EgressPolicy.filtered(new AllowedHost("allowed.example")))));
    JobNetwork network = job.network().orElseThrow();
    lab.capture(network);
    try {
      Map<String, String> targets = targets(network);
      StringBuilder script = new StringBuilder();
      StringBuilder expected = new StringBuilder();
      targets.forEach((target, answer) -> {
        script.append("$P connect ").append(target.replace(':', ' ')).append('\n');
        expected.append("connect ").append(target).append(": ").append(answer).append('\n');
      });

      Ran ran = job.sh(script.toString());

      assertThat(ran.output()).isEqualTo(expected.toString());
      assertThat(ran.result()).isEqualTo(new ExecResult(Outcome.EXITED, 0));
      assertThat(lab.hostAccepts()).as("connections the host listener accepted").isZero();
      assertThat(job.sandbox.egressDenials()).as("all but the allowed host and the job's own loopback")
          .isEqualTo(targets.size() - 2);
    } finally {
      job.close();
      lab.release(network);
    }
    assertThat(lab.leaks()).as("packets that left the lab's addresses").isZero();
  }
}
