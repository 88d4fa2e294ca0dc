package dev.moat.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The agent's mask in front of the log shipper (I8): a value added while the job runs is masked
 * from then on, also when the job writes it in pieces with pauses between, and whatever a masker
 * held back when the set grows or the log closes is shipped, masked.
 */
class MaskedLogTest {
  final FakeLogServer server = new FakeLogServer();
  final MaskedLog log = new MaskedLog(new LogShipper(server, "mask-test"));

  private void write(String s) {
    byte[] b = s.getBytes(UTF_8);
    log.write(b, 0, b.length);
  }

  @Test
  void aValueSplitAcrossWritesWithAPauseBetweenIsMasked() throws Exception {
    log.mask("hunter2-secret");
    write("token: hunt");
    Thread.sleep(200); // longer than the shipper's flush interval: the first piece would have gone alone
    write("er2-secret done\n");
    log.close();

    assertThat(server.log()).isEqualTo("token: *** done\n");
    assertThat(server.violations()).isEmpty();
  }

  @Test
  void aValueAddedMidStreamIsMaskedFromThenOnAndHeldBytesAreKept() throws Exception {
    log.mask("first-value");
    write("before first-val");   // a possible start of "first-value" is held back
    log.mask("second-value");    // ... and released, masked by the old set, when the set grows
    write("ue? no; second-value and first-value\n");
    log.line("moat: agent line with second-value");
    log.close();

    assertThat(server.log()).isEqualTo("before first-value? no; *** and ***\nmoat: agent line with ***\n");
  }
}
