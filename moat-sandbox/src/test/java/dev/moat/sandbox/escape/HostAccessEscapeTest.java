package dev.moat.sandbox.escape;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.ExecResult.Outcome;
import dev.moat.sandbox.HostProcesses;
import dev.moat.sandbox.escape.JobUnderAttack.Ran;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Invariant I2 attacked from inside both tiers: every syscall that could reach the host, another
 * namespace or the kernel, and every host file a job must not read or write, tried by the
 * {@link EscapeProbe} as the job's uid. {@link #attacks()} is the whole list with the errno each
 * tier must answer. The seccomp filter answers EPERM for the syscalls it denies, before any
 * namespace or capability check; the rest is answered by namespaces, capabilities and mounts.
 *
 * <p>One job per tier serves every attack (each attack is a step of its own: fresh namespaces or a
 * fresh container); a host process that the test starts is the target of ptrace and kill.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostAccessEscapeTest {
  @RegisterExtension final AttackedJobs jobs = AttackedJobs.perClass();
  final Map<TierUnderTest, JobUnderAttack> job = new EnumMap<>(TierUnderTest.class);
  final String marker = HostProcesses.uniqueMarker();
  Process hostProcess;
  Path agentData;

  /** One attack: what it is, the probe's arguments, and the errno name each tier must answer. */
  record Attack(String what, List<String> probe, String bwrap, String oci) {
    static Attack both(String what, String errno, String... probe) {
      return new Attack(what, List.of(probe), errno, errno);
    }

    /** What the probe prints when {@code tier} refuses the attack as it must. */
    String refusal(TierUnderTest tier) {
      String errno = switch (tier) {
        case BWRAP -> bwrap;
        case OCI -> oci;
      };
      // The probe names the path for file attacks.
      String command = List.of("read", "create").contains(probe.getFirst())
          ? String.join(" ", probe) : probe.getFirst();
      return command + ": " + errno + "\n";
    }

    @Override
    public String toString() {
      return what;
    }
  }

  @BeforeAll
  void startTargets() throws IOException {
    hostProcess = new ProcessBuilder("/bin/sleep", marker).start();
    // Where an agent keeps its state: root's, mode 0700, outside every workspace.
    agentData = Files.createDirectories(Path.of("/var/lib/moat-escape-agent-" + ProcessHandle.current().pid()),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.writeString(agentData.resolve("credentials"), "agent-secret");
  }

  @AfterAll
  void stopTargets() throws IOException {
    if (hostProcess != null) hostProcess.destroyForcibly();
    if (agentData != null) {
      Files.deleteIfExists(agentData.resolve("credentials"));
      Files.deleteIfExists(agentData);
    }
  }

  List<Attack> attacks() {
    String hostPid = Long.toString(hostProcess.pid());
    return List.of(
        // The syscalls that seccomp denies (EPERM) whatever namespaces and capabilities would say.
        Attack.both("mount a tmpfs", "EPERM", "mount"),
        Attack.both("unmount the workspace", "EPERM", "umount"),
        Attack.both("create a user namespace with unshare", "EPERM", "unshare-user"),
        Attack.both("create a user namespace with clone", "EPERM", "clone-user"),
        Attack.both("create a mount namespace", "EPERM", "unshare-mount"),
        Attack.both("join a namespace with setns", "EPERM", "setns"),
        Attack.both("ptrace a host process", "EPERM", "ptrace", hostPid),
        Attack.both("load a kernel module", "EPERM", "init-module"),
        Attack.both("load a kernel module from a file", "EPERM", "finit-module"),
        Attack.both("join a new session keyring", "EPERM", "keyctl"),
        Attack.both("add a key to the process keyring", "EPERM", "add-key"),
        Attack.both("create a bpf map", "EPERM", "bpf"),
        Attack.both("open a perf event on itself", "EPERM", "perf-event-open"),
        Attack.both("open a user-mode userfaultfd", "EPERM", "userfaultfd"),
        // No capabilities: raw and packet sockets need CAP_NET_RAW.
        Attack.both("open a raw ICMP socket", "EPERM", "raw-socket"),
        Attack.both("open a packet socket", "EPERM", "packet-socket"),
        // The pid namespace: host processes don't exist for the job.
        Attack.both("signal a host process", "ESRCH", "kill", hostPid),
        // Files: bwrap binds only public parts of the host; oci has the image's own, root-owned ones.
        new Attack("read /etc/shadow", List.of("read", "/etc/shadow"), "ENOENT", "EACCES"),
        new Attack("read /root", List.of("read", "/root"), "ENOENT", "EACCES"),
        Attack.both("read the agent's data dir", "ENOENT", "read", agentData.resolve("credentials").toString()),
        Attack.both("write /usr", "EROFS", "create", "/usr/x"),
        Attack.both("write /etc", "EROFS", "create", "/etc/x"));
  }

  Stream<Arguments> everyAttackOnEveryTier() {
    List<Arguments> all = new ArrayList<>();
    for (TierUnderTest tier : TierUnderTest.values()) {
      for (Attack attack : attacks()) all.add(Arguments.of(tier, attack));
    }
    return all.stream();
  }

  JobUnderAttack job(TierUnderTest tier) throws IOException {
    JobUnderAttack j = job.get(tier);
    if (j == null) {
      j = jobs.open(tier);
      job.put(tier, j);
    }
    return j;
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("everyAttackOnEveryTier")
  void theAttackFailsWithItsSpecificError(TierUnderTest tier, Attack attack) throws IOException {
    Ran ran = job(tier).probe(attack.probe().toArray(String[]::new));

    assertThat(ran.output()).isEqualTo(attack.refusal(tier));
    assertThat(ran.result()).isEqualTo(new ExecResult(Outcome.EXITED, 0));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(TierUnderTest.class)
  void procShowsOnlyTheStepsOwnProcesses(TierUnderTest tier) throws IOException {
    Ran ran = job(tier).probe("procs");

    assertThat(ran.output().lines()).containsExactlyInAnyOrderElementsOf(tier.stepProcesses());
    assertThat(HostProcesses.withArgument(marker)).as("the host process is alive").containsExactly(hostProcess.pid());
  }
}
