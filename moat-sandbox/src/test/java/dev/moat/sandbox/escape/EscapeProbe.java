package dev.moat.sandbox.escape;

import dev.moat.sandbox.CProbe;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The attacker binary ({@code escape-probe.c} beside this class), built by {@link CProbe} and
 * copied into each job's workspace, where it runs as {@link #IN_SANDBOX}. Each command makes one
 * attack by a direct syscall and prints {@code <command>: OK} or {@code <command>: <ERRNO NAME>}.
 */
final class EscapeProbe {
  static final String RESOURCE = "/dev/moat/sandbox/escape/escape-probe.c";
  static final String NAME = "escape-probe";
  /** Where a job sees the probe. */
  static final String IN_SANDBOX = "/workspace/" + NAME;

  private EscapeProbe() {}

  /** Skips the calling test, with a printed reason, when the probe can't be built here. */
  static void assumeBuildable() {
    CProbe.build(RESOURCE);
  }

  /** Copies the probe into {@code workspace}, mode 0755. */
  static void installInto(Path workspace) throws IOException {
    CProbe.copyInto(RESOURCE, workspace, NAME);
  }
}
