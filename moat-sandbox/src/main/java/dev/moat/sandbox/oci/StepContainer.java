package dev.moat.sandbox.oci;

import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.seccomp.SeccompPolicy;
import dev.moat.sandbox.oci.OciConfig.Capabilities;
import dev.moat.sandbox.oci.OciConfig.DeviceRule;
import dev.moat.sandbox.oci.OciConfig.Linux;
import dev.moat.sandbox.oci.OciConfig.Mount;
import dev.moat.sandbox.oci.OciConfig.Namespace;
import dev.moat.sandbox.oci.OciConfig.Resources;
import dev.moat.sandbox.oci.OciConfig.Rlimit;
import dev.moat.sandbox.oci.OciConfig.Root;
import dev.moat.sandbox.oci.OciConfig.User;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One step's container, as the values its {@code config.json} is made of; {@link #config()}
 * produces the document. This is where the oci tier's isolation is decided:
 * <ul>
 *   <li>a read-only root from the image, no capabilities in any set, {@code noNewPrivileges}, a
 *       non-root uid, only lowered rlimits;
 *   <li>new pid, ipc, uts, mount, cgroup and network namespaces (the network one joined from
 *       {@code netns} when the job has a prepared one, otherwise new: loopback only);
 *   <li>private {@code /proc}, {@code /dev}, read-only {@code /sys}, tmpfs {@code /tmp} and
 *       {@code /run}; the workspace bound read-write but {@code nosuid,nodev}; the sandbox's
 *       generated {@code passwd}, {@code group} and {@code hosts} bound read-only;
 *   <li>{@code runc spec}'s masked and read-only paths, plus {@code /sys/fs/cgroup} masked;
 *   <li>devices deny-all (runc adds its default devices) and a <em>relative</em>
 *       {@code cgroupsPath}, {@code <job cgroup>/<container id>}, which runc 1.1 nests under the
 *       agent's own cgroup in every hierarchy: so the container sits inside the sandbox's job
 *       cgroup, which holds the memory, pids and CPU caps of {@link OciLimits} for all steps;
 *   <li>the {@link SeccompPolicy#HARDENED} syscall filter, the same as the bwrap tier's
 *       ({@link OciSeccompProfile}).
 * </ul>
 *
 * @param argv the command
 * @param env exactly the command's environment, nothing inherited
 * @param rootfs the unpacked image, absolute
 * @param workspace the job's workspace on the host, absolute
 * @param etcDir a directory holding {@code passwd}, {@code group} and {@code hosts}
 * @param netns a network namespace to join, or null for a new empty one
 * @param cgroupsPath relative cgroup path, e.g. {@code moat-oci-j1-a1b2c3/<container id>}
 * @param ctxSocket the job's ctx socket on the host, bound at {@link SandboxSpec#CTX_SOCKET}, or null
 * @param ctxHelper the {@code moat-ctx} binary, bound read-only at {@link SandboxSpec#CTX_HELPER};
 *     set exactly when {@code ctxSocket} is
 */
public record StepContainer(List<String> argv, Map<String, String> env, Path rootfs, Path workspace,
    Path etcDir, String hostname, int uid, int gid, Path netns, String cgroupsPath, OciLimits limits,
    Path ctxSocket, Path ctxHelper) {
  /** From {@code runc spec}. */
  static final List<String> MASKED = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
      "/proc/scsi", "/sys/fs/cgroup");
  /** From {@code runc spec}. */
  static final List<String> READ_ONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
  static final OciConfig.Seccomp SECCOMP = OciSeccompProfile.of(SeccompPolicy.HARDENED);

  public StepContainer {
    argv = List.copyOf(argv);
    env = Map.copyOf(env);
    for (String key : env.keySet()) {
      if (key.isEmpty() || key.contains("=")) throw new IllegalArgumentException("bad environment name: " + key);
    }
    requireAbsolute(rootfs, "rootfs");
    requireAbsolute(workspace, "workspace");
    requireAbsolute(etcDir, "etcDir");
    if (netns != null) requireAbsolute(netns, "netns");
    if (uid <= 0 || gid <= 0) throw new IllegalArgumentException("containers never run as root: " + uid + ":" + gid);
    Objects.requireNonNull(cgroupsPath, "cgroupsPath");
    if (cgroupsPath.startsWith("/") || cgroupsPath.contains("..")) {
      throw new IllegalArgumentException("cgroupsPath must be relative: " + cgroupsPath);
    }
    Objects.requireNonNull(limits, "limits");
    if ((ctxSocket == null) != (ctxHelper == null)) throw new IllegalArgumentException("ctxSocket and ctxHelper go together");
    if (ctxSocket != null) {
      requireAbsolute(ctxSocket, "ctxSocket");
      requireAbsolute(ctxHelper, "ctxHelper");
    }
  }

  /** A step without a ctx socket. */
  public StepContainer(List<String> argv, Map<String, String> env, Path rootfs, Path workspace, Path etcDir,
      String hostname, int uid, int gid, Path netns, String cgroupsPath, OciLimits limits) {
    this(argv, env, rootfs, workspace, etcDir, hostname, uid, gid, netns, cgroupsPath, limits, null, null);
  }

  public OciConfig config() {
    var process = new OciConfig.Process(false, new User(uid, gid), argv, envList(), SandboxSpec.WORKSPACE,
        Capabilities.NONE, List.of(new Rlimit("RLIMIT_NOFILE", limits.openFiles(), limits.openFiles())), true);
    var linux = new Linux(namespaces(), cgroupsPath, resources(), MASKED, READ_ONLY, SECCOMP);
    return new OciConfig(OciConfig.VERSION, process, new Root(rootfs.toString(), true), hostname, mounts(), linux);
  }

  /** Sorted so that the document is the same for the same environment. */
  private List<String> envList() {
    List<String> list = new ArrayList<>();
    new TreeMap<>(env).forEach((k, v) -> list.add(k + "=" + v));
    return list;
  }

  private List<Namespace> namespaces() {
    return List.of(new Namespace("pid", null), new Namespace("ipc", null), new Namespace("uts", null),
        new Namespace("mount", null), new Namespace("cgroup", null),
        new Namespace("network", netns == null ? null : netns.toString()));
  }

  private List<Mount> mounts() {
    List<Mount> mounts = new ArrayList<>(List.of(
        new Mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")),
        new Mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")),
        new Mount("/dev/pts", "devpts", "devpts",
            List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")),
        new Mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
        new Mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")),
        new Mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")),
        new Mount("/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777", "size=" + limits.tmpBytes())),
        new Mount("/run", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=755", "size=16m")),
        new Mount(SandboxSpec.WORKSPACE, "bind", workspace.toString(), List.of("rbind", "rw", "nosuid", "nodev")),
        readOnlyFile("/etc/passwd", etcDir.resolve("passwd")),
        readOnlyFile("/etc/group", etcDir.resolve("group")),
        readOnlyFile("/etc/hosts", etcDir.resolve("hosts"))));
    if (ctxSocket != null) {
      // After /run's tmpfs, so that runc makes their mount points there, never in the image.
      mounts.add(new Mount(SandboxSpec.CTX_SOCKET, "bind", ctxSocket.toString(), List.of("bind", "nosuid", "nodev", "noexec")));
      mounts.add(new Mount(SandboxSpec.CTX_HELPER, "bind", ctxHelper.toString(), List.of("bind", "ro", "nosuid", "nodev")));
    }
    return List.copyOf(mounts);
  }

  private static Mount readOnlyFile(String destination, Path source) {
    return new Mount(destination, "bind", source.toString(), List.of("bind", "ro", "nosuid", "nodev", "noexec"));
  }

  private Resources resources() {
    return new Resources(List.of(new DeviceRule(false, "rwm")));
  }

  private static void requireAbsolute(Path p, String what) {
    Objects.requireNonNull(p, what);
    if (!p.isAbsolute()) throw new IllegalArgumentException(what + " must be absolute: " + p);
  }
}
