import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.BwrapTier;
import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.OutputSink;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Sandbox start cost: {@code /bin/true} by plain fork/exec against the bwrap tier, measured side by
 * side in one process. Each iteration runs, in an order that rotates per iteration:
 * <ol>
 *   <li>plain: {@code ProcessBuilder("/bin/true").start().waitFor()};
 *   <li>bwrap: {@code tier.create} + {@code exec /bin/true} + {@code close}, i.e. what the agent
 *       pays per job beyond the steps themselves (DESIGN.md §9 target: p50 &le; 15 ms);
 *   <li>exec only: one more {@code exec /bin/true} in a sandbox kept open for the whole run, i.e.
 *       what each further step of a job pays, to split the bwrap cost into create/close and exec.
 * </ol>
 * Usage: {@code java -cp moat.jar bench/SandboxStart.java [iterations=200] [warmups=20]}.
 */
public final class SandboxStart {
  private static final List<String> TRUE = List.of("/bin/true");
  private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");
  private static final OutputSink DISCARD = (buffer, offset, length) -> {};
  private static final double TARGET_P50_MS = 15;

  private final BwrapTier tier = new BwrapTier(BwrapSettings.defaults());
  private final Path workspace;
  private final Sandbox reused;
  private final Samples plain = new Samples("fork/exec /bin/true (ProcessBuilder)");
  private final Samples bwrap = new Samples("bwrap tier: create + exec /bin/true + close");
  private final Samples execOnly = new Samples("bwrap tier: exec /bin/true only (open sandbox)");
  private int sandboxes;

  private SandboxStart(Scratch scratch) throws IOException {
    this.workspace = scratch.dir("workspace");
    this.reused = tier.create(new SandboxSpec("bench-reused", scratch.dir("reused")));
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

  /** One sample of each kind, in an order that rotates so that none always runs first. */
  private void iteration(int i, boolean record) throws IOException, InterruptedException {
    for (int k = 0; k < 3; k++) {
      switch ((i + k) % 3) {
        case 0 -> keep(record, plain, timePlain());
        case 1 -> keep(record, bwrap, timeSandbox());
        default -> keep(record, execOnly, timeExec(reused));
      }
    }
  }

  private static void keep(boolean record, Samples samples, long nanos) {
    if (record) samples.add(nanos);
  }

  private static long timePlain() throws IOException, InterruptedException {
    long start = System.nanoTime();
    Process p = new ProcessBuilder(TRUE).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectErrorStream(true).redirectInput(new File("/dev/null")).start();
    int code = p.waitFor();
    long took = System.nanoTime() - start;
    if (code != 0) throw new IllegalStateException("/bin/true exited with " + code);
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

  private void report(int iterations, int warmups) {
    int width = 48;
    System.out.println("Sandbox start: " + iterations + " interleaved iterations after " + warmups + " warm-ups (" + Scratch.machine() + ")");
    System.out.println(Samples.header(width));
    for (Samples s : List.of(plain, bwrap, execOnly)) System.out.println(s.row(width));
    System.out.println("  ratio bwrap create+exec+close / plain: " + Samples.ratio(bwrap, plain));
    System.out.println("  ratio bwrap exec only / plain:         " + Samples.ratio(execOnly, plain));
    double p50 = bwrap.percentileMs(50);
    System.out.printf("  target (DESIGN.md section 9): bwrap create + true + destroy p50 <= %.0f ms: %s (%.2f ms)%n",
        TARGET_P50_MS, p50 <= TARGET_P50_MS ? "met" : "MISSED", p50);
  }
}
