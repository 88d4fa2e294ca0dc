package dev.moat.sandbox.oci;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.moat.common.Json;
import java.util.List;
import java.util.Objects;

/**
 * An OCI runtime-spec 1.0 {@code config.json} as data: a tree of records that Moat's {@link Json}
 * mapper serialises field by field, so that tests can assert on the exact document runc gets.
 * Only the fields Moat sets are modelled; absent fields take runc's (safe) defaults.
 *
 * <p>Immutable and thread-safe.
 */
public record OciConfig(String ociVersion, Process process, Root root, String hostname,
    List<Mount> mounts, Linux linux) {
  public static final String VERSION = "1.0.2";

  public OciConfig {
    Objects.requireNonNull(process, "process");
    Objects.requireNonNull(root, "root");
    mounts = List.copyOf(mounts);
    Objects.requireNonNull(linux, "linux");
  }

  /** The JSON document for {@code config.json}. */
  public String toJson() {
    return Json.write(this);
  }

  public record Process(boolean terminal, User user, List<String> args, List<String> env, String cwd,
      Capabilities capabilities, List<Rlimit> rlimits, boolean noNewPrivileges) {
    public Process {
      args = List.copyOf(args);
      if (args.isEmpty()) throw new IllegalArgumentException("no command");
      env = List.copyOf(env);
      rlimits = List.copyOf(rlimits);
    }
  }

  public record User(int uid, int gid) {}

  /** The five capability sets; Moat's jobs get {@link #NONE}. */
  public record Capabilities(List<String> bounding, List<String> effective, List<String> inheritable,
      List<String> permitted, List<String> ambient) {
    public static final Capabilities NONE = new Capabilities(List.of(), List.of(), List.of(), List.of(), List.of());
  }

  /** A resource limit; runc can only lower limits here, since root lacks CAP_SYS_RESOURCE. */
  public record Rlimit(String type, long hard, long soft) {}

  public record Root(String path, boolean readonly) {}

  public record Mount(String destination, String type, String source, List<String> options) {
    public Mount {
      options = List.copyOf(options);
    }
  }

  /** A namespace to create, or to join when {@code path} is set (e.g. a prepared netns). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Namespace(String type, String path) {}

  public record Linux(List<Namespace> namespaces, String cgroupsPath, Resources resources,
      List<String> maskedPaths, List<String> readonlyPaths, Seccomp seccomp) {
    public Linux {
      namespaces = List.copyOf(namespaces);
      maskedPaths = List.copyOf(maskedPaths);
      readonlyPaths = List.copyOf(readonlyPaths);
      Objects.requireNonNull(seccomp, "seccomp");
    }
  }

  /**
   * {@code linux.seccomp}: runc compiles it with libseccomp. Calls of an architecture not listed are
   * refused by libseccomp's bad-architecture action.
   */
  public record Seccomp(String defaultAction, List<String> architectures, List<SyscallGroup> syscalls) {
    public Seccomp {
      architectures = List.copyOf(architectures);
      syscalls = List.copyOf(syscalls);
    }
  }

  /** Syscalls that share an action; with {@code args}, only calls matching every one of them. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SyscallGroup(List<String> names, String action, Integer errnoRet, List<SyscallArg> args) {
    public SyscallGroup {
      names = List.copyOf(names);
      if (args != null) args = List.copyOf(args);
    }
  }

  /** A condition on argument {@code index}; {@code SCMP_CMP_MASKED_EQ} means (arg &amp; value) == valueTwo. */
  public record SyscallArg(int index, long value, long valueTwo, String op) {}

  public record Resources(List<DeviceRule> devices, Memory memory, Cpu cpu, Pids pids) {
    public Resources {
      devices = List.copyOf(devices);
    }
  }

  /** A device cgroup rule; a single deny-all rule leaves only runc's default devices allowed. */
  public record DeviceRule(boolean allow, String access) {}

  /** {@code swap} is memory plus swap, as in the spec; equal to {@code limit} means no swap. */
  public record Memory(long limit, long swap) {}

  public record Cpu(long quota, long period) {}

  public record Pids(long limit) {}
}
