package dev.moat.common.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.common.tar.TarExtractor.TarException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TarExtractor} reads real archives and refuses hostile ones without writing outside its root. */
class TarExtractorTest {
  @TempDir Path tmp;
  Path root;

  @BeforeEach
  void workspace() throws IOException {
    root = Files.createDirectory(tmp.resolve("ws"));
  }

  void extract(byte[] archive) throws IOException {
    new TarExtractor(root, 1 << 20, 100).extract(new ByteArrayInputStream(archive));
  }

  @Test
  void archiveFromGitArchiveExtracts() throws Exception {
    Path repo = Files.createDirectory(tmp.resolve("repo"));
    git(repo, "init", "-q");
    Files.writeString(repo.resolve("README.md"), "# hello\n");
    Files.createDirectories(repo.resolve("bin"));
    Files.writeString(repo.resolve("bin/build.sh"), "#!/bin/sh\necho built\n");
    Files.setPosixFilePermissions(repo.resolve("bin/build.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(repo.resolve("docs/deep/nested"));
    Files.writeString(repo.resolve("docs/deep/nested/guide.txt"), "guide\n");
    Files.createSymbolicLink(repo.resolve("guide"), Path.of("docs/deep/nested/guide.txt"));
    String longName = "l".repeat(70) + "/" + "n".repeat(90) + ".txt";
    Files.createDirectories(repo.resolve(longName).getParent());
    Files.writeString(repo.resolve(longName), "long\n");
    String longerThanAnyUstarField = "p".repeat(120) + ".txt";
    Files.writeString(repo.resolve(longerThanAnyUstarField), "pax\n");
    Files.createDirectories(repo.resolve("naïve"));
    Files.writeString(repo.resolve("naïve/日本語.txt"), "ja\n");
    Files.writeString(repo.resolve("empty"), "");
    git(repo, "add", "-A");
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init");
    byte[] archive = git(repo, "archive", "--format=tar", "HEAD");

    assertThat((char) archive[156]).as("git archive starts with a pax global header").isEqualTo('g');
    extract(archive);

    assertThat(root.resolve("README.md")).hasContent("# hello");
    assertThat(root.resolve("bin/build.sh")).hasContent("#!/bin/sh\necho built");
    assertThat(mode(root.resolve("bin/build.sh"))).isEqualTo("rwxr-xr-x");
    assertThat(mode(root.resolve("README.md"))).isEqualTo("rw-r--r--");
    assertThat(root.resolve("docs/deep/nested/guide.txt")).hasContent("guide");
    assertThat(root.resolve("guide")).isSymbolicLink();
    assertThat(Files.readSymbolicLink(root.resolve("guide"))).isEqualTo(Path.of("docs/deep/nested/guide.txt"));
    assertThat(root.resolve(longName)).hasContent("long");
    assertThat(root.resolve(longerThanAnyUstarField)).hasContent("pax");
    assertThat(root.resolve("naïve/日本語.txt")).hasContent("ja");
    assertThat(root.resolve("empty")).isEmptyFile();
    try (var all = Files.walk(root)) {
      assertThat(all.filter(p -> !p.equals(root)).count()).isEqualTo(14);
    }
  }

  @Test
  void absolutePathIsRefused() {
    Path outside = tmp.resolve("planted");

    assertThatThrownBy(() -> extract(new RawTar().file(outside.toString(), "x").bytes()))
        .isInstanceOf(TarException.class).hasMessage("bad entry name: " + outside);
    assertThat(outside).doesNotExist();
  }

  @Test
  void dotDotPathIsRefused() {
    assertThatThrownBy(() -> extract(new RawTar().file("../x", "x").bytes()))
        .isInstanceOf(TarException.class).hasMessage("entry escapes the workspace: ../x");
    assertThat(tmp.resolve("x")).doesNotExist();
  }

  @Test
  void dotDotHiddenInsideAPathIsRefused() {
    assertThatThrownBy(() -> extract(new RawTar().file("a/../../x", "x").bytes()))
        .isInstanceOf(TarException.class).hasMessage("entry escapes the workspace: a/../../x");
    assertThat(tmp.resolve("x")).doesNotExist();
  }

  @Test
  void dotDotInAPaxPathIsRefused() {
    byte[] archive = new RawTar().pax(TarWriter.paxRecord("path", "../x")).file("innocent", "x").bytes();

    assertThatThrownBy(() -> extract(archive))
        .isInstanceOf(TarException.class).hasMessage("entry escapes the workspace: ../x");
    assertThat(tmp.resolve("x")).doesNotExist();
  }

  @Test
  void fileThroughASymlinkToEtcIsRefused() throws IOException {
    byte[] passwd = Files.readAllBytes(Path.of("/etc/passwd"));

    assertThatThrownBy(() -> extract(new RawTar().symlink("link", "/etc").file("link/passwd", "evil::0:0::/:/bin/sh\n").bytes()))
        .isInstanceOf(TarException.class).hasMessage("entry goes through a symlink: link/passwd");
    assertThat(Path.of("/etc/passwd")).hasBinaryContent(passwd);
  }

  @Test
  void fileThroughASymlinkWritesNothingOutside() throws IOException {
    Path outside = Files.createDirectory(tmp.resolve("outside"));

    assertThatThrownBy(() -> extract(new RawTar().symlink("link", outside.toString()).file("link/sub/planted", "x").bytes()))
        .isInstanceOf(TarException.class).hasMessage("entry goes through a symlink: link/sub/planted");
    assertThat(outside).isEmptyDirectory();
  }

  @Test
  void directoryThroughASymlinkIsRefused() throws IOException {
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    byte[] archive = new RawTar().symlink("link", outside.toString()).entry('5', "link/made/", "", new byte[0]).bytes();

    assertThatThrownBy(() -> extract(archive))
        .isInstanceOf(TarException.class).hasMessage("entry goes through a symlink: link/made/");
    assertThat(outside).isEmptyDirectory();
  }

  @Test
  void fileThroughASymlinkToDotDotIsRefused() {
    assertThatThrownBy(() -> extract(new RawTar().symlink("up", "..").file("up/x", "x").bytes()))
        .isInstanceOf(TarException.class).hasMessage("entry goes through a symlink: up/x");
    assertThat(tmp.resolve("x")).doesNotExist();
  }

  @Test
  void fileOverAnEarlierSymlinkDoesNotWriteItsTarget() throws IOException {
    Path outside = Files.createDirectory(tmp.resolve("outside"));

    assertThatThrownBy(() -> extract(new RawTar().symlink("f", outside.resolve("planted").toString()).file("f", "x").bytes()))
        .isInstanceOf(IOException.class);
    assertThat(outside).isEmptyDirectory();
  }

  @Test
  void hardLinkIsRefused() {
    byte[] archive = new RawTar().file("a", "x").entry('1', "b", "a", new byte[0]).bytes();

    assertThatThrownBy(() -> extract(archive))
        .isInstanceOf(TarException.class).hasMessage("unsupported tar entry type '1' for b");
    assertThat(root.resolve("b")).doesNotExist();
  }

  @Test
  void deviceNodesAndFifosAreRefused() {
    for (char type : new char[] {'3', '4', '6'}) {
      assertThatThrownBy(() -> extract(new RawTar().entry(type, "dev" + type, "", new byte[0]).bytes()))
          .isInstanceOf(TarException.class).hasMessage("unsupported tar entry type '" + type + "' for dev" + type);
    }
  }

  @Test
  void corruptedChecksumIsRefused() {
    byte[] header = RawTar.header('0', "a", "", 1);
    header[0] = 'b';

    assertThatThrownBy(() -> extract(new RawTar().block(header).block(new byte[512]).bytes()))
        .isInstanceOf(TarException.class).hasMessage("bad tar header checksum");
    assertThat(root).isEmptyDirectory();
  }

  @Test
  void archiveCutInsideAFileIsRefused() {
    byte[] whole = new RawTar().file("a", "x".repeat(1000)).bytes();

    assertThatThrownBy(() -> extract(Arrays.copyOf(whole, 512 + 700)))
        .isInstanceOf(TarException.class).hasMessage("truncated tar");
  }

  @Test
  void archiveCutInsideAHeaderIsRefused() {
    byte[] whole = new RawTar().file("a", "x").file("b", "y").bytes();

    assertThatThrownBy(() -> extract(Arrays.copyOf(whole, 1024 + 100)))
        .isInstanceOf(TarException.class).hasMessage("truncated tar");
  }

  @Test
  void archiveWithoutItsEndMarkerIsRefused() {
    byte[] cutAtABlockBoundary = new RawTar().file("a", "x").file("b", "y").unterminated();

    assertThatThrownBy(() -> extract(cutAtABlockBoundary))
        .isInstanceOf(TarException.class).hasMessage("truncated tar");
  }

  @Test
  void moreEntriesThanTheLimitAreRefused() {
    var tar = new RawTar();
    for (int i = 0; i <= 100; i++) tar.file("f" + i, "x");

    assertThatThrownBy(() -> extract(tar.bytes()))
        .isInstanceOf(TarException.class).hasMessage("archive has more than 100 entries");
  }

  @Test
  void moreBytesThanTheLimitAreRefusedBeforeTheyAreWritten() {
    var extractor = new TarExtractor(root, 10, 100);
    byte[] archive = new RawTar().file("a", "123456").file("b", "123456").bytes();

    assertThatThrownBy(() -> extractor.extract(new ByteArrayInputStream(archive)))
        .isInstanceOf(TarException.class).hasMessage("archive is larger than 10 bytes");
    assertThat(root.resolve("b")).doesNotExist();
  }

  @Test
  void negativeSizeIsRefused() {
    byte[] header = RawTar.header('0', "a", "", 0);
    System.arraycopy("-0000000001\0".getBytes(StandardCharsets.US_ASCII), 0, header, 124, 12);

    assertThatThrownBy(() -> extract(new RawTar().block(RawTar.checksummed(header)).bytes()))
        .isInstanceOf(TarException.class).hasMessage("bad number in tar header: -0000000001");
  }

  @Test
  void malformedPaxRecordsAreRefused() {
    for (String records : new String[] {"abc path=x\n", "1 x", "99 path=x\n", "9 path=ab", "x"}) {
      assertThatThrownBy(() -> extract(new RawTar().pax(records).file("a", "x").bytes()))
          .as(records).isInstanceOf(TarException.class).hasMessage("malformed pax header");
    }
  }

  private static String mode(Path file) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }

  private static byte[] git(Path dir, String... args) throws Exception {
    var command = new java.util.ArrayList<String>();
    command.add("git");
    command.addAll(Arrays.asList(args));
    var builder = new ProcessBuilder(command).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put("GIT_CONFIG_GLOBAL", "/dev/null");
    builder.environment().put("GIT_CONFIG_NOSYSTEM", "1");
    Process git = builder.start();
    byte[] out = git.getInputStream().readAllBytes();
    assertThat(git.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(git.exitValue()).as("git %s", String.join(" ", args)).isZero();
    return out;
  }
}
