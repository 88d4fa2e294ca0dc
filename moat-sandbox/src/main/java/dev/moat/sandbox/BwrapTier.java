package dev.moat.sandbox;

import dev.moat.sandbox.cgroup.Cgroups;
import dev.moat.sandbox.net.Egress;
import dev.moat.sandbox.net.EgressPolicy;
import dev.moat.sandbox.net.JobNetwork;
import dev.moat.sandbox.seccomp.SeccompPolicy;
import dev.moat.sandbox.seccomp.SeccompProgram;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code bwrap} tier: each exec runs under bubblewrap in new user, pid, network, ipc, uts,
 * cgroup and mount namespaces, as an unprivileged uid with no capabilities and
 * {@code no_new_privs}, under the {@link SeccompPolicy#HARDENED} syscall filter, over a read-only view of the host's {@code /usr} and a few public
 * {@code /etc} entries, with private {@code /proc}, {@code /dev}, {@code /tmp}, {@code /run}, no
 * network but loopback, and the job's workspace read-write at {@link SandboxSpec#WORKSPACE}. See
 * {@link BwrapCommand} for the exact command line. With {@link BwrapSettings#limits()}, each
 * sandbox gets one job cgroup ({@link Cgroups}) for all of its steps, joined before bwrap starts.
 *
 * <p>Requirements: {@code /usr/bin/bwrap} (not setuid) with unprivileged user namespaces enabled,
 * {@code /usr/bin/setpriv} when the agent is root, and {@code /usr/bin/mkfifo}; {@link #probe}
 * checks them all by running a real sandbox. <b>The workspace's parent directories, and
 * {@link BwrapSettings#scratchRoot()}, must be searchable by the sandbox's uid</b> (e.g. mode 0711),
 * because bwrap opens the bind sources as that uid; {@link #create} refuses otherwise.
 *
 * <p>Thread-safe and stateless apart from the host layout, which is scanned once.
 */
public final class BwrapTier implements SandboxTier {
  private static final Logger LOG = LoggerFactory.getLogger(BwrapTier.class);
  /** Compiled once; every sandbox gets its own copy in its scratch directory. */
  private static final byte[] SECCOMP = SeccompProgram.compile(SeccompPolicy.HARDENED).bytes();

  private final BwrapSettings settings;
  private final BwrapCommand.SandboxUser user;
  private final HostLayout host;
  private final InstantSource clock;
  private final Optional<Cgroups> cgroups;
  private volatile EgressBinding egress;

  /** A tier with the system clock. */
  public BwrapTier(BwrapSettings settings) {
    this(settings, InstantSource.system());
  }

  /**
   * A tier whose exec deadlines are measured on {@code clock}.
   *
   * @throws IllegalArgumentException if the agent is not root and {@code settings} names another uid
   *     or gid than its own (only root can switch users)
   * @throws IllegalStateException if {@code settings} has limits and this host can't make job cgroups
   */
  public BwrapTier(BwrapSettings settings, InstantSource clock) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    HostUser me = HostUser.current();
    if (!me.isRoot() && (me.uid() != settings.uid() || me.gid() != settings.gid())) {
      throw new IllegalArgumentException("not root: jobs can only run as this process's own "
          + me.uid() + ":" + me.gid() + ", not " + settings.uid() + ":" + settings.gid());
    }
    this.user = new BwrapCommand.SandboxUser(settings.uid(), settings.gid(), me.isRoot());
    this.host = HostLayout.scan();
    this.cgroups = settings.limits().map(_ -> detectCgroups());
  }

  private static Cgroups detectCgroups() {
    try {
      return Cgroups.detect();
    } catch (IOException e) {
      throw new IllegalStateException("jobs have limits but job cgroups can't be made here: " + e.getMessage(), e);
    }
  }

  @Override
  public String name() {
    return "bwrap";
  }

  /**
   * Hands {@code spec.workspace()} to the sandbox's uid (recursive chown without following links
   * when the agent is root; mode 0700) and prepares the sandbox's private scratch directory.
   */
  @Override
  public Sandbox create(SandboxSpec spec) throws IOException {
    Path workspace = spec.workspace().toRealPath();
    WorkspaceGrant.give(workspace, user.uid(), user.gid(), user.switchFromRoot());
    SandboxScratch scratch = SandboxScratch.create(
        settings.scratchRoot(), name(), spec.id(), user.uid(), user.gid(), "moat-" + spec.id());
    SandboxCgroup cgroup = null;
    JobNetwork network = null;
    Path seccomp;
    Path ctxSocket = null;
    try {
      seccomp = scratch.writeSeccompProgram(SECCOMP);
      if (spec.ctxHelper() != null) ctxSocket = scratch.createCtxDir(user.uid(), user.gid(), user.switchFromRoot());
      cgroup = cgroups.isEmpty() ? null : SandboxCgroup.create(cgroups.get(), spec.id(), settings.limits().orElseThrow());
      EgressBinding binding = egress;
      if (binding != null) network = binding.open(scratch);
    } catch (IOException | RuntimeException e) {
      SandboxCgroup.undoCreate(e, scratch, cgroup, network);
      throw e;
    }
    LOG.debug("bwrap sandbox created: id={} workspace={} uid={} cgroup={}", spec.id(), workspace, user.uid(),
        cgroup == null ? "none" : cgroup.name());
    return new BwrapSandbox(spec, user, host, workspace, scratch, seccomp, cgroup, network, ctxSocket, clock);
  }

  /**
   * Runs every sandbox of this tier in its own network namespace from {@code egress}, with
   * {@code policy}, instead of bwrap's empty one. Call before the first {@link #create}.
   */
  public BwrapTier withEgress(Egress egress, EgressPolicy policy) {
    this.egress = new EgressBinding(egress, policy);
    return this;
  }


  /**
   * Kills and removes the job cgroups that a crashed agent left; call once at agent start. Assumes
   * one agent per host ({@link Cgroups#removeLeftovers()}).
   */
  @Override
  public List<String> removeLeftovers() throws IOException {
    return cgroups.isEmpty() ? List.of() : cgroups.get().removeLeftovers();
  }

  /**
   * Whether this host can run bwrap sandboxes with {@code settings}: checks the tools and the
   * user-namespace switches, then creates a sandbox over a scratch workspace and runs
   * {@code /usr/bin/true} in it. Never throws; the reason says what is missing.
   */
  public static Availability probe(BwrapSettings settings) {
    Path dir = null;
    try {
      String missing = missingPrerequisite();
      if (missing != null) return Availability.no(missing);
      dir = Files.createTempDirectory(settings.scratchRoot(), "moat-bwrap-probe-");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
      Path workspace = Files.createDirectory(dir.resolve("workspace"));
      return runTrue(new BwrapTier(settings), workspace);
    } catch (IOException | RuntimeException e) {
      return Availability.no("bwrap probe failed: " + e);
    } finally {
      if (dir != null) deleteQuietly(dir);
    }
  }

  private static Availability runTrue(BwrapTier tier, Path workspace) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (Sandbox sandbox = tier.create(new SandboxSpec("probe", workspace))) {
      ExecResult result = sandbox.exec(List.of("/usr/bin/true"), Map.of(), out::write,
          tier.clock.instant().plus(Duration.ofSeconds(10)));
      String uid = "uid " + tier.user.uid() + (tier.user.switchFromRoot() ? " via setpriv" : "");
      return result.succeeded()
          ? Availability.yes("bwrap works as " + uid)
          : Availability.no("bwrap as " + uid + " failed (" + result + "): " + out.toString(StandardCharsets.UTF_8).strip());
    }
  }

  private static String missingPrerequisite() throws IOException {
    boolean root = HostUser.current().isRoot();
    if (!Files.isExecutable(BwrapCommand.BWRAP)) return "no " + BwrapCommand.BWRAP + " (install bubblewrap)";
    if (root && !Files.isExecutable(BwrapCommand.SETPRIV)) return "no " + BwrapCommand.SETPRIV + " (install util-linux)";
    if (!Files.isExecutable(BwrapCommand.SH)) return "no " + BwrapCommand.SH;
    if (!Files.isExecutable(SandboxScratch.MKFIFO)) return "no " + SandboxScratch.MKFIFO + " (install coreutils)";
    if ("0".equals(sysctl("/proc/sys/user/max_user_namespaces"))) return "user namespaces are disabled (user.max_user_namespaces=0)";
    if ("0".equals(sysctl("/proc/sys/kernel/unprivileged_userns_clone"))) {
      return "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)";
    }
    return null;
  }

  /** The value of a sysctl file, or null on kernels without that switch. */
  private static String sysctl(String path) throws IOException {
    Path file = Path.of(path);
    return Files.exists(file) ? Files.readString(file).strip() : null;
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("cannot delete bwrap probe directory {}", dir, e);
    }
  }
}
