package dev.moat.sandbox.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeccompProgramTest {
  static final SeccompProgram HARDENED = SeccompProgram.compile(SeccompPolicy.HARDENED);
  static final int X86_64 = SeccompProgram.AUDIT_ARCH_X86_64;
  static final int I386 = 0x4000_0003; // AUDIT_ARCH_I386
  static final int GETPID = 39;
  static final int CLONE = 56;
  static final long THREAD_FLAGS = 0x3d0f00; // what glibc's pthread_create passes to clone

  @Test
  void everyRuleRefusesItsSyscallWithItsErrno() {
    for (SyscallRule rule : SeccompPolicy.HARDENED.rules()) {
      long arg0 = rule.conditional() ? rule.flagMask() : 0;
      assertThat(HARDENED.evaluate(X86_64, rule.number(), arg0))
          .as(rule.name()).isEqualTo(SeccompProgram.RET_ERRNO | rule.errno());
    }
  }

  @Test
  void callsOutsideThePolicyAreAllowed() {
    assertThat(HARDENED.evaluate(X86_64, GETPID, 0)).isEqualTo(SeccompProgram.RET_ALLOW);
    assertThat(HARDENED.evaluate(X86_64, 0 /* read */, 0)).isEqualTo(SeccompProgram.RET_ALLOW);
    assertThat(HARDENED.evaluate(X86_64, 450, 0)).isEqualTo(SeccompProgram.RET_ALLOW);
  }

  @Test
  void cloneIsRefusedWithAnyNamespaceFlagAndAllowedForForksAndThreads() {
    assertThat(HARDENED.evaluate(X86_64, CLONE, 17 /* SIGCHLD: fork */)).isEqualTo(SeccompProgram.RET_ALLOW);
    assertThat(HARDENED.evaluate(X86_64, CLONE, THREAD_FLAGS)).isEqualTo(SeccompProgram.RET_ALLOW);
    for (long bit = 1; bit <= 0x8000_0000L; bit <<= 1) {
      if ((SeccompPolicy.CLONE_NAMESPACE_FLAGS & bit) == 0) continue;
      assertThat(HARDENED.evaluate(X86_64, CLONE, THREAD_FLAGS | bit))
          .as("clone flag %x", bit).isEqualTo(SeccompProgram.RET_ERRNO | SyscallRule.EPERM);
    }
    // Only the low word is the kernel's; high bits don't hide a flag.
    assertThat(HARDENED.evaluate(X86_64, CLONE, 0xffff_ffff_0000_0000L | 0x1000_0000L))
        .isEqualTo(SeccompProgram.RET_ERRNO | SyscallRule.EPERM);
  }

  @Test
  void clone3FailsAsUnknownSoThatLibcFallsBackToClone() {
    assertThat(HARDENED.evaluate(X86_64, 435, 0)).isEqualTo(SeccompProgram.RET_ERRNO | SyscallRule.ENOSYS);
  }

  @Test
  void thirtyTwoBitCallsKillTheProcessAndX32CallsAreRefused() {
    assertThat(HARDENED.evaluate(I386, 20 /* getpid on i386 */, 0)).isEqualTo(SeccompProgram.RET_KILL_PROCESS);
    assertThat(HARDENED.evaluate(X86_64, 0x4000_0000 | GETPID, 0)).isEqualTo(SeccompProgram.RET_ERRNO | SyscallRule.EPERM);
    assertThat(HARDENED.evaluate(X86_64, 0x4000_0000 | 165 /* mount */, 0)).isEqualTo(SeccompProgram.RET_ERRNO | SyscallRule.EPERM);
  }

  @Test
  void bytesAreTheKernelsSockFilterArrayInLittleEndian() {
    byte[] bytes = HARDENED.bytes();
    assertThat(bytes).hasSize(HARDENED.length() * 8);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    // ld [4] (arch); jeq AUDIT_ARCH_X86_64, +1, +0
    assertThat(b.getShort(0)).isEqualTo((short) 0x20);
    assertThat(b.getInt(4)).isEqualTo(4);
    assertThat(b.getShort(8)).isEqualTo((short) 0x15);
    assertThat(b.get(10)).isEqualTo((byte) 1);
    assertThat(b.get(11)).isEqualTo((byte) 0);
    assertThat(b.getInt(12)).isEqualTo(0xc000003e);
    // The last instruction allows.
    assertThat(b.getShort(bytes.length - 8)).isEqualTo((short) 0x06);
    assertThat(b.getInt(bytes.length - 4)).isEqualTo(0x7fff0000);
    assertThat(HARDENED.length()).isLessThan(256);
  }

  @Test
  void policiesRejectDuplicatesAndBadRules() {
    assertThatThrownBy(() -> new SeccompPolicy(List.of(SyscallRule.deny("mount", 165), SyscallRule.deny("mount2", 165))))
        .hasMessageContaining("165 twice");
    assertThatThrownBy(() -> new SeccompPolicy(List.of())).hasMessageContaining("at least one");
    assertThatThrownBy(() -> new SyscallRule("clone", 56, 1, 1L << 32)).hasMessageContaining("32 bits");
    assertThatThrownBy(() -> new SyscallRule("Mount!", 165, 1, 0)).hasMessageContaining("bad syscall name");
    assertThatThrownBy(() -> new SyscallRule("x", 600, 1, 0)).hasMessageContaining("number");
  }

  @Test
  void theHardenedPolicyCoversWhatTheIssueNames() {
    for (String name : List.of("mount", "unshare", "setns", "ptrace", "keyctl", "bpf", "perf_event_open",
        "userfaultfd", "init_module", "finit_module", "delete_module")) {
      assertThat(SeccompPolicy.HARDENED.rule(name)).as(name).isPresent();
    }
  }
}
