package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The real {@code moat image} command line, in its own JVM. The image tests share the sandbox
 * tests' store in {@code /var/tmp/moat-test-images}: the first run on a machine builds the
 * {@code debian-bookworm} image there once (≈30 s), later runs reuse it.
 */
@Tag("slow")
class ImageCommandTest {
  static final Path SHARED_STORE = Path.of("/var/tmp/moat-test-images");
  static final String TEST_IMAGE = "debian-bookworm";

  @TempDir Path dir;

  record Result(int code, String out, String err) {}

  /** Runs {@code moat args...} with {@code $MOAT_DATA_DIR} in the temp dir, plus {@code env}. */
  Result moat(Map<String, String> env, String... args) throws Exception {
    var argv = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    argv.addAll(List.of(args));
    var pb = new ProcessBuilder(argv);
    pb.environment().put("MOAT_DATA_DIR", dir.resolve("data").toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), out, err);
  }

  Result moat(String... args) throws Exception {
    return moat(Map.of(), args);
  }

  /** Builds (or reuses) the shared test image through the CLI and returns its digest. */
  String testImageDigest() throws Exception {
    Result built = moat("image", "build", TEST_IMAGE, "--suite", "bookworm", "--store", SHARED_STORE.toString(), "--json");
    assertThat(built.code()).as(built.err()).isZero();
    return Json.MAPPER.readTree(built.out()).path("digest").asString();
  }

  @Test
  void lsJsonListsTheStoresImagesWithTheirDigestsAndRecipes() throws Exception {
    String digest = testImageDigest();

    Result listed = moat("image", "ls", "--json", "--store", SHARED_STORE.toString());

    assertThat(listed.code()).as(listed.err()).isZero();
    JsonNode image = null;
    for (JsonNode n : Json.MAPPER.readTree(listed.out())) if (n.path("name").asString().equals(TEST_IMAGE)) image = n;
    assertThat(image).as(listed.out()).isNotNull();
    assertThat(image.path("digest").asString()).isEqualTo(digest).hasSize(64);
    assertThat(image.path("suite").asString()).isEqualTo("bookworm");
    assertThat(image.path("packages").isEmpty()).isTrue();
    assertThat(image.path("sizeBytes").asLong()).isEqualTo(Files.size(artifact(digest)));
    assertThat(image.has("reused")).isFalse();
    Result table = moat("image", "ls", "--store", SHARED_STORE.toString());
    assertThat(table.out()).startsWith("NAME").containsPattern(TEST_IMAGE + " +" + digest.substring(0, 12) + " +[0-9]+ MB +bookworm");
  }

  @Test
  void buildingAnExistingRecipeReturnsTheSameDigestWithoutRebuilding() throws Exception {
    String digest = testImageDigest();
    BasicFileAttributes before = Files.readAttributes(artifact(digest), BasicFileAttributes.class);
    String name = "moat-dist-test-" + ProcessHandle.current().pid();
    try {
      // No mmdebstrap on PATH: the command can only succeed by reusing the stored artifact.
      Result again = moat(Map.of("PATH", "/nonexistent"), "image", "build", name, "--store", SHARED_STORE.toString(), "--json");

      assertThat(again.code()).as(again.err()).isZero();
      JsonNode entry = Json.MAPPER.readTree(again.out());
      assertThat(entry.path("digest").asString()).isEqualTo(digest);
      assertThat(entry.path("reused").asBoolean()).isTrue();
      BasicFileAttributes after = Files.readAttributes(artifact(digest), BasicFileAttributes.class);
      assertThat(after.fileKey()).isEqualTo(before.fileKey());
      assertThat(after.lastModifiedTime()).isEqualTo(before.lastModifiedTime());
      assertThat(moat("image", "ls", "--store", SHARED_STORE.toString()).out()).contains(name);
    } finally {
      Result removed = moat("image", "rm", name, "--store", SHARED_STORE.toString());
      assertThat(removed.code()).as(removed.err()).isZero();
    }
    assertThat(moat("image", "ls", "--store", SHARED_STORE.toString()).out()).doesNotContain(name);
    assertThat(artifact(digest)).as("still pinned by " + TEST_IMAGE).isRegularFile();
    assertThat(moat("image", "rm", name, "--store", SHARED_STORE.toString()).code()).as("unknown image").isEqualTo(2);
  }

  @Test
  void badNamesSuitesAndPackagesExit2AndMakeNoStore() throws Exception {
    Result badName = moat("image", "build", "Bad_Name");
    assertThat(badName.code()).isEqualTo(2);
    assertThat(badName.err()).contains("bad image name: Bad_Name");
    assertThat(moat("image", "build", "../escape").code()).isEqualTo(2);
    assertThat(moat("image", "build", "ok", "--suite", "-rf").code()).isEqualTo(2);
    Result badPackage = moat("image", "build", "ok", "--include", "git,--hook-dir=/tmp");
    assertThat(badPackage.code()).isEqualTo(2);
    assertThat(badPackage.err()).contains("bad package name: --hook-dir=/tmp");
    assertThat(moat("image").code()).as("no subcommand").isEqualTo(2);
    assertThat(moat("image", "rm", "Bad_Name").code()).isEqualTo(2);

    assertThat(dir.resolve("data")).doesNotExist();
  }

  @Test
  void aBuildThatNeedsMmdebstrapWhereThereIsNoneExits4() throws Exception {
    Result unavailable = moat(Map.of("PATH", "/nonexistent"), "image", "build", "fresh", "--include", "hello");

    assertThat(unavailable.code()).as(unavailable.err()).isEqualTo(4);
    assertThat(unavailable.err()).contains("building an image needs");
    Result listed = moat("image", "ls", "--json");
    assertThat(listed.code()).isZero();
    assertThat(Json.MAPPER.readTree(listed.out()).isEmpty()).as("the default store is empty").isTrue();
  }

  static Path artifact(String digest) {
    return SHARED_STORE.resolve("sha256").resolve(digest + ".tar.zst");
  }
}
