package dev.moat.sandbox.net;

import java.io.IOException;

/**
 * A {@link NetworkLab} and an {@link Egress} of this test JVM's own (table, prefix and pool named
 * after its pid), started together and stopped together: what every tier's real egress tests use.
 */
public record EgressLab(NetworkLab lab, Egress egress) implements AutoCloseable {
  /**
   * Starts the lab, then the egress with {@link EgressFixture#settings} and {@code resolver}, and
   * sweeps what an earlier run of the same letters left.
   *
   * @param labLetters two lowercase letters for the lab's names, different for each test class
   * @param egressLetters two lowercase letters for the egress's names, different for each test class
   */
  public static EgressLab start(String labLetters, String egressLetters, HostResolver resolver) throws IOException {
    NetworkLab lab = NetworkLab.start(labLetters + ProcessHandle.current().pid() % 100000);
    try {
      Egress egress = Egress.start(EgressFixture.settings(egressLetters), resolver);
      egress.removeLeftovers();
      return new EgressLab(lab, egress);
    } catch (IOException | RuntimeException e) {
      lab.close();
      throw e;
    }
  }

  /** Closes the egress (every job network still open, then the table), then the lab. */
  @Override
  public void close() throws IOException {
    try {
      egress.close();
    } finally {
      lab.close();
    }
  }
}
