package dev.moat.sandbox;

import dev.moat.sandbox.net.Egress;
import dev.moat.sandbox.net.EgressPolicy;
import dev.moat.sandbox.net.JobNetwork;
import java.io.IOException;
import java.util.Objects;

/**
 * A tier's filtered egress: where its sandboxes' job networks come from and with which policy. One
 * value, so that a tier publishes both at once ({@code withEgress}). Public only so that the other
 * tiers' packages ({@code oci}) share it; not part of the Sandbox API. Immutable.
 */
public record EgressBinding(Egress egress, EgressPolicy policy) {
  public EgressBinding {
    Objects.requireNonNull(egress, "egress");
    Objects.requireNonNull(policy, "policy");
  }

  /**
   * Opens a job network for one sandbox and writes its allowed names into the sandbox's generated
   * {@code /etc/hosts}; if that fails, the network is closed again, so nothing stays open.
   */
  public JobNetwork open(SandboxScratch scratch) throws IOException {
    JobNetwork network = egress.open(policy);
    try {
      scratch.appendHosts(network.hostsEntries());
      return network;
    } catch (IOException | RuntimeException e) {
      try {
        network.close();
      } catch (IOException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }
}
