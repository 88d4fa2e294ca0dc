package dev.moat.sandbox.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.OutputCapture;
import dev.moat.sandbox.seccomp.SyscallProbe;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same hardened filter in a real runc container, from {@code linux.seccomp}. */
class OciSeccompTest {
  @TempDir Path tmp;

  @Test
  void everyRefusedSyscallFailsWithTheSameErrnoAsInBwrap() throws Exception {
    try (OciFixture f = new OciFixture(tmp)) {
      SyscallProbe.install(f.workspace);
      OutputCapture out = new OutputCapture();
      ExecResult result = f.sandbox.exec(SyscallProbe.argv(), OciFixture.BASIC_ENV, out, OciFixture.in(Duration.ofMinutes(1)));

      assertThat(result.succeeded()).as(out.text()).isTrue();
      assertThat(out.text()).isEqualTo(SyscallProbe.expectedOutput());
    }
  }

  @Test
  void aThirtyTwoBitSyscallKillsTheProcessAsInBwrap() throws Exception {
    try (OciFixture f = new OciFixture(tmp)) {
      SyscallProbe.install(f.workspace);
      OciFixture.Ran ran = f.sh("./" + SyscallProbe.NAME + " int80; echo exit=$?");

      // libseccomp's bad-architecture action: SIGSYS (31), as the bwrap tier's filter.
      assertThat(ran.output()).doesNotContain("int80: returned").contains("exit=159");
    }
  }
}
