package dev.moat.sandbox.oci;

import dev.moat.sandbox.Availability;
import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.HostUser;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.EgressBinding;
import dev.moat.sandbox.SandboxCgroup;
import dev.moat.sandbox.SandboxScratch;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.SandboxTier;
import dev.moat.sandbox.WorkspaceGrant;
import dev.moat.sandbox.net.Egress;
import dev.moat.sandbox.net.EgressPolicy;
import dev.moat.sandbox.net.JobNetwork;
import dev.moat.sandbox.cgroup.Cgroups;
import dev.moat.sandbox.image.ImageStore;
import dev.moat.sandbox.image.TreeDeletion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code oci} tier: each step runs in a fresh runc container over one digest-pinned image
 * (read-only root, shared per digest: see {@link RootfsCache}), with the job's workspace bound
 * read-write, as a non-root uid with no capabilities; {@link StepContainer} lists every setting.
 *
 * <p>Network: without {@link #withEgress} every step gets a new, empty network namespace
 * (loopback only). With it, each sandbox gets its own {@link JobNetwork}, whose namespace every
 * step's container joins, whose allowed names are in the sandbox's {@code /etc/hosts}, and whose
 * denials {@link Sandbox#egressDenials()} reports.
 *
 * <p>Limits: each sandbox has one job cgroup ({@link SandboxCgroup}, named
 * {@code moat-<cgroupPrefix>-<id>-<hex>}) with the memory, pids and CPU caps, and every step's
 * container nests in it; so the caps hold for the job as a whole, the result of each exec names
 * the limits it hit (counters on the job cgroup outlive the container), and a kill or timeout
 * empties the whole job cgroup as a backstop.
 *
 * <p>Crash sweep: {@link #removeLeftovers()} removes the containers (runc state in
 * {@link OciSettings#runcRoot()}), job cgroups ({@link OciSettings#jobCgroupPrefix()}, nested
 * container cgroups included) and bundles a crashed agent left.
 *
 * <p>Requirements: root (runc manages cgroups and mounts) and {@code runc} 1.1+.
 *
 * <p>Thread-safe: the image is fixed per tier, and the rootfs cache is locked.
 */
public final class OciTier implements SandboxTier {
  private static final Logger LOG = LoggerFactory.getLogger(OciTier.class);
  /** Every container id starts with this; the crash sweep removes only such containers. */
  static final String CONTAINER_PREFIX = "moat-";

  private final OciSettings settings;
  private final String digest;
  private final RootfsCache rootfs;
  private final Runc runc;
  private final InstantSource clock;
  private final Cgroups cgroups;
  private volatile EgressBinding egress;

  /**
   * A tier whose sandboxes run image {@code digest} from {@code images}.
   *
   * @throws IllegalStateException if this process is not root
   * @throws IOException if the image is not in the store, or job cgroups can't be made here
   */
  public OciTier(OciSettings settings, ImageStore images, String digest, InstantSource clock) throws IOException {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (!HostUser.current().isRoot()) throw new IllegalStateException("the oci tier needs root to run runc");
    if (!Files.isRegularFile(images.artifact(digest))) throw new IOException("no image " + digest + " in the store");
    this.digest = digest;
    this.rootfs = new RootfsCache(settings.rootfsRoot(), images);
    this.runc = new Runc(settings.runc(), settings.runcRoot());
    try {
      this.cgroups = Cgroups.detect();
    } catch (IOException e) {
      throw new IOException("the oci tier needs job cgroups, which can't be made here: " + e.getMessage(), e);
    }
  }

  public OciTier(OciSettings settings, ImageStore images, String digest) throws IOException {
    this(settings, images, digest, InstantSource.system());
  }

  @Override
  public String name() {
    return "oci";
  }

  @Override
  public java.util.Optional<String> imageDigest() {
    return java.util.Optional.of(digest);
  }

  /**
   * Unpacks the image on first use, hands the workspace to the job's uid, writes the bundle and,
   * with egress, opens the job's network. On failure, whatever was made is removed again.
   */
  @Override
  public Sandbox create(SandboxSpec spec) throws IOException {
    Path root = rootfs.rootfs(digest);
    Path workspace = spec.workspace().toRealPath();
    WorkspaceGrant.give(workspace, settings.uid(), settings.gid(), true);
    String hostname = "moat-" + spec.id();
    SandboxScratch scratch = SandboxScratch.create(settings.scratchRoot(), name(), spec.id(), settings.uid(),
        settings.gid(), hostname);
    SandboxCgroup cgroup = null;
    JobNetwork network = null;
    Path ctxSocket = null;
    try {
      if (spec.ctxHelper() != null) ctxSocket = scratch.createCtxDir(settings.uid(), settings.gid(), true);
      cgroup = SandboxCgroup.create(cgroups, settings.cgroupPrefix() + "-" + spec.id(), settings.limits().jobLimits());
      EgressBinding binding = egress;
      if (binding != null) network = binding.open(scratch);
    } catch (IOException | RuntimeException e) {
      SandboxCgroup.undoCreate(e, scratch, cgroup, network);
      throw e;
    }
    // Unique even if two jobs share a sandbox id: container ids name runc state and cgroups.
    String prefix = CONTAINER_PREFIX + spec.id() + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    var template = new OciSandbox.StepTemplate(root, workspace, hostname, settings.uid(), settings.gid(),
        cgroup.relativePath(), settings.limits(), network == null ? null : network.netnsPath(), ctxSocket,
        spec.ctxHelper());
    LOG.debug("oci sandbox created: id={} image={} containers={}-N cgroup={} network={}", spec.id(), digest, prefix,
        cgroup, network == null ? "none" : network);
    return new OciSandbox(prefix, runc, template, scratch, cgroup, network, clock);
  }

  /**
   * Runs every sandbox of this tier in its own network namespace from {@code egress}, with
   * {@code policy}, instead of a new empty one per step. Call before the first {@link #create}.
   */
  public OciTier withEgress(Egress egress, EgressPolicy policy) {
    this.egress = new EgressBinding(egress, policy);
    return this;
  }

  /**
   * Removes what a crashed agent's oci sandboxes left: kills and deletes every container in
   * {@link OciSettings#runcRoot()} whose id starts with {@code moat-} (runc delete kills by
   * cgroup), then kills and removes the tier's job cgroups ({@link OciSettings#jobCgroupPrefix()})
   * with whatever container cgroups are still nested in them (a crash between runc's steps), then deletes the tier's bundle directories in
   * {@link OciSettings#scratchRoot()}. Call once at agent start, before any job: it assumes one
   * agent per runc root and scratch root, and sweeps live sandboxes of this very process too.
   *
   * @return what was removed: {@code container <id>}, {@code cgroup <name>}, {@code bundle <path>}
   */
  @Override
  public List<String> removeLeftovers() throws IOException {
    List<String> removed = new ArrayList<>();
    for (String id : runc.list()) {
      if (!id.startsWith(CONTAINER_PREFIX)) continue;
      runc.delete(id);
      removed.add("container " + id);
    }
    for (String name : cgroups.removeLeftovers(settings.jobCgroupPrefix())) removed.add("cgroup " + name);
    for (String dir : SandboxScratch.removeLeftovers(settings.scratchRoot(), name())) removed.add("bundle " + dir);
    if (!removed.isEmpty()) LOG.info("removed oci leftovers: {}", removed);
    return removed;
  }

  /** Ids of every container in Moat's runc state directory (for leftovers checks). */
  public List<String> containers() throws IOException {
    return runc.list();
  }

  /**
   * Whether this host can run oci sandboxes of image {@code digest}: root, runc, the image, and a
   * real container running {@code /bin/true} over a scratch workspace. Never throws; the reason
   * says what is missing. The first probe of a digest unpacks it (seconds).
   */
  public static Availability probe(OciSettings settings, ImageStore images, String digest) {
    if (!HostUser.current().isRoot()) return Availability.no("the oci tier needs root to run runc");
    if (!Files.isExecutable(settings.runc())) return Availability.no("no " + settings.runc() + " (install runc)");
    Path dir = null;
    try {
      OciTier tier = new OciTier(settings, images, digest);
      dir = Files.createTempDirectory(settings.scratchRoot(), "moat-oci-probe-");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
      Path workspace = Files.createDirectory(dir.resolve("workspace"));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (Sandbox sandbox = tier.create(new SandboxSpec("probe", workspace))) {
        ExecResult r = sandbox.exec(List.of("/bin/true"), Map.of(), out::write,
            tier.clock.instant().plus(Duration.ofSeconds(30)));
        return r.succeeded()
            ? Availability.yes(settings.runc().getFileName() + " works with image " + digest)
            : Availability.no(settings.runc().getFileName() + " failed (" + r + "): "
                + out.toString(StandardCharsets.UTF_8).strip());
      }
    } catch (IOException | RuntimeException e) {
      return Availability.no("oci probe failed: " + e);
    } finally {
      if (dir != null) {
        try {
          TreeDeletion.delete(dir);
        } catch (IOException e) {
          LOG.warn("cannot delete oci probe directory {}", dir, e);
        }
      }
    }
  }
}
