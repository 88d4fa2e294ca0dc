package dev.moat.sandbox.escape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.ExecResult.Outcome;
import dev.moat.sandbox.HostProcesses;
import dev.moat.sandbox.escape.JobUnderAttack.Ran;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Invariant I1 attacked from inside both tiers: a step tries to leave a process running after it
 * (a {@code setsid} child and a double-forked daemon with its stdio closed) and a file in
 * {@code /tmp}. Neither survives the step: no process of it exists on the host once exec returned,
 * and neither the job's next step nor the next job sees the file.
 */
class PersistenceEscapeTest {
  @RegisterExtension final AttackedJobs jobs = AttackedJobs.perTest();

  @ParameterizedTest(name = "{0}")
  @EnumSource(TierUnderTest.class)
  void aBackgroundProcessDoesNotOutliveItsStep(TierUnderTest tier) throws IOException {
    JobUnderAttack job = jobs.open(tier);
    String setsid = HostProcesses.uniqueMarker();
    String daemon = HostProcesses.uniqueMarker();

    // The setsid child execs sleep in its own time: wait (up to 5 s) until both sleeps run.
    Ran ran = job.sh("setsid sleep " + setsid + " </dev/null >/dev/null 2>&1 &\n$P daemon " + daemon + "\n"
        + "i=0; while [ $i -lt 50 ] && [ $($P procs | grep -c ' sleep$') -lt 2 ]; do sleep 0.1; i=$((i+1)); done\n"
        + "$P procs");

    assertThat(ran.output()).containsPattern("daemon: started [0-9]+\n");
    assertThat(ran.output().lines().filter(l -> l.matches("proc [0-9]+ sleep"))).as("both run as the step ends")
        .hasSize(2);
    assertThat(ran.result()).isEqualTo(new ExecResult(Outcome.EXITED, 0));
    // The step's pid namespace died with its first process; the kernel reaps the rest at once.
    await().atMost(Duration.ofSeconds(5)).until(() -> HostProcesses.withArgument(setsid).isEmpty()
        && HostProcesses.withArgument(daemon).isEmpty());
    assertThat(job.probe("procs").output().lines()).as("the next step sees neither")
        .containsExactlyInAnyOrderElementsOf(tier.stepProcesses());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(TierUnderTest.class)
  void aFileLeftInTmpIsGoneForTheNextStepAndTheNextJob(TierUnderTest tier) throws IOException {
    String file = "/tmp/moat-escape-" + HostProcesses.uniqueMarker();
    JobUnderAttack job = jobs.open(tier);

    Ran write = job.sh("echo left-behind > " + file + " && $P read " + file);
    Ran nextStep = job.probe("read", file);
    Ran nextJob = jobs.open(tier).probe("read", file);

    assertThat(write.output()).as("the step could write it").isEqualTo("read " + file + ": OK\n");
    assertThat(nextStep.output()).isEqualTo("read " + file + ": ENOENT\n");
    assertThat(nextJob.output()).isEqualTo("read " + file + ": ENOENT\n");
    assertThat(Path.of(file)).as("nor did it land in the host's /tmp").doesNotExist();
    assertThat(Files.list(job.workspace()).map(p -> p.getFileName().toString())).containsExactly("escape-probe");
  }
}
