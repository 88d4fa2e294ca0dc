import dev.moat.sandbox.BwrapSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Bench plumbing shared by the bench programs (compiled from this directory by the source
 * launcher, JEP 458): a private temporary directory that the sandbox uid can traverse (0711, under
 * {@code java.io.tmpdir}) that holds everything a bench creates and is deleted with it on
 * {@link #close()}, plus argument and machine-description helpers. Host resources that live
 * outside the directory (an nft table, network namespaces) are registered with {@link #closing}
 * and closed first, so a Ctrl-C removes them too. Thread-safe.
 */
final class Scratch implements AutoCloseable {
  private final Path root;
  private final List<AutoCloseable> resources = new ArrayList<>();

  private Scratch(Path root) {
    this.root = root;
  }

  /** Creates the root; it is also deleted when the JVM is stopped early (Ctrl-C, System.exit). */
  static Scratch create(String prefix) throws IOException {
    Path root = Files.createTempDirectory(prefix);
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
    Scratch scratch = new Scratch(root);
    Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(scratch::closeQuietly));
    return scratch;
  }

  Path root() {
    return root;
  }

  /** A new directory under the root, 0711. */
  Path dir(String name) throws IOException {
    Path dir = Files.createDirectory(root.resolve(name));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    return dir;
  }

  /**
   * The bwrap tier's defaults (job uid 65500 when root), but with the sandboxes' scratch
   * directories under this root instead of {@code java.io.tmpdir}, so that nothing is left behind.
   */
  BwrapSettings bwrapSettings() throws IOException {
    BwrapSettings defaults = BwrapSettings.defaults();
    return defaults.withScratchRoot(dir("sandboxes"));
  }

  /** Closes {@code resource} in {@link #close()} (also on Ctrl-C), newest first, before the directory goes. */
  synchronized <T extends AutoCloseable> T closing(T resource) {
    resources.add(resource);
    return resource;
  }

  @Override
  public synchronized void close() {
    RuntimeException failure = null;
    for (AutoCloseable resource : resources.reversed()) {
      try {
        resource.close();
      } catch (Exception e) {
        failure = add(failure, new IllegalStateException("cannot close bench resource " + resource + ": " + e, e));
      }
    }
    resources.clear();
    if (Files.exists(root)) {
      try (Stream<Path> paths = Files.walk(root)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      } catch (IOException e) {
        failure = add(failure, new UncheckedIOException("cannot delete bench scratch " + root, e));
      }
    }
    if (failure != null) throw failure;
  }

  private static RuntimeException add(RuntimeException failure, RuntimeException e) {
    if (failure == null) return e;
    failure.addSuppressed(e);
    return failure;
  }

  private void closeQuietly() {
    try {
      close();
    } catch (RuntimeException e) {
      System.err.println("bench: " + e.getMessage());
    }
  }

  /** The positional int argument at {@code index}, or {@code fallback} when absent. */
  static int intArg(String[] args, int index, int fallback) {
    return args.length > index ? Integer.parseInt(args[index]) : fallback;
  }

  /** One line about when and where this ran. */
  static String machine() {
    String kernel = System.getProperty("os.name") + " " + System.getProperty("os.version");
    return ZonedDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE) + ", " + Runtime.getRuntime().availableProcessors()
        + " cores, " + kernel + ", Java " + Runtime.version();
  }
}
