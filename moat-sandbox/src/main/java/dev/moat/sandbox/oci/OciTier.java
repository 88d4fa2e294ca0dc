package dev.moat.sandbox.oci;

import dev.moat.sandbox.Availability;
import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.HostUser;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxScratch;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.SandboxTier;
import dev.moat.sandbox.WorkspaceGrant;
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
 * <p>Not yet: joining a per-job network namespace for filtered egress (containers get a new, empty one), and
 * removal of containers left by a crashed agent (they are in {@link OciSettings#runcRoot()}).
 *
 * <p>Requirements: root (runc manages cgroups and mounts) and {@code runc} 1.1+.
 *
 * <p>Thread-safe: the image is fixed per tier, and the rootfs cache is locked.
 */
public final class OciTier implements SandboxTier {
  private static final Logger LOG = LoggerFactory.getLogger(OciTier.class);
  /** Parent of every container's cgroup, relative to the agent's own cgroup. */
  static final String CGROUP_PARENT = "moat";

  private final OciSettings settings;
  private final String digest;
  private final RootfsCache rootfs;
  private final Runc runc;
  private final InstantSource clock;

  /**
   * A tier whose sandboxes run image {@code digest} from {@code images}.
   *
   * @throws IllegalStateException if this process is not root
   * @throws IOException if the image is not in the store
   */
  public OciTier(OciSettings settings, ImageStore images, String digest, InstantSource clock) throws IOException {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (!HostUser.current().isRoot()) throw new IllegalStateException("the oci tier needs root to run runc");
    if (!Files.isRegularFile(images.artifact(digest))) throw new IOException("no image " + digest + " in the store");
    this.digest = digest;
    this.rootfs = new RootfsCache(settings.rootfsRoot(), images);
    this.runc = new Runc(settings.runc(), settings.runcRoot());
  }

  public OciTier(OciSettings settings, ImageStore images, String digest) throws IOException {
    this(settings, images, digest, InstantSource.system());
  }

  @Override
  public String name() {
    return "oci";
  }

  /** Unpacks the image on first use, hands the workspace to the job's uid and writes the bundle. */
  @Override
  public Sandbox create(SandboxSpec spec) throws IOException {
    Path root = rootfs.rootfs(digest);
    Path workspace = spec.workspace().toRealPath();
    WorkspaceGrant.give(workspace, settings.uid(), settings.gid(), true);
    String hostname = "moat-" + spec.id();
    SandboxScratch scratch = SandboxScratch.create(settings.scratchRoot(), spec.id(), settings.uid(),
        settings.gid(), hostname);
    // Unique even if two jobs share a sandbox id: container ids name runc state and cgroups.
    String prefix = "moat-" + spec.id() + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    var template = new OciSandbox.StepTemplate(root, workspace, hostname, settings.uid(), settings.gid(),
        CGROUP_PARENT, settings.limits());
    LOG.debug("oci sandbox created: id={} image={} containers={}-N", spec.id(), digest, prefix);
    return new OciSandbox(prefix, runc, template, scratch, clock);
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
            ? Availability.yes("runc works with image " + digest)
            : Availability.no("runc failed (" + r + "): " + out.toString(StandardCharsets.UTF_8).strip());
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
