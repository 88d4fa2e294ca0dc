package dev.moat.sandbox;

import dev.moat.sandbox.net.JobNetwork;
import java.util.Optional;

/** The job network behind a sandbox, for tests outside this package that route it into a lab. */
public final class SandboxNetworks {
  private SandboxNetworks() {}

  /** The bwrap sandbox's own network namespace; empty for a sandbox with only loopback. */
  public static Optional<JobNetwork> ofBwrap(Sandbox sandbox) {
    return Optional.ofNullable(((BwrapSandbox) sandbox).network());
  }
}
