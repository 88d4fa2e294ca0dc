package dev.moat.sandbox.image;

import dev.moat.common.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Root filesystem images for the oci tier, in a directory: artifacts are zstd-compressed tarballs
 * named by their sha256 ({@code <root>/sha256/<hex>.tar.zst}, content-addressed), and
 * {@code <root>/index.json} maps names to digests and the {@link ImageRecipe} each was built from.
 *
 * <p>Building runs {@code mmdebstrap --variant=minbase} (13–25 s here), so an equal recipe reuses
 * the existing artifact instead. The digest pins the bytes, not the recipe: a rebuild of a changed
 * mirror gives a new digest. {@link #unpack} re-hashes the artifact first and refuses one that no
 * longer matches its name ({@link ImageIntegrityException}).
 *
 * <p>Thread-safe, and safe across processes sharing one store: index updates hold both a lock and
 * an exclusive file lock on {@code <root>/lock}; artifacts appear by atomic rename only.
 */
public final class ImageStore {
  private static final Duration BUILD_LIMIT = Duration.ofMinutes(15);
  private static final Duration UNPACK_LIMIT = Duration.ofMinutes(5);

  private final Path root;
  private final String mirror;
  private final ReentrantLock lock = new ReentrantLock();

  /** A store in {@code root} (created if missing) that builds from the mirror apt uses here. */
  public ImageStore(Path root) throws IOException {
    this(root, AptMirror.detect());
  }

  public ImageStore(Path root, String mirror) throws IOException {
    this.root = root.toAbsolutePath();
    this.mirror = Objects.requireNonNull(mirror, "mirror");
    Files.createDirectories(this.root.resolve("sha256"));
    Files.createDirectories(this.root.resolve("tmp"));
  }

  public String mirror() {
    return mirror;
  }

  /**
   * Builds image {@code name} from {@code suite} minbase plus {@code packages}, or returns the
   * existing entry if an image with an equal recipe is already stored (under any name).
   */
  public ImageEntry build(String name, String suite, List<String> packages) throws IOException {
    requireName(name);
    ImageRecipe recipe = new ImageRecipe(suite, packages, mirror);
    Optional<ImageEntry> cached = withIndexLock(() -> reuse(name, recipe));
    if (cached.isPresent()) return cached.get();
    // Built outside the lock: a concurrent equal build wastes time but stays correct, since
    // artifacts are content-addressed and the index update is atomic.
    Built built = buildArtifact(recipe);
    ImageEntry entry = new ImageEntry(name, built.digest(), recipe, built.size());
    withIndexLock(() -> {
      if (!Files.isRegularFile(artifact(entry.digest()))) {
        throw new IOException("image " + name + " was removed while it was being built; build it again");
      }
      List<ImageEntry> images = new ArrayList<>(readIndex().images());
      images.removeIf(e -> e.name().equals(name));
      images.add(entry);
      writeIndex(new ImageIndex(images));
      return entry;
    });
    return entry;
  }

  /**
   * Removes the name {@code name}, and its artifact when no other name is pinned to the same
   * digest (trees already unpacked from it, e.g. by the oci tier's cache, stay).
   *
   * @return whether the name existed
   */
  public boolean remove(String name) throws IOException {
    requireName(name);
    return withIndexLock(() -> {
      List<ImageEntry> images = new ArrayList<>(readIndex().images());
      Optional<ImageEntry> gone = images.stream().filter(e -> e.name().equals(name)).findFirst();
      if (gone.isEmpty()) return false;
      images.remove(gone.get());
      writeIndex(new ImageIndex(images));
      String digest = gone.get().digest();
      if (images.stream().noneMatch(e -> e.digest().equals(digest))) Files.deleteIfExists(artifact(digest));
      return true;
    });
  }

  /** Every named image, in name order. */
  public List<ImageEntry> list() throws IOException {
    return withIndexLock(() -> readIndex().images().stream()
        .sorted((a, b) -> a.name().compareTo(b.name())).toList());
  }

  /** The digest that {@code name} is pinned to. */
  public String resolve(String name) throws IOException {
    return find(name).orElseThrow(() -> new IOException("no image named " + name + " in " + root)).digest();
  }

  public Optional<ImageEntry> find(String name) throws IOException {
    return withIndexLock(() -> readIndex().images().stream().filter(e -> e.name().equals(name)).findFirst());
  }

  /** Where the artifact for {@code digest} lives (it may not exist). */
  public Path artifact(String digest) {
    return root.resolve("sha256").resolve(requireDigest(digest) + ".tar.zst");
  }

  /**
   * Verifies the artifact against {@code digest}, then extracts it into {@code dir} (which must
   * exist and should be empty), keeping numeric owners and modes.
   *
   * @throws ImageIntegrityException if the artifact's sha256 differs from {@code digest}
   */
  public void unpack(String digest, Path dir) throws IOException {
    Path artifact = artifact(digest);
    if (!Files.isRegularFile(artifact)) throw new IOException("no image artifact " + digest + " in " + root);
    String actual = sha256(artifact);
    if (!actual.equals(digest)) {
      throw new ImageIntegrityException("image " + digest + " is corrupt: its content hashes to " + actual);
    }
    Path log = Files.createTempFile(root.resolve("tmp"), "unpack-", ".log");
    try {
      HostCommand.run(List.of("tar", "--zstd", "--numeric-owner", "--same-permissions", "-xf",
          artifact.toString(), "-C", dir.toString()), log, UNPACK_LIMIT);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private Optional<ImageEntry> reuse(String name, ImageRecipe recipe) throws IOException {
    List<ImageEntry> images = readIndex().images();
    Optional<ImageEntry> same = images.stream()
        .filter(e -> e.recipe().equals(recipe) && Files.isRegularFile(artifact(e.digest())))
        .findFirst();
    if (same.isEmpty()) return Optional.empty();
    ImageEntry entry = new ImageEntry(name, same.get().digest(), recipe, same.get().sizeBytes());
    if (!images.contains(entry)) {
      List<ImageEntry> updated = new ArrayList<>(images);
      updated.removeIf(e -> e.name().equals(name));
      updated.add(entry);
      writeIndex(new ImageIndex(updated));
    }
    return Optional.of(entry);
  }

  private record Built(String digest, long size) {}

  private Built buildArtifact(ImageRecipe recipe) throws IOException {
    Path work = Files.createTempDirectory(root.resolve("tmp"), "build-");
    try {
      Path tar = work.resolve("rootfs.tar");
      Path zst = work.resolve("rootfs.tar.zst");
      List<String> argv = new ArrayList<>(List.of("mmdebstrap", "--quiet", "--variant=minbase", "--mode=root"));
      if (!recipe.packages().isEmpty()) argv.add("--include=" + String.join(",", recipe.packages()));
      argv.addAll(List.of(recipe.suite(), tar.toString(), recipe.mirror()));
      HostCommand.run(argv, work.resolve("mmdebstrap.log"), BUILD_LIMIT);
      HostCommand.run(List.of("zstd", "-q", "-T0", "-3", tar.toString(), "-o", zst.toString()),
          work.resolve("zstd.log"), BUILD_LIMIT);
      String digest = sha256(zst);
      long size = Files.size(zst);
      Files.move(zst, artifact(digest), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return new Built(digest, size);
    } finally {
      TreeDeletion.delete(work);
    }
  }

  static String sha256(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JDK", e);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) != -1; ) md.update(buffer, 0, n);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private interface IndexAction<T> {
    T run() throws IOException;
  }

  private <T> T withIndexLock(IndexAction<T> action) throws IOException {
    lock.lock();
    try (FileChannel ch = FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
         FileLock _ = ch.lock()) {
      return action.run();
    } finally {
      lock.unlock();
    }
  }

  private ImageIndex readIndex() throws IOException {
    Path index = root.resolve("index.json");
    if (!Files.exists(index)) return new ImageIndex(List.of());
    return Json.read(Files.readAllBytes(index), ImageIndex.class);
  }

  private void writeIndex(ImageIndex index) throws IOException {
    Path tmp = Files.createTempFile(root.resolve("tmp"), "index-", ".json");
    Files.writeString(tmp, Json.write(index));
    Files.move(tmp, root.resolve("index.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Returns {@code name} if it is a valid image name (lowercase, digits, {@code . _ -}; up to 64), else throws IllegalArgumentException. */
  public static String requireName(String name) {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[a-z0-9][a-z0-9._-]{0,63}")) throw new IllegalArgumentException("bad image name: " + name);
    return name;
  }

  static String requireDigest(String digest) {
    Objects.requireNonNull(digest, "digest");
    if (!digest.matches("[0-9a-f]{64}")) throw new IllegalArgumentException("bad sha256 digest: " + digest);
    return digest;
  }
}
