package dev.moat.sandbox.seccomp;

import dev.moat.sandbox.CProbe;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code syscall-probe.c} test probe and what the {@link SeccompPolicy#HARDENED} filter must
 * make it print, shared by the tier tests that run it inside a real sandbox.
 */
public final class SyscallProbe {
  static final String RESOURCE = "/dev/moat/sandbox/seccomp/syscall-probe.c";
  /** Name of the probe binary in a workspace. */
  public static final String NAME = "syscall-probe";
  /** Calls that must still work under the filter: a plain fork and an ordinary syscall. */
  static final List<String> ALLOWED = List.of("getpid", "clone");

  private SyscallProbe() {}

  /** Copies the probe into {@code workspace}; it runs there as {@code ./syscall-probe}. */
  public static void install(Path workspace) throws IOException {
    CProbe.copyInto(RESOURCE, workspace, NAME);
  }

  /**
   * Every line the probe must print under the hardened filter, in order: each rule's errno (for
   * {@code clone}, the call with {@code CLONE_NEWUSER}), then OK for {@link #ALLOWED}.
   */
  public static Map<String, String> expected() {
    Map<String, String> lines = new LinkedHashMap<>();
    for (SyscallRule rule : SeccompPolicy.HARDENED.rules()) {
      String name = rule.conditional() ? rule.name() + "_newuser" : rule.name();
      lines.put(name, rule.errno() == SyscallRule.ENOSYS ? "ENOSYS" : "EPERM");
    }
    ALLOWED.forEach(name -> lines.put(name, "OK"));
    return lines;
  }

  /** The probe's command line for {@link #expected()}. */
  public static List<String> argv() {
    List<String> argv = new ArrayList<>(List.of("./" + NAME));
    argv.addAll(expected().keySet());
    return argv;
  }

  /** The probe's output for {@link #expected()}, one line per call. */
  public static String expectedOutput() {
    StringBuilder out = new StringBuilder();
    expected().forEach((name, result) -> out.append(name).append(": ").append(result).append('\n'));
    return out.toString();
  }
}
