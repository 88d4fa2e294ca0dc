package dev.moat.agent;

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

class WorkspacesTest {
  @TempDir Path tmp;

  @Test
  void rootIsCreatedTraversableButNotListable() throws IOException {
    var workspaces = new Workspaces(tmp.resolve("state/work"));

    assertThat(workspaces.root()).isDirectory();
    assertThat(mode(workspaces.root())).isEqualTo("rwx--x--x");
  }

  @Test
  void anExistingRootIsTightenedTo0711() throws IOException {
    Path root = Files.createDirectory(tmp.resolve("work"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwxrwx"));

    new Workspaces(root);

    assertThat(mode(root)).isEqualTo("rwx--x--x");
  }

  @Test
  void eachJobGetsANewPrivateDirectory() throws IOException {
    var workspaces = new Workspaces(tmp.resolve("work"));

    Path first = workspaces.create(42);
    Path second = workspaces.create(42);

    assertThat(first).isNotEqualTo(second).hasParent(workspaces.root());
    assertThat(first.getFileName().toString()).startsWith("42-");
    assertThat(mode(first)).isEqualTo("rwx------");
    assertThat(mode(second)).isEqualTo("rwx------");
  }

  @Test
  void aRootThatIsASymlinkIsRefused() throws IOException {
    Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
    Path root = Files.createSymbolicLink(tmp.resolve("work"), elsewhere);

    assertThatThrownBy(() -> new Workspaces(root)).isInstanceOf(IOException.class).hasMessage(root + " is not a directory");
    assertThat(mode(elsewhere)).isNotEqualTo("rwx--x--x");
  }

  @Test
  void aRootThatIsAFileIsRefused() throws IOException {
    Path root = Files.writeString(tmp.resolve("work"), "");

    assertThatThrownBy(() -> new Workspaces(root)).isInstanceOf(IOException.class).hasMessage(root + " is not a directory");
  }

  @Test
  void aRootOwnedBySomeoneElseIsRefused() throws IOException {
    assumeTrue(Workspaces.currentUid() == 0, "only root can give a directory away");
    Path root = Files.createDirectory(tmp.resolve("work"));
    Files.setAttribute(root, "unix:uid", 12345);

    assertThatThrownBy(() -> new Workspaces(root))
        .isInstanceOf(IOException.class).hasMessage(root + " is owned by uid 12345, not by the agent");
  }

  @Test
  void deleteRemovesReadOnlyAndUnreadableDirectoriesButNotWhatSymlinksPointAt() throws IOException {
    var workspaces = new Workspaces(tmp.resolve("work"));
    Path outsideFile = Files.writeString(tmp.resolve("precious.txt"), "keep me");
    Path outsideDir = Files.createDirectory(tmp.resolve("precious"));
    Files.writeString(outsideDir.resolve("inside.txt"), "keep me too");
    Path job = workspaces.create(1);
    Path readOnly = Files.createDirectories(job.resolve("src/read-only"));
    Files.writeString(readOnly.resolve("file.txt"), "x");
    Files.setPosixFilePermissions(readOnly.resolve("file.txt"), PosixFilePermissions.fromString("r--------"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-x------"));
    Path unreadable = Files.createDirectories(job.resolve("src/unreadable"));
    Files.writeString(unreadable.resolve("file.txt"), "x");
    Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("---------"));
    Files.createSymbolicLink(job.resolve("to-file"), outsideFile);
    Files.createSymbolicLink(job.resolve("src/to-dir"), outsideDir);

    workspaces.delete(job);

    assertThat(job).doesNotExist();
    assertThat(outsideFile).hasContent("keep me");
    assertThat(outsideDir.resolve("inside.txt")).hasContent("keep me too");
  }

  @Test
  void deleteOfASymlinkRemovesOnlyTheLink() throws IOException {
    var workspaces = new Workspaces(tmp.resolve("work"));
    Path outsideDir = Files.createDirectory(tmp.resolve("precious"));
    Files.writeString(outsideDir.resolve("inside.txt"), "keep me");
    Path link = Files.createSymbolicLink(workspaces.root().resolve("7-link"), outsideDir);

    workspaces.delete(link);

    assertThat(Files.exists(link, LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(outsideDir.resolve("inside.txt")).hasContent("keep me");
  }

  @Test
  void sweepRemovesLeftoversAndKeepsTheRoot() throws IOException {
    var workspaces = new Workspaces(tmp.resolve("work"));
    Path crashed = workspaces.create(1);
    Files.createDirectories(crashed.resolve("a/b"));
    Files.writeString(crashed.resolve("a/b/c.txt"), "left behind");
    workspaces.create(2);
    Files.writeString(workspaces.root().resolve("stray-file"), "x");

    workspaces.sweep();

    assertThat(workspaces.root()).isEmptyDirectory();
    assertThat(mode(workspaces.root())).isEqualTo("rwx--x--x");
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }
}
