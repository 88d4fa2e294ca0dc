package dev.moat.sandbox.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AptMirrorTest {
  @Test
  void theFirstMainArchiveOfADeb822SourcesFileIsUsed(@TempDir Path apt) throws IOException {
    Files.createDirectories(apt.resolve("sources.list.d"));
    Files.writeString(apt.resolve("sources.list.d/debian.sources"), """
        Types: deb
        URIs: http://mirror.example/debian-security
        Suites: bookworm-security

        Types: deb
        # a comment
        URIs: http://mirror.example/debian
        Suites: bookworm
        """);
    assertThat(AptMirror.detect(apt)).isEqualTo("http://mirror.example/debian");
  }

  @Test
  void oneLineEntriesWithOptionsAreRead() {
    assertThat(AptMirror.oneLineUris(List.of("# deb http://x/debian", "deb-src http://src/debian bookworm main",
        "deb [arch=amd64 signed-by=/k.gpg] http://local.mirror/debian/ bookworm main")))
        .containsExactly("http://local.mirror/debian/");
  }

  @Test
  void withoutAnyDebianSourceTheDefaultMirrorIsUsed(@TempDir Path apt) {
    assertThat(AptMirror.detect(apt)).isEqualTo(AptMirror.FALLBACK);
  }

  @Test
  void thisHostsMirrorIsDebian() {
    assertThat(AptMirror.detect()).matches("https?://.*/debian/?");
  }
}
