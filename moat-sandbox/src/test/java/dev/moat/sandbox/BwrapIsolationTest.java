package dev.moat.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attacks invariant I2 (unprivileged, read-only host, nothing private visible) from inside a job. */
class BwrapIsolationTest {
  @TempDir Path tempDir;
  BwrapFixture fx;

  @BeforeEach
  void setUp() throws IOException {
    fx = new BwrapFixture(tempDir);
  }

  @AfterEach
  void tearDown() {
    if (fx != null) fx.close();
  }

  @Test
  void theJobRunsAsTheSandboxUidAndNeverAsRoot() throws IOException {
    int uid = fx.settings.uid();
    int gid = fx.settings.gid();

    assertThat(fx.sh("id -u; id -G").output()).isEqualTo(uid + "\n" + gid + "\n");
    assertThat(fx.sh("grep -E '^(Uid|Gid):' /proc/self/status").output()).isEqualTo(
        "Uid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n".formatted(uid, uid, uid, uid, gid, gid, gid, gid));
    assertThat(uid).isNotZero();
  }

  @Test
  void theJobHasNoCapabilitiesAndNoNewPrivs() throws IOException {
    assertThat(fx.sh("grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status").output())
        .isEqualTo("""
            CapInh:\t0000000000000000
            CapPrm:\t0000000000000000
            CapEff:\t0000000000000000
            CapBnd:\t0000000000000000
            CapAmb:\t0000000000000000
            NoNewPrivs:\t1
            """);
  }

  @Test
  void shadowAndRootsHomeAreNotThere() throws IOException {
    BwrapFixture.Ran ran = fx.sh("cat /etc/shadow; ls /root; ls /home; echo done");

    assertThat(ran.output()).contains("/etc/shadow: No such file", "/root", "/home", "done")
        .doesNotContain("root:");
  }

  @Test
  void hostSystemPathsAreReadOnly() throws IOException {
    BwrapFixture.Ran ran = fx.sh("touch /usr/x; touch /etc/x; mkdir /x; touch /workspace/ok; echo done");

    assertThat(ran.output().lines().filter(l -> l.endsWith("Read-only file system"))).hasSize(3);
    assertThat(ran.output()).endsWith("done\n");
    assertThat(fx.workspace.resolve("ok")).exists();
  }

  @Test
  void hostOwnedFilesAreNotWritableEvenWhereTheMountWouldAllowIt() throws IOException {
    // Host root's files show up as nobody's; DAC refuses before the read-only mount is consulted.
    BwrapFixture.Ran ran = fx.sh("echo >> /etc/passwd; echo >> /etc/nsswitch.conf; echo done");

    assertThat(ran.output()).isEqualTo("""
        /bin/sh: 1: cannot create /etc/passwd: Permission denied
        /bin/sh: 1: cannot create /etc/nsswitch.conf: Permission denied
        done
        """);
  }

  @Test
  void onlyTheLoopbackInterfaceExists() throws IOException {
    String devices = fx.sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '").output();

    assertThat(devices).isEqualTo("lo\n");
  }

  @Test
  void aPrivateHostDirectoryOfTheAgentIsNotVisible() throws IOException {
    Path agentState = Files.createDirectory(tempDir.resolve("agent-state"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.writeString(agentState.resolve("credentials"), "agent-secret-value");

    BwrapFixture.Ran ran = fx.sh("cat " + agentState.resolve("credentials") + "; ls " + tempDir + "; ls /tmp; echo done");

    assertThat(ran.output()).doesNotContain("agent-secret-value").contains("No such file", "done");
  }

  @Test
  void onlyTheSandboxsOwnProcessesAreVisible() throws IOException {
    BwrapFixture.Ran ran = fx.sh("cat /proc/1/comm; ls /proc | grep -c '^[0-9]'");

    // pid 1 is bwrap's reaper, then the shell and the two pipeline commands
    assertThat(ran.output().lines().toList()).containsExactly("bwrap", "4");
  }

  @Test
  void passwdAndGroupAreGeneratedWithTheMoatUser() throws IOException {
    int uid = fx.settings.uid();

    assertThat(fx.sh("whoami; echo ~; cat /etc/passwd /etc/group").output()).isEqualTo("moat\n/workspace\n"
        + SandboxScratch.passwd(uid, fx.settings.gid()) + SandboxScratch.group(fx.settings.gid()));
  }

  @Test
  void commonToolsWork() throws IOException {
    BwrapFixture.Ran ran = fx.sh("ls /etc/ssl/certs | grep -c pem >/dev/null && python3 -c 'print(6*7)' 2>/dev/null || echo 42");

    assertThat(ran.result().succeeded()).isTrue();
    assertThat(ran.output()).isEqualTo("42\n");
  }
}
