import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.BwrapTier;
import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.OutputSink;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sandbox start cost: {@code /bin/true} by plain fork/exec against the bwrap tier, measured side by
 * side in one process. Each iteration takes one sample of each of these, in an order that rotates
 * per iteration so that none always runs first:
 * <ol>
 *   <li>plain: {@code ProcessBuilder("/bin/true").start().waitFor()};
 *   <li>bwrap: {@code tier.create} + {@code exec /bin/true} + {@code close}, i.e. what the agent
 *       pays per job beyond the steps themselves (DESIGN.md section 9 target: p50 &le; 15 ms);
 *   <li>exec only: one more {@code exec /bin/true} in a sandbox kept open for the whole run, i.e.
 *       what each further step of a job pays; bwrap minus this is create + close;
 *   <li>when root: {@code setpriv} to the job uid running {@code /bin/true}, the hop the tier puts
 *       before bwrap when the agent is root, to show its share of an exec.
 * </ol>
 * Usage: {@code java -cp moat.jar bench/SandboxStart.java [iterations=200] [warmups=20]}.
 */
public final class SandboxStart {
  private static final List<String> TRUE = List.of("/bin/true");
  private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");
  private static final OutputSink DISCARD = (buffer, offset, length) -> {};
  private static final double TARGET_P50_MS = 15;
  private static final int WIDTH = 48;

  /** One measured thing: how to take a sample, and the samples taken. */
  private record Measured(Samples samples, Timed timed) {}

  @FunctionalInterface
  private interface Timed {
    long nanos() throws IOException, InterruptedException;
  }

  private final BwrapTier tier;
  private final BwrapSettings settings;
  private final Path workspace;
  private final Sandbox reused;
  private final List<Measured> measured = new ArrayList<>();
  private int sandboxes;

  private SandboxStart(Scratch scratch) throws IOException {
    this.settings = scratch.bwrapSettings();
    this.tier = new BwrapTier(settings);
    this.workspace = scratch.dir("workspace");
    this.reused = tier.create(new SandboxSpec("bench-reused", scratch.dir("reused")));
    measure("fork/exec /bin/true (ProcessBuilder)", () -> timeProcess(TRUE));
    measure("bwrap tier: create + exec /bin/true + close", this::timeSandbox);
    measure("bwrap tier: exec /bin/true only (open sandbox)", () -> timeExec(reused));
    if (isRoot()) measure("fork/exec setpriv to job uid + /bin/true", () -> timeProcess(setprivTrue()));
  }

  private void measure(String name, Timed timed) {
    measured.add(new Measured(new Samples(name), timed));
  }

  public static void main(String[] args) throws Exception {
    int iterations = Scratch.intArg(args, 0, 200);
    int warmups = Scratch.intArg(args, 1, 20);
    try (Scratch scratch = Scratch.create("moat-bench-sandbox-")) {
      var bench = new SandboxStart(scratch);
      try {
        bench.run(warmups, iterations);
      } finally {
        bench.reused.close();
      }
      bench.report(iterations, warmups);
    }
  }

  private void run(int warmups, int iterations) throws IOException, InterruptedException {
    for (int i = 0; i < warmups; i++) iteration(i, false);
    for (int i = 0; i < iterations; i++) iteration(i, true);
  }

  /** One sample of each kind, starting with a different kind each time. */
  private void iteration(int i, boolean record) throws IOException, InterruptedException {
    for (int k = 0; k < measured.size(); k++) {
      Measured m = measured.get((i + k) % measured.size());
      long nanos = m.timed().nanos();
      if (record) m.samples().add(nanos);
    }
  }

  private static long timeProcess(List<String> argv) throws IOException, InterruptedException {
    long start = System.nanoTime();
    Process p = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectErrorStream(true).redirectInput(new File("/dev/null")).start();
    int code = p.waitFor();
    long took = System.nanoTime() - start;
    if (code != 0) throw new IllegalStateException(argv + " exited with " + code);
    return took;
  }

  private long timeSandbox() throws IOException {
    long start = System.nanoTime();
    try (Sandbox sandbox = tier.create(new SandboxSpec("bench-" + sandboxes++, workspace))) {
      runTrue(sandbox);
    }
    return System.nanoTime() - start;
  }

  private static long timeExec(Sandbox sandbox) throws IOException {
    long start = System.nanoTime();
    runTrue(sandbox);
    return System.nanoTime() - start;
  }

  private static void runTrue(Sandbox sandbox) throws IOException {
    ExecResult result = sandbox.exec(TRUE, ENV, DISCARD, Instant.now().plusSeconds(10));
    if (!result.succeeded()) throw new IllegalStateException("sandboxed /bin/true failed: " + result);
  }

  /** The same setpriv switch the tier makes before bwrap when the agent is root. */
  private List<String> setprivTrue() {
    return List.of("/usr/bin/setpriv", "--reuid=" + settings.uid(), "--regid=" + settings.gid(), "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--", "/bin/true");
  }

  private static boolean isRoot() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
  }

  private void report(int iterations, int warmups) {
    System.out.println("Sandbox start: " + iterations + " interleaved iterations after " + warmups + " warm-ups (" + Scratch.machine() + ")");
    System.out.println(Samples.header(WIDTH));
    measured.forEach(m -> System.out.println(m.samples().row(WIDTH)));
    Samples plain = measured.get(0).samples();
    Samples bwrap = measured.get(1).samples();
    System.out.println("  ratio bwrap create+exec+close / plain: " + Samples.ratio(bwrap, plain));
    System.out.println("  ratio bwrap exec only / plain:         " + Samples.ratio(measured.get(2).samples(), plain));
    double p50 = bwrap.percentileMs(50);
    System.out.printf(Locale.ROOT, "  target (DESIGN.md section 9): bwrap create + true + destroy p50 <= %.0f ms: %s (%.2f ms)%n",
        TARGET_P50_MS, p50 <= TARGET_P50_MS ? "met" : "MISSED", p50);
  }
}
