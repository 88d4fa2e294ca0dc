package dev.moat.sandbox.escape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.ExecResult.LimitHit;
import dev.moat.sandbox.ExecResult.Outcome;
import dev.moat.sandbox.HostProcesses;
import dev.moat.sandbox.escape.JobUnderAttack.Ran;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Invariant I3 attacked from inside both tiers: a fork bomb, a memory bomb and a disk fill each stop
 * at the job's cap ({@link TierUnderTest#PIDS}, {@link TierUnderTest#MEMORY},
 * {@link TierUnderTest#DISK}) with the kernel's specific answer, the step's result names the limit,
 * and the job and the host carry on.
 */
class LimitEscapeTest {
  @RegisterExtension final AttackedJobs jobs = AttackedJobs.perTest();

  @ParameterizedTest(name = "{0}")
  @EnumSource(TierUnderTest.class)
  void aForkBombGetsEagainAtThePidsCapAndTheJobCarriesOn(TierUnderTest tier) throws IOException {
    JobUnderAttack job = jobs.open(tier);
    String marker = HostProcesses.uniqueMarker();

    Ran ran = job.probe("fork-bomb", marker);

    Matcher m = Pattern.compile("fork: (\\S+) after (\\d+)\n").matcher(ran.output());
    assertThat(m.matches()).as(ran.output()).isTrue();
    assertThat(m.group(1)).isEqualTo("EAGAIN");
    // The cap counts every task of the job: the reaper (bwrap) and the bomb itself are two of them.
    assertThat(Integer.parseInt(m.group(2))).isBetween(TierUnderTest.PIDS - 4, TierUnderTest.PIDS - 1);
    assertThat(ran.result()).as("the limit %s enforced", tier.id())
        .isEqualTo(new ExecResult(Outcome.EXITED, 0).withLimitsHit(Set.of(LimitHit.PIDS)));
    await().atMost(Duration.ofSeconds(5)).until(() -> HostProcesses.withArgument(marker).isEmpty());
    assertThat(job.probe("procs").output().lines()).as("the job's next step runs, with none of the bomb's processes")
        .containsExactlyInAnyOrderElementsOf(tier.stepProcesses());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(TierUnderTest.class)
  void aMemoryBombIsOomKilledAndTheResultSaysMemory(TierUnderTest tier) throws IOException {
    JobUnderAttack job = jobs.open(tier);

    Ran ran = job.sh("$P memory-bomb; echo bomb-exit=$?");

    // Killed by the OOM killer (SIGKILL), never a polite malloc failure, and only near the cap.
    assertThat(ran.output()).contains("allocated 64 MiB\n").contains("bomb-exit=137\n").doesNotContain("malloc:");
    long allocated = Pattern.compile("allocated (\\d+) MiB").matcher(ran.output()).results()
        .mapToLong(r -> Long.parseLong(r.group(1))).max().orElseThrow();
    assertThat(allocated << 20).isLessThan(TierUnderTest.MEMORY);
    assertThat(ran.result().limitsHit()).as("the limit %s enforced, in %s", tier.id(), ran.result())
        .containsExactly(LimitHit.MEMORY);
    assertThat(job.probe("procs").output().lines()).as("the job's next step runs")
        .containsExactlyInAnyOrderElementsOf(tier.stepProcesses());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(TierUnderTest.class)
  void fillingTheWorkspaceEndsWithEnospcAtTheCap(TierUnderTest tier) throws IOException {
    JobUnderAttack job = jobs.open(tier);

    Ran ran = job.probe("fill", "/workspace/fill");

    Matcher m = Pattern.compile("write: (\\S+) after (\\d+) bytes\n").matcher(ran.output());
    assertThat(m.matches()).as(ran.output()).isTrue();
    assertThat(m.group(1)).isEqualTo("ENOSPC");
    long written = Long.parseLong(m.group(2));
    assertThat(written).isLessThanOrEqualTo(TierUnderTest.DISK).isGreaterThan(TierUnderTest.DISK * 8 / 10);
    assertThat(Files.size(job.workspace().resolve("fill"))).isEqualTo(written);
    assertThat(ran.result()).isEqualTo(new ExecResult(Outcome.EXITED, 0));
  }
}
