package dev.moat.sandbox;

import java.io.IOException;
import java.util.List;

/**
 * A way to isolate jobs (bwrap today; runc and microVMs later). A tier creates one {@link Sandbox}
 * per job; the sandbox is destroyed after the job. Implementations are thread-safe.
 */
public interface SandboxTier {
  /** The tier's name as used in configuration and metrics, e.g. {@code bwrap}. */
  String name();

  /**
   * Prepares a fresh sandbox over {@code spec.workspace()}, which the caller has filled with the
   * job's source. After this returns, the workspace belongs to the sandbox's uid.
   */
  Sandbox create(SandboxSpec spec) throws IOException;

  /** The sha256 digest of the image this tier's sandboxes run over; empty when they run over the host's /usr. */
  default java.util.Optional<String> imageDigest() {
    return java.util.Optional.empty();
  }

  /**
   * Removes what sandboxes of a crashed agent left on the host (cgroups, containers, network
   * namespaces); call once at agent start, before any job. Assumes one agent per host.
   *
   * @return names of what was removed, for the log
   */
  default List<String> removeLeftovers() throws IOException {
    return List.of();
  }
}
