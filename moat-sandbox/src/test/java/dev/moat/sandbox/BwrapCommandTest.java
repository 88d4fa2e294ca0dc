package dev.moat.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.sandbox.BwrapCommand.SandboxUser;
import dev.moat.sandbox.HostLayout.Bind;
import dev.moat.sandbox.HostLayout.Symlink;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BwrapCommandTest {
  static final HostLayout HOST = new HostLayout(
      List.of(new Bind(Path.of("/usr"), "/usr")),
      List.of(new Symlink("usr/bin", "/bin"), new Symlink("usr/lib", "/lib")),
      List.of(new Bind(Path.of("/etc/ssl"), "/etc/ssl")));

  static BwrapCommand command(SandboxUser user, Map<String, String> env, List<String> argv) {
    return new BwrapCommand(user, HOST, Path.of("/var/moat/ws/j1"), Path.of("/tmp/moat-bwrap-j1-1"), "moat-j1", env, argv, false,
        Path.of("/tmp/moat-bwrap-j1-1/seccomp.bpf"), null, null);
  }

  @Test
  void asRootSetprivDropsToTheJobUserBeforeBwrapBuildsTheSandbox() {
    BwrapCommand command = command(new SandboxUser(65500, 65500, true),
        Map.of("PATH", "/usr/bin", "CI", "true"), List.of("/bin/sh", "-c", "make test"));

    assertThat(command.argv()).containsExactly(
        "/usr/bin/setpriv", "--reuid=65500", "--regid=65500", "--clear-groups", "--inh-caps=-all",
        "--bounding-set=-all", "--",
        "/bin/sh", "-c", "exec \"$@\" 3<\"$0\" 4<&0 </dev/null", "/tmp/moat-bwrap-j1-1/seccomp.bpf", "/usr/bin/bwrap",
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/lib", "/lib",
        "--ro-bind", "/etc/ssl", "/etc/ssl",
        "--ro-bind", "/tmp/moat-bwrap-j1-1/passwd", "/etc/passwd",
        "--ro-bind", "/tmp/moat-bwrap-j1-1/group", "/etc/group",
        "--ro-bind", "/tmp/moat-bwrap-j1-1/hosts", "/etc/hosts",
        "--proc", "/proc", "--dev", "/dev",
        "--size", "67108864", "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
        "--size", "268435456", "--tmpfs", "/tmp",
        "--size", "16777216", "--tmpfs", "/run",
        "--bind", "/var/moat/ws/j1", "/workspace", "--chdir", "/workspace",
        "--unshare-all", "--hostname", "moat-j1", "--die-with-parent", "--new-session",
        "--cap-drop", "ALL", "--seccomp", "3", "--clearenv", "--args", "4",
        "--remount-ro", "/", "--",
        "/bin/sh", "-c", "make test");
    assertThat(command.argv()).doesNotContain("PATH", "/usr/bin:/bin", "CI=true");
  }

  @Test
  void theCtxSocketAndHelperAreBoundUnderRunAfterItsTmpfs() {
    BwrapCommand command = new BwrapCommand(new SandboxUser(1001, 1001, false), HOST, Path.of("/ws"), Path.of("/etc-dir"),
        "h", Map.of(), List.of("true"), false, Path.of("/s.bpf"), Path.of("/scratch/ctx/ctx.sock"),
        Path.of("/data/moat-ctx-0123456789ab"));
    List<String> argv = command.argv();

    int run = argv.indexOf("/run");
    assertThat(argv.subList(run + 1, run + 7)).containsExactly("--bind", "/scratch/ctx/ctx.sock", "/run/moat/ctx.sock",
        "--ro-bind", "/data/moat-ctx-0123456789ab", "/run/moat/bin/moat-ctx");
  }

  @Test
  void asAnOrdinaryUserBwrapStartsDirectly() {
    List<String> argv = command(new SandboxUser(1001, 1001, false), Map.of(), List.of("true")).argv();

    assertThat(argv.subList(0, 5)).containsExactly("/bin/sh", "-c", BwrapCommand.OPEN_SECCOMP_FD,
        "/tmp/moat-bwrap-j1-1/seccomp.bpf", "/usr/bin/bwrap");
    assertThat(argv).doesNotContain("/usr/bin/setpriv").endsWith("--remount-ro", "/", "--", "true");
  }

  @Test
  void optionLookingArgumentsStayArgumentsOfTheCommand() {
    List<String> argv = command(new SandboxUser(1001, 1001, false), Map.of(), List.of("--bind", "/", "/host")).argv();

    assertThat(argv).endsWith("--remount-ro", "/", "--", "--bind", "/", "/host");
  }

  @Test
  void variablesAreSetInNameOrderAfterTheEnvironmentIsCleared() {
    List<String> argv = command(new SandboxUser(1001, 1001, false), Map.of("B", "2", "A", "1"), List.of("env")).argv();

    assertThat(argv).doesNotContain("--setenv", "A", "B", "1", "2");
    assertThat(new String(command(new SandboxUser(1001, 1001, false), Map.of("B", "2", "A", "1"), List.of("env")).envArgs(),
        java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("--setenv\0A\0" + "1\0--setenv\0B\0" + "2\0");
  }

  @Test
  void neitherTheCommandNorItsEnvironmentCanBreakTheCommandLine() {
    SandboxUser user = new SandboxUser(1001, 1001, false);

    assertThatThrownBy(() -> command(user, Map.of(), List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> command(user, Map.of("A=B", "x"), List.of("env"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> command(user, Map.of("", "x"), List.of("env"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> command(user, Map.of("A", "x\0y"), List.of("env"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> command(user, Map.of(), List.of("a\0b"))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theSandboxNeverRunsAsRoot() {
    assertThatThrownBy(() -> new SandboxUser(0, 0, true)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SandboxUser(65500, 0, true)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hostnamesAreCheckedAndPathsMustBeAbsolute() {
    SandboxUser user = new SandboxUser(1001, 1001, false);

    assertThatThrownBy(() -> new BwrapCommand(user, HOST, Path.of("/ws"), Path.of("/etc-dir"), "bad host", Map.of(), List.of("true"), false, Path.of("/s.bpf"), null, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BwrapCommand(user, HOST, Path.of("ws"), Path.of("/etc-dir"), "h", Map.of(), List.of("true"), false, Path.of("/s.bpf"), null, null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
