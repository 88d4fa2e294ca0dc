package dev.moat.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.sandbox.seccomp.SyscallProbe;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hardened seccomp filter in a real bwrap sandbox: a probe makes every refused call itself. */
class BwrapSeccompTest {
  @TempDir Path tmp;

  @Test
  void everyRefusedSyscallFailsWithItsErrnoInsideTheSandbox() throws Exception {
    try (BwrapFixture f = new BwrapFixture(tmp)) {
      SyscallProbe.install(f.workspace);
      OutputCapture out = new OutputCapture();
      ExecResult result = f.sandbox.exec(SyscallProbe.argv(), BwrapFixture.BASIC_ENV, out, BwrapFixture.in(Duration.ofMinutes(1)));

      assertThat(result.succeeded()).as(out.text()).isTrue();
      assertThat(out.text()).isEqualTo(SyscallProbe.expectedOutput());
    }
  }

  @Test
  void aThirtyTwoBitSyscallKillsTheProcess() throws Exception {
    try (BwrapFixture f = new BwrapFixture(tmp)) {
      SyscallProbe.install(f.workspace);
      BwrapFixture.Ran ran = f.sh("./" + SyscallProbe.NAME + " int80; echo exit=$?");

      // SIGSYS (31): the filter's kill, before the call runs; the probe never prints its result.
      assertThat(ran.output()).doesNotContain("int80: returned").contains("exit=159");
    }
  }

  @Test
  void ordinaryWorkStillRunsUnderTheFilter() throws Exception {
    try (BwrapFixture f = new BwrapFixture(tmp)) {
      // Threads (clone3 refused, so glibc falls back to clone), pipes, subshells, a fork per command.
      BwrapFixture.Ran ran = f.sh("python3 -c 'import threading; t = threading.Thread(target=print, args=(\"thread ran\",)); "
          + "t.start(); t.join()' && echo a | tr a b && (ls /proc/self/fd | wc -l)");

      assertThat(ran.result().succeeded()).as(ran.output()).isTrue();
      assertThat(ran.output()).contains("thread ran").contains("b\n");
    }
  }

  @Test
  void theFiltersFileDescriptorDoesNotReachTheJob() throws Exception {
    try (BwrapFixture f = new BwrapFixture(tmp)) {
      BwrapFixture.Ran ran = f.sh("ls /proc/self/fd | tr '\\n' ' '");

      assertThat(ran.output().strip()).isEqualTo("0 1 2 3"); // 3 is ls's own directory handle
      assertThat(f.sh("readlink /proc/$$/fd/3 || echo no-fd-3").output()).contains("no-fd-3");
    }
  }
}
