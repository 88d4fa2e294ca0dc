package dev.moat.sandbox.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class ImageStoreTest {
  @Test
  void aBuiltImageIsNamedByTheSha256OfItsArtifact() throws IOException {
    ImageEntry image = TestImages.bookworm();
    Path artifact = TestImages.store().artifact(image.digest());
    assertThat(artifact).isRegularFile().hasFileName(image.digest() + ".tar.zst");
    assertThat(ImageStore.sha256(artifact)).isEqualTo(image.digest());
    assertThat(image.sizeBytes()).isEqualTo(Files.size(artifact));
  }

  @Test
  void buildingTheSameRecipeAgainReusesTheArtifact() throws IOException {
    ImageEntry first = TestImages.bookworm();
    ImageEntry again = TestImages.store().build("bookworm-again", "bookworm", List.of());
    assertThat(again.digest()).isEqualTo(first.digest());
    assertThat(TestImages.store().resolve("bookworm-again")).isEqualTo(first.digest());
  }

  @Test
  void listShowsNamesWithTheirDigests() throws IOException {
    ImageEntry image = TestImages.bookworm();
    assertThat(TestImages.store().list()).contains(image);
    assertThat(TestImages.store().resolve(TestImages.NAME)).isEqualTo(image.digest());
  }

  @Test
  void removingANameKeepsAnArtifactThatAnotherNameStillPins() throws IOException {
    ImageEntry image = TestImages.bookworm();
    TestImages.store().build("moat-rm-test", "bookworm", List.of());

    assertThat(TestImages.store().remove("moat-rm-test")).isTrue();
    assertThat(TestImages.store().remove("moat-rm-test")).as("already gone").isFalse();
    assertThat(TestImages.store().find("moat-rm-test")).isEmpty();
    assertThat(TestImages.store().artifact(image.digest())).isRegularFile();
  }

  @Test
  void removingTheLastNameOfAnArtifactDeletesIt(@TempDir Path dir) throws IOException {
    ImageEntry image = TestImages.bookworm();
    // A private copy of the shared store: its index, and its artifact hard-linked (no 50 MB copy).
    ImageStore store = new ImageStore(dir.resolve("store"), TestImages.store().mirror());
    Files.copy(TestImages.STORE.resolve("index.json"), dir.resolve("store/index.json"));
    Path artifact = store.artifact(image.digest());
    Files.createLink(artifact, TestImages.store().artifact(image.digest()));
    List<String> names = store.list().stream().filter(e -> e.digest().equals(image.digest())).map(ImageEntry::name).toList();
    assertThat(names).contains(TestImages.NAME);

    for (String name : names.subList(1, names.size())) store.remove(name);
    assertThat(artifact).as("still pinned by " + names.getFirst()).isRegularFile();
    store.remove(names.getFirst());

    assertThat(artifact).doesNotExist();
    assertThat(TestImages.store().artifact(image.digest())).as("the shared store's link").isRegularFile();
  }

  @Test
  void anUnpackedImageIsDebianBookworm() throws IOException {
    ImageEntry image = TestImages.bookworm();
    // Not a @TempDir: JUnit warns about each of the rootfs's absolute symlinks when deleting it.
    Path dir = Files.createTempDirectory("moat-unpack-test-");
    try {
      TestImages.store().unpack(image.digest(), dir);
      assertThat(Files.readString(dir.resolve("etc/os-release"))).contains("VERSION_CODENAME=bookworm");
      assertThat(dir.resolve("usr/bin/git")).doesNotExist();
    } finally {
      TreeDeletion.delete(dir);
    }
  }

  @Test
  void anArtifactWhoseContentChangedIsRefused(@TempDir Path dir) throws IOException {
    ImageStore store = new ImageStore(dir.resolve("store"), "http://deb.debian.org/debian");
    String digest = "0".repeat(64);
    Files.writeString(store.artifact(digest), "not what was stored");
    Path target = Files.createDirectory(dir.resolve("rootfs"));

    assertThatThrownBy(() -> store.unpack(digest, target))
        .isInstanceOf(ImageIntegrityException.class).hasMessageContaining("corrupt");
    assertThat(target).isEmptyDirectory();
  }

  @Test
  void anUnknownNameDoesNotResolve(@TempDir Path dir) throws IOException {
    ImageStore store = new ImageStore(dir, "http://deb.debian.org/debian");
    assertThatThrownBy(() -> store.resolve("nope")).isInstanceOf(IOException.class).hasMessageContaining("no image named nope");
  }
}
