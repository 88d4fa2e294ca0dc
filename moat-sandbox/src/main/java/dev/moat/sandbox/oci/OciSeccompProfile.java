package dev.moat.sandbox.oci;

import dev.moat.sandbox.oci.OciConfig.Seccomp;
import dev.moat.sandbox.oci.OciConfig.SyscallArg;
import dev.moat.sandbox.oci.OciConfig.SyscallGroup;
import dev.moat.sandbox.seccomp.SeccompPolicy;
import dev.moat.sandbox.seccomp.SyscallRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link SeccompPolicy} as runc's {@code linux.seccomp}, so that both tiers refuse the same calls
 * with the same errors: default allow, only {@code SCMP_ARCH_X86_64} (other architectures hit
 * libseccomp's bad-architecture action), unconditional rules grouped by errno, and a conditional
 * rule as one {@code SCMP_CMP_MASKED_EQ} condition per flag bit, because libseccomp ANDs the
 * conditions of one rule and a call must be refused if <em>any</em> flag is set.
 */
final class OciSeccompProfile {
  private OciSeccompProfile() {}

  static Seccomp of(SeccompPolicy policy) {
    Map<Integer, List<String>> byErrno = new TreeMap<>();
    List<SyscallGroup> conditional = new ArrayList<>();
    for (SyscallRule rule : policy.rules()) {
      if (!rule.conditional()) {
        byErrno.computeIfAbsent(rule.errno(), _ -> new ArrayList<>()).add(rule.name());
        continue;
      }
      for (long bit = 1; bit <= 0xffff_ffffL; bit <<= 1) {
        if ((rule.flagMask() & bit) == 0) continue;
        conditional.add(new SyscallGroup(List.of(rule.name()), "SCMP_ACT_ERRNO", rule.errno(),
            List.of(new SyscallArg(0, bit, bit, "SCMP_CMP_MASKED_EQ"))));
      }
    }
    List<SyscallGroup> groups = new ArrayList<>();
    byErrno.forEach((errno, names) -> groups.add(new SyscallGroup(names, "SCMP_ACT_ERRNO", errno, null)));
    groups.addAll(conditional);
    return new Seccomp("SCMP_ACT_ALLOW", List.of("SCMP_ARCH_X86_64"), groups);
  }
}
