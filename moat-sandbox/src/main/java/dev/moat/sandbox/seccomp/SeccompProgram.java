package dev.moat.sandbox.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link SeccompPolicy} compiled to the classic BPF program that the kernel runs on every
 * syscall ({@code struct sock_filter[]}, 8 bytes per instruction, native = little-endian byte
 * order), in the form bwrap's {@code --seccomp FD} reads.
 *
 * <p>The program, over {@code struct seccomp_data} (nr at 0, arch at 4, args[i] at 16 + 8i):
 * <ol>
 *   <li>arch is not {@code AUDIT_ARCH_X86_64} (a 32-bit {@code int 0x80} call): kill the process,
 *       since its numbers mean other syscalls and no 32-bit call is needed;
 *   <li>nr has the x32 bit ({@code 0x40000000}): EPERM, for the same reason;
 *   <li>per rule, nr equal: return its errno; for a conditional rule, load the low word of the first
 *       argument and return its errno if any flag of the mask is set, else allow;
 *   <li>otherwise allow.
 * </ol>
 * Every jump is forward and short (at most 4), far below BPF's 255 limit, and the program stays far
 * below the kernel's 4096 instructions. Immutable.
 */
public final class SeccompProgram {
  /** {@code AUDIT_ARCH_X86_64}: EM_X86_64 (62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
  static final int AUDIT_ARCH_X86_64 = 0xc000_003e;
  static final int X32_SYSCALL_BIT = 0x4000_0000;
  static final int RET_KILL_PROCESS = 0x8000_0000;
  static final int RET_ERRNO = 0x0005_0000;
  static final int RET_ALLOW = 0x7fff_0000;

  private static final short LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
  private static final short JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
  private static final short JGE_K = 0x35; // BPF_JMP | BPF_JGE | BPF_K
  private static final short JSET_K = 0x45; // BPF_JMP | BPF_JSET | BPF_K
  private static final short RET_K = 0x06; // BPF_RET | BPF_K
  private static final int OFFSET_NR = 0;
  private static final int OFFSET_ARCH = 4;
  private static final int OFFSET_ARG0_LOW = 16;

  /** One BPF instruction. */
  record Instruction(short code, int jt, int jf, int k) {}

  private final List<Instruction> instructions;

  private SeccompProgram(List<Instruction> instructions) {
    this.instructions = List.copyOf(instructions);
  }

  public static SeccompProgram compile(SeccompPolicy policy) {
    List<Instruction> p = new ArrayList<>();
    p.add(new Instruction(LD_W_ABS, 0, 0, OFFSET_ARCH));
    p.add(new Instruction(JEQ_K, 1, 0, AUDIT_ARCH_X86_64));
    p.add(new Instruction(RET_K, 0, 0, RET_KILL_PROCESS));
    p.add(new Instruction(LD_W_ABS, 0, 0, OFFSET_NR));
    p.add(new Instruction(JGE_K, 0, 1, X32_SYSCALL_BIT));
    p.add(new Instruction(RET_K, 0, 0, RET_ERRNO | SyscallRule.EPERM));
    for (SyscallRule rule : policy.rules()) {
      if (rule.conditional()) {
        // nr != number: skip the 4 instructions of this rule; A still holds nr.
        p.add(new Instruction(JEQ_K, 0, 4, rule.number()));
        p.add(new Instruction(LD_W_ABS, 0, 0, OFFSET_ARG0_LOW));
        p.add(new Instruction(JSET_K, 0, 1, (int) rule.flagMask()));
        p.add(new Instruction(RET_K, 0, 0, RET_ERRNO | rule.errno()));
        // A no longer holds nr; numbers are unique, so no later rule could match anyway.
        p.add(new Instruction(RET_K, 0, 0, RET_ALLOW));
      } else {
        p.add(new Instruction(JEQ_K, 0, 1, rule.number()));
        p.add(new Instruction(RET_K, 0, 0, RET_ERRNO | rule.errno()));
      }
    }
    p.add(new Instruction(RET_K, 0, 0, RET_ALLOW));
    return new SeccompProgram(p);
  }

  /** The number of instructions. */
  public int length() {
    return instructions.size();
  }

  List<Instruction> instructions() {
    return instructions;
  }

  /** The program as the kernel's {@code struct sock_filter} array. */
  public byte[] bytes() {
    ByteBuffer b = ByteBuffer.allocate(instructions.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (Instruction i : instructions) {
      b.putShort(i.code()).put((byte) i.jt()).put((byte) i.jf()).putInt(i.k());
    }
    return b.array();
  }

  /**
   * What the program returns for a call, as the kernel would compute it: for tests that check the
   * program against the policy without a kernel.
   *
   * @param arch the {@code seccomp_data.arch} value
   * @param nr the syscall number
   * @param arg0 the first argument
   * @return the {@code SECCOMP_RET_*} value
   */
  int evaluate(int arch, int nr, long arg0) {
    int a = 0;
    int pc = 0;
    while (true) {
      Instruction i = instructions.get(pc);
      switch (i.code()) {
        case LD_W_ABS -> {
          a = switch (i.k()) {
            case OFFSET_NR -> nr;
            case OFFSET_ARCH -> arch;
            case OFFSET_ARG0_LOW -> (int) arg0;
            default -> throw new IllegalStateException("load of offset " + i.k());
          };
          pc++;
        }
        case JEQ_K -> pc += 1 + (a == i.k() ? i.jt() : i.jf());
        case JGE_K -> pc += 1 + (Integer.compareUnsigned(a, i.k()) >= 0 ? i.jt() : i.jf());
        case JSET_K -> pc += 1 + ((a & i.k()) != 0 ? i.jt() : i.jf());
        case RET_K -> {
          return i.k();
        }
        default -> throw new IllegalStateException("opcode " + i.code());
      }
    }
  }
}
