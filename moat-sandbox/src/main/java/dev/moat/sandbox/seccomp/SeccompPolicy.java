package dev.moat.sandbox.seccomp;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which syscalls a job may not make: a deny list over a default of allow, the same for every tier
 * (bwrap loads it as the classic BPF program of {@link SeccompProgram}; the oci tier hands runc the
 * equivalent profile). Only 64-bit x86 calls pass at all: a call through the 32-bit or x32 entry
 * points (whose numbers mean other syscalls) is refused as a whole, see {@link SeccompProgram}.
 *
 * <p>{@link #HARDENED} refuses, with EPERM, what a build never needs and an escape does: mounting
 * and new namespaces (so no user namespace in which to become "root" again), joining namespaces,
 * tracing and reading other processes, the kernel keyring, eBPF, perf events, userfaultfd and
 * io_uring (common kernel exploit primitives), module loading, kexec, reboot, swap, accounting,
 * clock changes, handles to files by inode, and raw port I/O. Most of these already fail without
 * capabilities; the filter is the second wall, and the only one for those that an unprivileged
 * process may call ({@code unshare(CLONE_NEWUSER)}, {@code userfaultfd}, {@code perf_event_open},
 * {@code bpf}, {@code keyctl}, {@code io_uring_setup}). {@code clone} is refused only with a
 * namespace flag, and {@code clone3}, whose flags sit in memory that a filter cannot read, fails
 * with ENOSYS so that libc falls back to {@code clone}.
 *
 * <p>Invariants: at least one rule; no syscall number twice. Immutable.
 */
public record SeccompPolicy(List<SyscallRule> rules) {
  /** Every {@code CLONE_NEW*} flag that {@code clone} takes (not CLONE_NEWTIME: clone3 and unshare only). */
  public static final long CLONE_NAMESPACE_FLAGS = 0x0002_0000L // CLONE_NEWNS
      | 0x0200_0000L // CLONE_NEWCGROUP
      | 0x0400_0000L // CLONE_NEWUTS
      | 0x0800_0000L // CLONE_NEWIPC
      | 0x1000_0000L // CLONE_NEWUSER
      | 0x2000_0000L // CLONE_NEWPID
      | 0x4000_0000L; // CLONE_NEWNET

  /** The policy of every Moat job. */
  public static final SeccompPolicy HARDENED = new SeccompPolicy(List.of(
      SyscallRule.deny("mount", 165), SyscallRule.deny("umount2", 166), SyscallRule.deny("pivot_root", 155),
      SyscallRule.deny("chroot", 161), SyscallRule.deny("open_tree", 428), SyscallRule.deny("move_mount", 429),
      SyscallRule.deny("fsopen", 430), SyscallRule.deny("fsconfig", 431), SyscallRule.deny("fsmount", 432),
      SyscallRule.deny("fspick", 433), SyscallRule.deny("mount_setattr", 442),
      SyscallRule.deny("unshare", 272), SyscallRule.deny("setns", 308),
      new SyscallRule("clone", 56, SyscallRule.EPERM, CLONE_NAMESPACE_FLAGS),
      new SyscallRule("clone3", 435, SyscallRule.ENOSYS, 0),
      SyscallRule.deny("ptrace", 101), SyscallRule.deny("process_vm_readv", 310),
      SyscallRule.deny("process_vm_writev", 311), SyscallRule.deny("kcmp", 312),
      SyscallRule.deny("keyctl", 250), SyscallRule.deny("add_key", 248), SyscallRule.deny("request_key", 249),
      SyscallRule.deny("bpf", 321), SyscallRule.deny("perf_event_open", 298), SyscallRule.deny("userfaultfd", 323),
      SyscallRule.deny("io_uring_setup", 425), SyscallRule.deny("io_uring_enter", 426),
      SyscallRule.deny("io_uring_register", 427),
      SyscallRule.deny("init_module", 175), SyscallRule.deny("finit_module", 313),
      SyscallRule.deny("delete_module", 176), SyscallRule.deny("create_module", 174),
      SyscallRule.deny("kexec_load", 246), SyscallRule.deny("kexec_file_load", 320), SyscallRule.deny("reboot", 169),
      SyscallRule.deny("swapon", 167), SyscallRule.deny("swapoff", 168), SyscallRule.deny("acct", 163),
      SyscallRule.deny("quotactl", 179), SyscallRule.deny("syslog", 103), SyscallRule.deny("lookup_dcookie", 212),
      SyscallRule.deny("name_to_handle_at", 303), SyscallRule.deny("open_by_handle_at", 304),
      SyscallRule.deny("settimeofday", 164), SyscallRule.deny("clock_settime", 227),
      SyscallRule.deny("adjtimex", 159), SyscallRule.deny("clock_adjtime", 305),
      SyscallRule.deny("iopl", 172), SyscallRule.deny("ioperm", 173), SyscallRule.deny("uselib", 134),
      SyscallRule.deny("_sysctl", 156), SyscallRule.deny("vhangup", 153), SyscallRule.deny("nfsservctl", 180)));

  public SeccompPolicy {
    rules = List.copyOf(rules);
    if (rules.isEmpty()) throw new IllegalArgumentException("a policy needs at least one rule");
    Set<Integer> numbers = new HashSet<>();
    for (SyscallRule rule : rules) {
      if (!numbers.add(rule.number())) throw new IllegalArgumentException("syscall " + rule.number() + " twice");
    }
  }

  /** The rule for syscall {@code name}, if the policy has one. */
  public java.util.Optional<SyscallRule> rule(String name) {
    return rules.stream().filter(r -> r.name().equals(name)).findFirst();
  }
}
