package dev.moat.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceGrantTest {
  static final int JOB = BwrapSettings.DEFAULT_JOB_ID;

  @TempDir Path tempDir;

  @Test
  void asRootTheWholeTreeIsChownedWithoutFollowingLinks() throws IOException {
    assumeTrue(HostUser.current().isRoot(), "chown needs root");
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    Path hostFile = Files.writeString(tempDir.resolve("host-file"), "agent's");
    Path ws = Files.createDirectories(tempDir.resolve("ws/src/main"));
    ws = ws.getParent().getParent();
    Files.writeString(ws.resolve("src/main/App.java"), "class App {}");
    Path link = Files.createSymbolicLink(ws.resolve("escape"), hostFile);

    WorkspaceGrant.give(ws, JOB, JOB, true);

    assertThat(uid(ws)).isEqualTo(JOB);
    assertThat(uid(ws.resolve("src/main/App.java"))).isEqualTo(JOB);
    assertThat(Files.getAttribute(ws.resolve("src/main/App.java"), "unix:gid")).isEqualTo(JOB);
    assertThat(uid(link)).isEqualTo(JOB);
    assertThat(Files.getAttribute(hostFile, "unix:uid")).isEqualTo(0);
    assertThat(Files.getPosixFilePermissions(ws)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
  }

  @Test
  void aWorkspaceBelowADirectoryTheJobCannotSearchIsRefused() throws IOException {
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx------"));
    Path ws = Files.createDirectory(tempDir.resolve("ws"));

    assertThatThrownBy(() -> WorkspaceGrant.give(ws, JOB, JOB, false))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot traverse " + tempDir)
        .hasMessageContaining("mode 700");
  }

  @Test
  void aLinkInsteadOfADirectoryIsRefused() throws IOException {
    Path target = Files.createDirectory(tempDir.resolve("target"));
    Path link = Files.createSymbolicLink(tempDir.resolve("ws"), target);

    assertThatThrownBy(() -> WorkspaceGrant.give(link, JOB, JOB, false)).hasMessageContaining("not a directory");
  }

  private static Object uid(Path path) throws IOException {
    return Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }
}
