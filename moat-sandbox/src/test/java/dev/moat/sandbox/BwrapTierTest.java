package dev.moat.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BwrapTierTest {
  @TempDir Path tempDir;

  @Test
  void theProbeSaysWhyBwrapWorksOrNot() {
    Availability availability = BwrapTier.probe(BwrapSettings.defaults());

    System.out.println("bwrap probe: " + availability);
    assertThat(availability.reason()).isNotBlank();
  }

  @Test
  void theProbeFailsClearlyWhenTheScratchDirectoryIsMissing() {
    BwrapSettings settings = BwrapSettings.defaults().withScratchRoot(tempDir.resolve("missing"));

    Availability availability = BwrapTier.probe(settings);

    assertThat(availability.available()).isFalse();
    assertThat(availability.reason()).contains("missing");
  }

  @Test
  void theTierIsNamedBwrap() {
    assertThat(new BwrapTier(BwrapSettings.defaults()).name()).isEqualTo("bwrap");
  }

  @Test
  void jobsRunAsTheDefaultJobUidWhenTheAgentIsRoot() {
    BwrapSettings defaults = BwrapSettings.defaults();

    HostUser me = HostUser.current();
    int expected = me.isRoot() ? BwrapSettings.DEFAULT_JOB_ID : me.uid();
    assertThat(defaults.uid()).isEqualTo(expected);
  }

  @Test
  void settingsNeverNameRoot() {
    assertThatThrownBy(() -> new BwrapSettings(0, 65500, tempDir, Optional.empty())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BwrapSettings(65500, 0, tempDir, Optional.empty())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BwrapSettings(65500, 65500, Path.of("relative"), Optional.empty())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void creatingOverAWorkspaceTheJobCannotReachIsRefusedWithTheReason() throws IOException {
    BwrapFixture.assumeBwrapWorks();
    Path ws = Files.createDirectory(tempDir.resolve("ws")); // @TempDir is 0700

    assertThatThrownBy(() -> new BwrapTier(BwrapSettings.defaults()).create(new SandboxSpec("j1", ws)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot traverse");
  }

  @Test
  void closingDeletesTheSandboxsScratchDirectory() throws IOException {
    BwrapFixture.assumeBwrapWorks();
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
    Path scratchRoot = Files.createDirectory(tempDir.resolve("scratch"));
    BwrapSettings defaults = BwrapSettings.defaults();
    BwrapTier tier = new BwrapTier(defaults.withScratchRoot(scratchRoot));
    Sandbox sandbox = tier.create(new SandboxSpec("j1", Files.createDirectory(tempDir.resolve("ws"))));
    assertThat(list(scratchRoot)).hasSize(1);

    sandbox.close();

    assertThat(list(scratchRoot)).isEmpty();
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.toList();
    }
  }
}
