package dev.moat.sandbox.seccomp;

import java.util.Objects;

/**
 * One syscall that a job may not make, as x86_64 knows it: calls of {@code number} fail with
 * {@code errno} instead of running. With a non-zero {@code flagMask} only the calls whose first
 * argument has one of those bits set are refused (for {@code clone}: the namespace flags); the
 * others run.
 *
 * <p>Invariants: {@code name} is the kernel's (and libseccomp's) name of the syscall; {@code number}
 * is its x86_64 number, 0–511; {@code errno} is 1–4095; {@code flagMask} fits in 32 bits, since the
 * filter inspects only the low word of the argument (the kernel reads clone's flags as a C
 * {@code unsigned long}, but every namespace flag is in the low word). Immutable.
 */
public record SyscallRule(String name, int number, int errno, long flagMask) {
  /** Linux's {@code EPERM}. */
  public static final int EPERM = 1;
  /** Linux's {@code ENOSYS}: "no such call", which makes glibc fall back to an older one. */
  public static final int ENOSYS = 38;

  public SyscallRule {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[a-z0-9_]+")) throw new IllegalArgumentException("bad syscall name: " + name);
    if (number < 0 || number > 511) throw new IllegalArgumentException("bad x86_64 syscall number: " + number);
    if (errno < 1 || errno > 4095) throw new IllegalArgumentException("bad errno: " + errno);
    if (flagMask < 0 || flagMask > 0xffff_ffffL) throw new IllegalArgumentException("flag mask must fit in 32 bits: " + flagMask);
  }

  /** Every call of {@code name} fails with EPERM. */
  static SyscallRule deny(String name, int number) {
    return new SyscallRule(name, number, EPERM, 0);
  }

  /** Whether this rule looks at the first argument rather than refusing every call. */
  public boolean conditional() {
    return flagMask != 0;
  }
}
