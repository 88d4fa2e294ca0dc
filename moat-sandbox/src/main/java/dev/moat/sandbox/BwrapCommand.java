package dev.moat.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The host command line that runs one command in a fresh bwrap sandbox, built as data.
 *
 * <p>Invariants of {@link #argv()}: the sandbox unshares every namespace (user, pid, net, ipc, uts,
 * cgroup, mount), drops every capability, has a read-only root with only {@link HostLayout}'s
 * entries, the generated passwd/group/hosts, private {@code /proc}, a read-only {@code /dev} with
 * only bwrap's device nodes, size-capped tmpfs at {@code /dev/shm}, {@code /tmp} and {@code /run}
 * ({@link #SHM_BYTES}, {@link #TMP_BYTES}, {@link #RUN_BYTES}: a full one gives ENOSPC, never host
 * memory), and the workspace read-write at {@link SandboxSpec#WORKSPACE}; its environment is
 * exactly {@link #env()} (plus {@code PWD}, which bwrap sets); and it dies with its parent. With a
 * ctx socket, the socket is bound at {@link SandboxSpec#CTX_SOCKET} and the helper read-only in
 * {@link SandboxSpec#CTX_BIN}.
 *
 * <p>The environment never appears in the host's process table: bwrap reads its {@code --setenv}
 * options from fd 4 ({@code --args 4}), which the shell makes of the stdin that the caller feeds
 * {@link #envArgs()} into (then stdin is {@code /dev/null} again). Secret values of a step's
 * {@code secrets:} travel that way, so host {@code ps} and {@code /proc/<pid>/cmdline} never show
 * them, and they are never written to disk. When
 * {@code user.switchFromRoot()}, {@code setpriv} first becomes the job's uid and gid with no groups
 * and no capabilities, so that bwrap itself never runs as root. Then {@code /bin/sh} opens
 * {@code seccompProgram} as fd 3 and execs bwrap, which loads it with {@code --seccomp 3} as the
 * last step before it execs the command (and closes the fd), so every process of the job runs under
 * the filter ({@link dev.moat.sandbox.seccomp.SeccompPolicy}) and nothing before it does. Immutable.
 *
 * @param user the host identity the sandbox runs as
 * @param host what of the host is shown read-only
 * @param workspace the host directory bound at {@link SandboxSpec#WORKSPACE}
 * @param etcDir the host directory holding the generated {@code passwd}, {@code group} and
 *     {@code hosts}
 * @param hostname the sandbox's hostname
 * @param env the command's complete environment
 * @param command the command and its arguments
 * @param shareNet whether the caller started bwrap inside the job's own network namespace, which the
 *     sandbox then keeps instead of a new empty one
 * @param seccompProgram the compiled seccomp filter ({@link dev.moat.sandbox.seccomp.SeccompProgram}),
 *     readable by the job's uid
 * @param ctxSocket the host path of the job's ctx socket, or null without one
 * @param ctxHelper the host path of the {@code moat-ctx} binary; set exactly when {@code ctxSocket} is
 */
record BwrapCommand(
    SandboxUser user,
    HostLayout host,
    Path workspace,
    Path etcDir,
    String hostname,
    Map<String, String> env,
    List<String> command,
    boolean shareNet,
    Path seccompProgram,
    Path ctxSocket,
    Path ctxHelper) {
  static final Path BWRAP = Path.of("/usr/bin/bwrap");
  static final Path SH = Path.of("/bin/sh");
  /**
   * Opens the program ({@code $0}) as fd 3 and moves stdin (the environment, {@link #envArgs()}) to
   * fd 4 for the exec of bwrap ({@code $@}), whose own stdin is then {@code /dev/null}.
   */
  static final String OPEN_SECCOMP_FD = "exec \"$@\" 3<\"$0\" 4<&0 </dev/null";
  /** The fd that bwrap reads its {@code --setenv} options from. */
  static final String ENV_FD = "4";
  static final Path SETPRIV = Path.of("/usr/bin/setpriv");

  /** Size of the sandbox's {@code /tmp}, as the oci tier's default. */
  static final long TMP_BYTES = 256L << 20;
  /** Size of the sandbox's {@code /run}, as the oci tier's. */
  static final long RUN_BYTES = 16L << 20;
  /** Size of the sandbox's {@code /dev/shm}, as the oci tier's. */
  static final long SHM_BYTES = 64L << 20;

  /** Files in {@link #etcDir()} that appear under /etc in the sandbox. */
  static final List<String> GENERATED_ETC = List.of("passwd", "group", "hosts");

  /**
   * Who runs the sandbox on the host.
   *
   * @param uid host uid of every job process
   * @param gid host gid of every job process
   * @param switchFromRoot whether the agent is root and must switch with setpriv first
   */
  record SandboxUser(int uid, int gid, boolean switchFromRoot) {
    SandboxUser {
      if (uid <= 0 || gid <= 0) throw new IllegalArgumentException("sandbox must not run as root: " + uid + ":" + gid);
    }
  }

  BwrapCommand {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(host, "host");
    requireAbsolute(workspace, "workspace");
    requireAbsolute(etcDir, "etcDir");
    requireAbsolute(seccompProgram, "seccompProgram");
    requireNoNul(seccompProgram.toString(), "seccompProgram");
    if ((ctxSocket == null) != (ctxHelper == null)) throw new IllegalArgumentException("ctxSocket and ctxHelper go together");
    if (ctxSocket != null) {
      requireAbsolute(ctxSocket, "ctxSocket");
      requireAbsolute(ctxHelper, "ctxHelper");
    }
    if (!hostname.matches("[A-Za-z0-9-]{1,63}")) throw new IllegalArgumentException("bad hostname: " + hostname);
    env.forEach(BwrapCommand::requireValidVariable);
    env = Collections.unmodifiableSortedMap(new TreeMap<>(env));
    command = List.copyOf(command);
    if (command.isEmpty()) throw new IllegalArgumentException("command must not be empty");
    command.forEach(arg -> requireNoNul(arg, "argument"));
  }

  /** The full host argv, starting with setpriv or the shell as an absolute path. */
  List<String> argv() {
    List<String> argv = new ArrayList<>();
    if (user.switchFromRoot()) {
      argv.addAll(List.of(SETPRIV.toString(), "--reuid=" + user.uid(), "--regid=" + user.gid(),
          "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"));
    }
    add(argv, SH.toString(), "-c", OPEN_SECCOMP_FD, seccompProgram.toString(), BWRAP.toString());
    host.systemBinds().forEach(b -> add(argv, "--ro-bind", b.source().toString(), b.destination()));
    host.symlinks().forEach(s -> add(argv, "--symlink", s.target(), s.path()));
    host.etcBinds().forEach(b -> add(argv, "--ro-bind", b.source().toString(), b.destination()));
    GENERATED_ETC.forEach(f -> add(argv, "--ro-bind", etcDir.resolve(f).toString(), "/etc/" + f));
    // bwrap's tmpfs has no size limit unless --size precedes it, and --dev leaves /dev itself (and
    // the /dev/shm directory on it) a writable, unbounded tmpfs owned by the job's uid.
    add(argv, "--proc", "/proc", "--dev", "/dev");
    add(argv, "--size", Long.toString(SHM_BYTES), "--tmpfs", "/dev/shm", "--remount-ro", "/dev");
    add(argv, "--size", Long.toString(TMP_BYTES), "--tmpfs", "/tmp");
    add(argv, "--size", Long.toString(RUN_BYTES), "--tmpfs", "/run");
    if (ctxSocket != null) {
      add(argv, "--bind", ctxSocket.toString(), SandboxSpec.CTX_SOCKET);
      add(argv, "--ro-bind", ctxHelper.toString(), SandboxSpec.CTX_HELPER);
    }
    add(argv, "--bind", workspace.toString(), SandboxSpec.WORKSPACE, "--chdir", SandboxSpec.WORKSPACE);
    add(argv, "--unshare-all");
    // Only when the caller started bwrap inside the job's own network namespace (JobNetwork.enter).
    if (shareNet) argv.add("--share-net");
    add(argv, "--hostname", hostname, "--die-with-parent", "--new-session");
    add(argv, "--cap-drop", "ALL", "--seccomp", "3", "--clearenv");
    add(argv, "--args", ENV_FD);
    add(argv, "--remount-ro", "/", "--");
    argv.addAll(command);
    return List.copyOf(argv);
  }

  /**
   * What the caller writes to the command's stdin: bwrap's {@code --setenv NAME VALUE} options for
   * {@link #env()}, NUL-separated, as {@code --args} reads them.
   */
  byte[] envArgs() {
    var out = new java.io.ByteArrayOutputStream();
    env.forEach((k, v) -> {
      for (String part : List.of("--setenv", k, v)) {
        out.writeBytes(part.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.write(0);
      }
    });
    return out.toByteArray();
  }

  private static void add(List<String> argv, String... args) {
    Collections.addAll(argv, args);
  }

  private static void requireAbsolute(Path path, String what) {
    Objects.requireNonNull(path, what);
    if (!path.isAbsolute()) throw new IllegalArgumentException(what + " must be absolute: " + path);
  }

  private static void requireValidVariable(String name, String value) {
    if (name.isEmpty() || name.indexOf('=') >= 0) throw new IllegalArgumentException("bad variable name: " + name);
    requireNoNul(name, "variable name");
    requireNoNul(value, "value of " + name);
  }

  private static void requireNoNul(String s, String what) {
    if (s.indexOf('\0') >= 0) throw new IllegalArgumentException(what + " contains NUL");
  }
}
