package dev.moat.common.tar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Archives written by {@link TarWriter} read back through {@link TarExtractor} and GNU tar. */
class TarWriterTest {
  @TempDir Path tmp;

  interface Entries {
    void write(TarWriter tar) throws IOException;
  }

  static byte[] archive(Entries entries) throws IOException {
    var out = new ByteArrayOutputStream();
    try (var tar = new TarWriter(out)) {
      entries.write(tar);
    }
    return out.toByteArray();
  }

  Path extract(byte[] archive) throws IOException {
    Path root = tmp.resolve("ws");
    Files.createDirectories(root);
    new TarExtractor(root, 1 << 30, 10_000).extract(new ByteArrayInputStream(archive));
    return root;
  }

  @Test
  void binaryFilesRoundTripByteForByte() throws IOException {
    byte[] everyByte = new byte[768];
    for (int i = 0; i < everyByte.length; i++) everyByte[i] = (byte) i;
    byte[] justOverABlock = new byte[513];
    new Random(7).nextBytes(justOverABlock);

    Path root = extract(archive(tar -> {
      tar.file("every-byte.bin", everyByte, false);
      tar.file("block.bin", new byte[512], false);
      tar.file("over.bin", justOverABlock, false);
    }));

    assertThat(root.resolve("every-byte.bin")).hasBinaryContent(everyByte);
    assertThat(root.resolve("block.bin")).hasBinaryContent(new byte[512]);
    assertThat(root.resolve("over.bin")).hasBinaryContent(justOverABlock);
  }

  @Test
  void emptyFileRoundTrips() throws IOException {
    Path root = extract(archive(tar -> tar.file("empty", new byte[0], false)));

    assertThat(root.resolve("empty")).isRegularFile().isEmptyFile();
  }

  @Test
  void executableBitIsKept() throws IOException {
    Path root = extract(archive(tar -> tar.file("build.sh", bytes("#!/bin/sh\n"), true)));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("build.sh"))))
        .isEqualTo("rwxr-xr-x");
  }

  @Test
  void plainFileIsNotExecutable() throws IOException {
    Path root = extract(archive(tar -> tar.file("notes.txt", bytes("hi"), false)));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("notes.txt"))))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void nestedDirectoriesAreCreatedWithOrWithoutTheirOwnEntries() throws IOException {
    Path root = extract(archive(tar -> {
      tar.directory("a");
      tar.directory("a/b/");
      tar.file("a/b/c.txt", bytes("c"), false);
      tar.file("x/y/z.txt", bytes("z"), false);
      tar.directory("empty/dir");
    }));

    assertThat(root.resolve("a/b/c.txt")).hasContent("c");
    assertThat(root.resolve("x/y/z.txt")).hasContent("z");
    assertThat(root.resolve("empty/dir")).isEmptyDirectory();
  }

  @Test
  void symlinksAreCreatedAsSymlinksAndNotFollowed() throws IOException {
    Path root = extract(archive(tar -> {
      tar.file("docs/guide.txt", bytes("guide"), false);
      tar.symlink("guide", "docs/guide.txt");
      tar.symlink("passwd", "/etc/passwd");
      tar.symlink("dangling", "../../nowhere");
    }));

    assertThat(root.resolve("guide")).isSymbolicLink().hasContent("guide");
    assertThat(Files.readSymbolicLink(root.resolve("guide"))).isEqualTo(Path.of("docs/guide.txt"));
    assertThat(Files.readSymbolicLink(root.resolve("passwd"))).isEqualTo(Path.of("/etc/passwd"));
    assertThat(Files.readSymbolicLink(root.resolve("dangling"))).isEqualTo(Path.of("../../nowhere"));
  }

  @Test
  void namesAndLinkTargetsLongerThan100BytesRoundTrip() throws IOException {
    String dir = "d".repeat(99);
    String file = dir + "/" + "f".repeat(150) + ".txt";
    String link = "l".repeat(120);
    String target = "../" + "t".repeat(200);

    Path root = extract(archive(tar -> {
      tar.directory(dir);
      tar.file(file, bytes("long"), false);
      tar.symlink(link, target);
    }));

    assertThat(root.resolve(dir)).isDirectory();
    assertThat(root.resolve(file)).hasContent("long");
    assertThat(Files.readSymbolicLink(root.resolve(link))).isEqualTo(Path.of(target));
  }

  @Test
  void nonAsciiNamesRoundTrip() throws IOException {
    Path root = extract(archive(tar -> {
      tar.file("naïve/日本語.txt", bytes("ja"), false);
      tar.symlink("😀", "naïve/日本語.txt");
    }));

    assertThat(root.resolve("naïve/日本語.txt")).hasContent("ja");
    assertThat(Files.readSymbolicLink(root.resolve("😀"))).isEqualTo(Path.of("naïve/日本語.txt"));
  }

  @Test
  void nonAsciiNamesGoInPaxRecordsWithAnAsciiFallbackInTheUstarHeader() throws IOException {
    byte[] tar = archive(t -> t.file("café.txt", bytes("x"), false));

    assertThat((char) tar[156]).isEqualTo('x');
    assertThat(new String(tar, 512, 512, StandardCharsets.UTF_8)).startsWith("18 path=café.txt\n");
    String fallback = new String(tar, 1024, 100, StandardCharsets.UTF_8).replace("\0", "");
    assertThat(fallback).isEqualTo("caf__.txt");
  }

  @Test
  void gnuTarListsTheArchive() throws Exception {
    Path file = tmp.resolve("a.tar");
    Files.write(file, archive(tar -> {
      tar.directory("src");
      tar.file("src/run.sh", bytes("#!/bin/sh\n"), true);
      tar.file("src/data.bin", new byte[1000], false);
      tar.symlink("latest", "src/run.sh");
      tar.file("n".repeat(130), bytes("x"), false);
      tar.file("naïve.txt", bytes("x"), false);
    }));

    var listing = new ProcessBuilder("tar", "--quoting-style=literal", "-tvf", file.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    listing.environment().put("LC_ALL", "C.UTF-8");
    var tar = listing.start();
    List<String> lines = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertThat(tar.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(tar.exitValue()).isZero();

    assertThat(lines).hasSize(6);
    assertThat(lines.get(0)).startsWith("drwxr-xr-x").endsWith(" src/");
    assertThat(lines.get(1)).startsWith("-rwxr-xr-x").endsWith(" src/run.sh");
    assertThat(lines.get(2)).startsWith("-rw-r--r--").contains(" 1000 ").endsWith(" src/data.bin");
    assertThat(lines.get(3)).startsWith("lrwxrwxrwx").endsWith(" latest -> src/run.sh");
    assertThat(lines.get(4)).endsWith(" " + "n".repeat(130));
    assertThat(lines.get(5)).endsWith(" naïve.txt");
  }

  @Test
  void paxRecordLengthIsRightAtTheNineToTenBoundary() {
    assertThat(TarWriter.paxRecord("path", "a")).isEqualTo("9 path=a\n");
    assertThat(TarWriter.paxRecord("path", "ab")).isEqualTo("11 path=ab\n");
  }

  @Test
  void paxRecordLengthIsRightAtTheNinetyNineToHundredBoundary() {
    assertThat(TarWriter.paxRecord("path", "x".repeat(90))).isEqualTo("99 path=" + "x".repeat(90) + "\n");
    assertThat(TarWriter.paxRecord("path", "x".repeat(91))).isEqualTo("101 path=" + "x".repeat(91) + "\n");
  }

  @Test
  void everyPaxRecordCountsItsOwnBytes() {
    IntStream.rangeClosed(0, 1100).forEach(n -> {
      for (String value : List.of("x".repeat(n), "é".repeat(n))) {
        byte[] record = TarWriter.paxRecord("path", value).getBytes(StandardCharsets.UTF_8);
        String length = new String(record, StandardCharsets.UTF_8).split(" ", 2)[0];
        assertThat(Integer.parseInt(length)).as("record for %d chars", n).isEqualTo(record.length);
      }
    });
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
