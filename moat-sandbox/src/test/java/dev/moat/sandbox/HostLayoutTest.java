package dev.moat.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.sandbox.HostLayout.Bind;
import dev.moat.sandbox.HostLayout.Symlink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostLayoutTest {
  @TempDir Path root;

  @Test
  void aMergedUsrHostGetsItsTopLevelLinksRecreatedAndOnlyExistingEtcEntries() throws IOException {
    Files.createDirectories(root.resolve("usr/bin"));
    Files.createSymbolicLink(root.resolve("bin"), Path.of("usr/bin"));
    Files.createSymbolicLink(root.resolve("lib64"), Path.of("usr/lib64"));
    Files.createSymbolicLink(root.resolve("libx32"), Path.of("/opt/elsewhere"));
    Files.createDirectories(root.resolve("etc/ssl"));
    Files.createDirectories(root.resolve("etc/java-17-openjdk"));
    Files.writeString(root.resolve("etc/ld.so.cache"), "");
    Files.writeString(root.resolve("etc/shadow"), "root:secret");
    Files.writeString(root.resolve("etc/passwd"), "root:x:0:0");

    HostLayout layout = HostLayout.scan(root);

    assertThat(layout.systemBinds()).containsExactly(new Bind(root.resolve("usr"), "/usr"));
    assertThat(layout.symlinks()).containsExactly(new Symlink("usr/bin", "/bin"), new Symlink("usr/lib64", "/lib64"));
    assertThat(layout.etcBinds()).containsExactly(
        new Bind(root.resolve("etc/ssl"), "/etc/ssl"),
        new Bind(root.resolve("etc/ld.so.cache"), "/etc/ld.so.cache"),
        new Bind(root.resolve("etc/java-17-openjdk"), "/etc/java-17-openjdk"));
  }

  @Test
  void aHostWithoutMergedUsrGetsItsTopLevelDirectoriesBoundReadOnly() throws IOException {
    Files.createDirectories(root.resolve("usr"));
    Files.createDirectories(root.resolve("bin"));
    Files.createDirectories(root.resolve("lib"));

    HostLayout layout = HostLayout.scan(root);

    assertThat(layout.systemBinds()).containsExactly(
        new Bind(root.resolve("usr"), "/usr"), new Bind(root.resolve("bin"), "/bin"), new Bind(root.resolve("lib"), "/lib"));
    assertThat(layout.symlinks()).isEmpty();
  }

  @Test
  void thisHostShowsNoSecretEtcEntries() {
    HostLayout layout = HostLayout.scan();

    assertThat(layout.etcBinds()).extracting(Bind::destination)
        .doesNotContain("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh");
    assertThat(layout.symlinks()).extracting(Symlink::path).contains("/bin");
  }
}
