package dev.moat.sandbox.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Job networks come and go without leaving anything on the host: namespaces, veths, nft entries and
 * the lab's rules, after 50 in a row and after a crash. Also prints per-job set-up and teardown
 * times (measured, not asserted).
 */
class EgressLifecycleTest {
  static final EgressSettings SETTINGS = EgressFixture.settings("el");
  static NetworkLab lab;
  final List<Egress> egresses = new ArrayList<>();

  @BeforeAll
  static void startLab() throws IOException {
    EgressFixture.assumeCapable("egress lifecycle tests");
    lab = NetworkLab.start("lc" + ProcessHandle.current().pid() % 100000);
  }

  @AfterAll
  static void closeLab() throws IOException {
    if (lab != null) lab.close();
  }

  @AfterEach
  void closeEgresses() throws IOException {
    for (Egress e : egresses) e.close();
    // An instance that "crashed" is never closed: sweep with a fresh one, then drop its table.
    try (Egress sweeper = Egress.start(SETTINGS)) {
      sweeper.removeLeftovers();
    }
    assertThat(lab.leaks()).isZero();
  }

  Egress egress() throws IOException {
    Egress e = Egress.start(SETTINGS, EgressFixture.resolver());
    egresses.add(e);
    return e;
  }

  @Test
  void fiftyJobNetworksCreatedAndClosedInARowLeaveNothingBehind() throws Exception {
    Egress egress = egress();
    egress.removeLeftovers();
    long[] setUp = new long[50];
    long[] tearDown = new long[50];
    for (int i = 0; i < 50; i++) {
      EgressPolicy policy = i % 5 == 4 ? EgressPolicy.none()
          : EgressPolicy.filtered(new AllowedHost("allowed.example"), new AllowedHost("198.51.100.77", List.of(8443)));
      long t0 = System.nanoTime();
      JobNetwork job = egress.open(policy);
      setUp[i] = System.nanoTime() - t0;
      lab.capture(job);
      if (i % 10 == 0) {
        assertThat(JobProbe.connect(job, List.of(NetworkLab.ALLOWED + ":443")).get(NetworkLab.ALLOWED + ":443").open())
            .isEqualTo(policy instanceof EgressPolicy.Filtered);
      }
      long t1 = System.nanoTime();
      job.close();
      tearDown[i] = System.nanoTime() - t1;
      lab.release(job);
    }
    report("filtered and none", setUp, tearDown);

    assertThat(namespaces()).isEmpty();
    assertThat(links()).isEmpty();
    assertThat(nftEntries()).isEmpty();
    assertThat(lab.rules()).isEmpty();
  }

  @Test
  void removeLeftoversDeletesWhatACrashedInstanceLeft() throws Exception {
    Egress crashed = Egress.start(SETTINGS, EgressFixture.resolver()); // never closed: it "crashed"
    crashed.open(EgressPolicy.filtered(new AllowedHost("allowed.example")));
    crashed.open(EgressPolicy.filtered(new AllowedHost("other.example")));
    crashed.open(EgressPolicy.none());
    assertThat(namespaces()).hasSize(3);
    assertThat(links()).hasSize(2);

    Egress restarted = egress();
    List<String> removed = restarted.removeLeftovers();

    String p = SETTINGS.prefix();
    assertThat(removed).containsExactlyInAnyOrder("link " + p + "0h", "link " + p + "1h",
        "netns moat-" + p + "0", "netns moat-" + p + "1", "netns moat-" + p + "2");
    assertThat(namespaces()).isEmpty();
    assertThat(links()).isEmpty();
    assertThat(nftEntries()).as("the restarted instance replaced the table").isEmpty();
    JobNetwork job = restarted.open(EgressPolicy.filtered(new AllowedHost("allowed.example")));
    lab.capture(job);
    assertThat(JobProbe.connect(job, List.of("allowed.example:443")).get("allowed.example:443").open()).isTrue();
    job.close();
    lab.release(job);
  }

  @Test
  void removeLeftoversDeletesNftEntriesOfAFailedTeardownButKeepsLiveJobs() throws Exception {
    Egress egress = egress();
    JobNetwork live = egress.open(EgressPolicy.filtered(new AllowedHost("allowed.example")));
    String stale = SETTINGS.prefix() + "7h";
    String t = "inet " + SETTINGS.table();
    NetCommand.nft("add counter " + t + " " + stale + "\n"
        + "add element " + t + " denied { \"" + stale + "\" : \"" + stale + "\" }\n"
        + "add element " + t + " allow4 { \"" + stale + "\" . 203.0.113.10 . 443 }\n").run();

    List<String> removed = egress.removeLeftovers();

    assertThat(removed).containsExactly("nft " + stale);
    assertThat(nftEntries()).containsOnly(live.hostInterface().orElseThrow());
    assertThat(links()).containsExactly(live.hostInterface().orElseThrow());
    live.close();
    assertThat(nftEntries()).isEmpty();
  }

  @Test
  void aBackgroundCloseFreesTheSlotAndKeepsTheFinalCount() throws Exception {
    Egress egress = egress();
    JobNetwork job = egress.open(EgressPolicy.filtered(new AllowedHost("allowed.example")));
    lab.capture(job);
    JobProbe.connect(job, List.of(NetworkLab.OTHER + ":443"));

    job.closeInBackground().get(30, TimeUnit.SECONDS);
    lab.release(job);

    assertThat(job.denials()).isEqualTo(1);
    assertThat(links()).isEmpty();
    try (JobNetwork next = egress.open(EgressPolicy.none())) {
      assertThat(next.netnsPath().getFileName().toString()).as("slot 0 is free again").isEqualTo("moat-" + SETTINGS.prefix() + "0");
    }
  }

  @Test
  void closingTheEgressClosesItsJobsAndDeletesTheTable() throws Exception {
    Egress egress = Egress.start(SETTINGS, EgressFixture.resolver());
    egress.open(EgressPolicy.filtered(new AllowedHost("allowed.example")));
    egress.open(EgressPolicy.none());

    egress.close();

    assertThat(namespaces()).isEmpty();
    assertThat(links()).isEmpty();
    assertThatThrownBy(() -> new NetCommand(List.of(NetCommand.NFT, "list", "table", "inet", SETTINGS.table()), "").run())
        .hasMessageContaining("No such file or directory");
  }

  static List<String> namespaces() throws IOException {
    if (!Files.isDirectory(JobSlot.NETNS_DIR)) return List.of();
    try (Stream<Path> files = Files.list(JobSlot.NETNS_DIR)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("moat-" + SETTINGS.prefix())).toList();
    }
  }

  static List<String> links() throws IOException {
    return HostAddresses.interfaceNames().stream().filter(n -> n.startsWith(SETTINGS.prefix())).toList();
  }

  /** Job interface names that still have a counter, map entry or allow4 element in the table. */
  static List<String> nftEntries() throws IOException {
    String listing = new NetCommand(List.of(NetCommand.NFT, "list", "table", "inet", SETTINGS.table()), "").run();
    return listing.lines().flatMap(l -> Arrays.stream(l.split("[\\s\",{}]+")))
        .filter(w -> w.matches(SETTINGS.prefix() + "[0-9]+h")).distinct().toList();
  }

  static void report(String what, long[] setUp, long[] tearDown) {
    Arrays.sort(setUp);
    Arrays.sort(tearDown);
    System.out.printf("job network %s, %d runs: set-up p50 %.1f ms p90 %.1f ms max %.1f ms; teardown p50 %.1f ms p90 %.1f ms max %.1f ms%n",
        what, setUp.length, ms(setUp, 50), ms(setUp, 90), setUp[setUp.length - 1] / 1e6,
        ms(tearDown, 50), ms(tearDown, 90), tearDown[tearDown.length - 1] / 1e6);
  }

  private static double ms(long[] sorted, int percentile) {
    return sorted[Math.min(sorted.length - 1, sorted.length * percentile / 100)] / 1e6;
  }
}
