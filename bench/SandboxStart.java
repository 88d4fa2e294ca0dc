import dev.moat.sandbox.Availability;
import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.BwrapTier;
import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.OutputSink;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.SandboxTier;
import dev.moat.sandbox.image.ImageStore;
import dev.moat.sandbox.net.AllowedHost;
import dev.moat.sandbox.net.Egress;
import dev.moat.sandbox.net.EgressPolicy;
import dev.moat.sandbox.net.EgressSettings;
import dev.moat.sandbox.net.HostResolver;
import dev.moat.sandbox.net.Ipv4Cidr;
import dev.moat.sandbox.oci.OciSettings;
import dev.moat.sandbox.oci.OciTier;
import java.io.File;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sandbox start cost: {@code /bin/true} by plain fork/exec against each sandbox tier, measured side
 * by side in one process. Each iteration takes one sample of each of these, in an order that
 * rotates per iteration so that none always runs first:
 * <ol>
 *   <li>plain: {@code ProcessBuilder("/bin/true").start().waitFor()};
 *   <li>bwrap: {@code tier.create} + {@code exec /bin/true} + {@code close}, i.e. what the agent
 *       pays per job beyond the steps themselves (DESIGN.md section 9 target: p50 &le; 15 ms);
 *   <li>exec only: one more {@code exec /bin/true} in a sandbox kept open for the whole run, i.e.
 *       what each further step of a job pays; bwrap minus this is create + close;
 *   <li>when root: {@code setpriv} to the job uid running {@code /bin/true}, the hop the tier puts
 *       before bwrap when the agent is root, to show its share of an exec;
 *   <li>when egress can run (root, ip, nft, nsenter): bwrap create + exec + close with a filtered
 *       egress policy, i.e. a network namespace, veth, /30 and allowlist entries per sandbox, from
 *       an {@link Egress} with the bench's own table, name prefix and address pool (its allowed
 *       name resolves to a documentation address without DNS; {@code /bin/true} sends nothing);
 *   <li>when root with runc and a {@code debian-bookworm} image: oci create + exec + close (one
 *       runc container per exec; DESIGN.md section 9 target p50 &le; 60 ms). The image comes from
 *       the test store {@code /var/tmp/moat-test-images} when it has one, else it is built into the
 *       bench's scratch directory; runc state, bundles and the unpacked rootfs live there too;
 *   <li>both of the last two: oci create + exec + close with the same filtered policy and Egress.
 * </ol>
 * A row that can't run here is left out with the reason printed. The egress table and its
 * namespaces are removed at the end and on Ctrl-C, with the scratch directory.
 * Usage: {@code java -cp moat.jar bench/SandboxStart.java [iterations=200] [warmups=20]}.
 */
public final class SandboxStart {
  private static final List<String> TRUE = List.of("/bin/true");
  private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");
  private static final OutputSink DISCARD = (buffer, offset, length) -> {};
  private static final double TARGET_P50_MS = 15;
  private static final double OCI_TARGET_P50_MS = 60;
  private static final String IMAGE = "debian-bookworm";
  private static final Path TEST_IMAGES = Path.of("/var/tmp/moat-test-images");
  private static final int WIDTH = 50;

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
  private final List<String> notes = new ArrayList<>();
  private static final EgressPolicy FILTERED = EgressPolicy.filtered(new AllowedHost("allowed.example"));
  private Samples oci;
  private int ociTiers;
  private int sandboxes;

  private SandboxStart(Scratch scratch) throws IOException {
    this.settings = scratch.bwrapSettings();
    this.tier = new BwrapTier(settings);
    this.workspace = scratch.dir("workspace");
    this.reused = scratch.closing(tier.create(new SandboxSpec("bench-reused", scratch.dir("reused"))));
    measure("fork/exec /bin/true (ProcessBuilder)", () -> timeProcess(TRUE));
    measure("bwrap tier: create + exec /bin/true + close", () -> timeSandbox(tier));
    measure("bwrap tier: exec /bin/true only (open sandbox)", () -> timeExec(reused));
    if (isRoot()) measure("fork/exec setpriv to job uid + /bin/true", () -> timeProcess(setprivTrue()));
    Availability canFilter = Egress.probe();
    Egress egress = canFilter.available() ? startEgress(scratch) : null;
    if (egress != null) {
      BwrapTier filtered = new BwrapTier(settings).withEgress(egress, FILTERED);
      measure("bwrap + filtered egress: create + exec + close", () -> timeSandbox(filtered));
    } else {
      notes.add("bwrap + filtered egress: left out (" + canFilter.reason() + ")");
    }
    OciTier ociTier = ociTier(scratch);
    if (ociTier != null) {
      oci = measure("oci tier: create + exec /bin/true + close", () -> timeSandbox(ociTier));
      if (egress != null) {
        OciTier filtered = ociTier(scratch).withEgress(egress, FILTERED);
        measure("oci + filtered egress: create + exec + close", () -> timeSandbox(filtered));
      } else {
        notes.add("oci + filtered egress: left out (" + canFilter.reason() + ")");
      }
    }
  }

  /** The bench's own table, prefix and pool, so that neither an agent nor a test on this host is touched. */
  private static Egress startEgress(Scratch scratch) throws IOException {
    long pid = ProcessHandle.current().pid();
    var egressSettings = new EgressSettings("moat_bench" + pid, "bn" + pid % 100000, Ipv4Cidr.parse("10." + (100 + pid % 50) + ".0.0/16"));
    HostResolver resolver = name -> {
      if (!name.equals("allowed.example")) throw new UnknownHostException(name);
      return List.of((Inet4Address) InetAddress.getByName("203.0.113.10"));
    };
    Egress egress = scratch.closing(Egress.start(egressSettings, resolver));
    egress.removeLeftovers();
    return egress;
  }

  /**
   * A new oci tier over {@value #IMAGE}, or null (with a note) when it can't run here. Each call
   * makes a tier of its own (bundles, runc state and rootfs under the scratch directory).
   */
  private OciTier ociTier(Scratch scratch) throws IOException {
    int n = ociTiers++;
    OciSettings defaults = OciSettings.defaults(scratch.dir("oci-bundles-" + n), scratch.dir("oci-rootfs-" + n));
    if (!isRoot() || !Files.isExecutable(defaults.runc())) {
      notes.add("oci tier: left out (" + (isRoot() ? "no " + defaults.runc() : "not root") + ")");
      return null;
    }
    boolean reuse = Files.exists(TEST_IMAGES.resolve("index.json")) && new ImageStore(TEST_IMAGES).find(IMAGE).isPresent();
    ImageStore store = new ImageStore(reuse ? TEST_IMAGES : scratch.dir("images"));
    if (!reuse) store.build(IMAGE, "bookworm", List.of());
    String digest = store.resolve(IMAGE);
    if (n == 0) notes.add("oci image " + IMAGE + " " + digest.substring(0, Math.min(19, digest.length())) + "... from "
        + (reuse ? TEST_IMAGES + " (reused)" : "a store built in the scratch directory"));
    var ociSettings = new OciSettings(defaults.uid(), defaults.gid(), defaults.runc(), scratch.dir("runc-" + n),
        defaults.scratchRoot(), defaults.rootfsRoot(), defaults.limits());
    Availability available = OciTier.probe(ociSettings, store, digest);
    if (!available.available()) {
      notes.add("oci tier: left out (" + available.reason() + ")");
      return null;
    }
    return new OciTier(ociSettings, store, digest);
  }

  private Samples measure(String name, Timed timed) {
    var samples = new Samples(name);
    measured.add(new Measured(samples, timed));
    return samples;
  }

  public static void main(String[] args) throws Exception {
    int iterations = Scratch.intArg(args, 0, 200);
    int warmups = Scratch.intArg(args, 1, 20);
    try (Scratch scratch = Scratch.create("moat-bench-sandbox-")) {
      var bench = new SandboxStart(scratch);
      bench.run(warmups, iterations);
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

  private long timeSandbox(SandboxTier sandboxTier) throws IOException {
    long start = System.nanoTime();
    try (Sandbox sandbox = sandboxTier.create(new SandboxSpec("bench-" + sandboxes++, workspace))) {
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
    for (Measured m : measured.subList(1, measured.size())) {
      System.out.println("  ratio " + m.samples().name() + " / plain: " + Samples.ratio(m.samples(), plain));
    }
    notes.forEach(n -> System.out.println("  note: " + n));
    target("bwrap create + true + destroy", bwrap, TARGET_P50_MS);
    if (oci != null) target("oci create + true + destroy", oci, OCI_TARGET_P50_MS);
  }

  private static void target(String what, Samples samples, double p50Ms) {
    double p50 = samples.percentileMs(50);
    System.out.printf(Locale.ROOT, "  target (DESIGN.md section 9): %s p50 <= %.0f ms: %s (%.2f ms)%n",
        what, p50Ms, p50 <= p50Ms ? "met" : "MISSED", p50);
  }
}
