package dev.moat.sandbox.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.sandbox.Availability;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The join prefix in front of the bwrap tier's command line as root ({@code setpriv} dropping to
 * the job's uid, then {@code bwrap}): the join happens while still root, every sandbox process runs
 * inside the job's cgroups as the unprivileged uid, and that uid can't move itself out.
 */
class CgroupJoinBeforeSetprivTest {
  static final int JOB_UID = 65500;
  static final List<String> SETPRIV = List.of("/usr/bin/setpriv", "--reuid=" + JOB_UID, "--regid=" + JOB_UID,
      "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--");
  static final AtomicInteger SEQ = new AtomicInteger();
  static Cgroups cgroups;

  final List<JobCgroup> jobs = new ArrayList<>();

  @BeforeAll
  static void rootWithCgroupsAndBwrap() throws IOException {
    Availability availability = Cgroups.probe();
    boolean root = ProcessHandle.current().info().user().map("root"::equals).orElse(false);
    String reason = !availability.available() ? availability.reason()
        : !root ? "not root: setpriv can't switch users"
        : !Files.isExecutable(Path.of("/usr/bin/bwrap")) ? "no /usr/bin/bwrap" : null;
    if (reason != null) System.out.println("skipping join-before-setpriv tests: " + reason);
    assumeTrue(reason == null, reason);
    cgroups = Cgroups.detect();
  }

  @AfterEach
  void tearDown() throws IOException {
    for (JobCgroup job : jobs) job.close();
  }

  JobCgroup job() throws IOException {
    JobCgroup job = cgroups.create("s" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet(), new Limits(64L << 20, 32, 500));
    jobs.add(job);
    return job;
  }

  static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  @Test
  void everySandboxProcessRunsInTheJobCgroupsAsTheUnprivilegedUid() throws Exception {
    JobCgroup job = job();
    List<String> bwrap = List.of("/usr/bin/bwrap", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev",
        "--unshare-all", "--die-with-parent", "--", "/usr/bin/sleep", "600");
    Process p = new ProcessBuilder(job.join().wrap(concat(SETPRIV, bwrap)))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
    try {
      // bwrap outside, bwrap as pid 1 inside, sleep
      await().atMost(Duration.ofSeconds(10)).until(() -> job.pids().size() >= 3);

      for (long pid : job.pids()) assertThat(effectiveUid(pid)).as("uid of pid " + pid).isEqualTo(JOB_UID);
      assertThat(job.pids()).contains(p.pid());
      job.kill();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void theUnprivilegedJobCannotMoveItselfOutOfItsCgroups() throws Exception {
    JobCgroup job = job();
    StringBuilder script = new StringBuilder();
    for (Path dir : job.directories()) {
      script.append("echo $$ > ").append(dir.getParent().resolve("cgroup.procs")).append(" 2>/dev/null && echo ESCAPED; ");
    }
    script.append("cat /proc/self/cgroup");

    Process p = new ProcessBuilder(job.join().wrap(concat(SETPRIV, List.of("/bin/sh", "-c", script.toString()))))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(out).doesNotContain("ESCAPED");
    List<String> controllers = cgroups.version().equals("v1") ? CgroupV1.CONTROLLERS : List.of("");
    for (String controller : controllers) {
      assertThat(CgroupEnforcementTest.pathOf(out.lines().toList(), controller)).as(controller).endsWith("/" + job.name());
    }
  }

  static int effectiveUid(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("Uid:")) return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
    }
    throw new AssertionError("no Uid line for " + pid);
  }
}
