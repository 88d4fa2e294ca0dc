package dev.moat.sandbox.oci;

import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.net.JobNetwork;
import java.util.Optional;

/** The job network behind an oci sandbox, for tests outside this package that route it into a lab. */
public final class OciNetworks {
  private OciNetworks() {}

  /** The network namespace that every step of the sandbox joins; empty without egress. */
  public static Optional<JobNetwork> of(Sandbox sandbox) {
    return Optional.ofNullable(((OciSandbox) sandbox).network());
  }
}
