package dev.moat.sandbox.escape;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.OutputCapture;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.disk.WorkspaceVolume;
import dev.moat.sandbox.net.JobNetwork;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One job's sandbox on a {@link TierUnderTest}, over its own disk-capped workspace volume that
 * holds the {@link EscapeProbe}. Every exec is one step: a fresh container or set of namespaces.
 * Close destroys the sandbox, then the volume. Not thread-safe (one step at a time, as a job).
 */
final class JobUnderAttack implements AutoCloseable {
  static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin", "HOME", SandboxSpec.WORKSPACE);
  static final Duration STEP_LIMIT = Duration.ofMinutes(1);

  final TierUnderTest tier;
  final Sandbox sandbox;
  final WorkspaceVolume volume;
  private boolean closed;

  JobUnderAttack(TierUnderTest tier, Sandbox sandbox, WorkspaceVolume volume) {
    this.tier = tier;
    this.sandbox = sandbox;
    this.volume = volume;
  }

  /** A finished step and everything it printed. */
  record Ran(ExecResult result, String output) {}

  /** Runs the probe with {@code args} as one step. */
  Ran probe(String... args) throws IOException {
    List<String> argv = new ArrayList<>(List.of(EscapeProbe.IN_SANDBOX));
    argv.addAll(List.of(args));
    return exec(argv);
  }

  /** Runs {@code sh -c script} as one step; {@code $P} is the probe. */
  Ran sh(String script) throws IOException {
    return exec(List.of("/bin/sh", "-c", "P=" + EscapeProbe.IN_SANDBOX + "\n" + script));
  }

  private Ran exec(List<String> argv) throws IOException {
    OutputCapture out = new OutputCapture();
    ExecResult result = sandbox.exec(argv, ENV, out, Instant.now().plus(STEP_LIMIT));
    return new Ran(result, out.text());
  }

  /** The workspace as the host sees it. */
  Path workspace() {
    return volume.path();
  }

  /** The job's network (for the lab), if it has one beyond loopback. */
  Optional<JobNetwork> network() {
    return tier.network(sandbox);
  }

  @Override
  public void close() throws IOException {
    if (closed) return;
    closed = true;
    try {
      sandbox.close();
    } finally {
      volume.close();
    }
  }

  @Override
  public String toString() {
    return tier.id() + " job " + volume.id();
  }
}
