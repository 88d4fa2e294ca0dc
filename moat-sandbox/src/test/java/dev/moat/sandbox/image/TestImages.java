package dev.moat.sandbox.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code debian-bookworm} minbase image, built at most once per test JVM into a store under
 * {@code /var/tmp/moat-test-images}, which outlives test runs: later runs reuse the artifact (the
 * store's own cache), so only the first run on a machine pays for mmdebstrap.
 */
public final class TestImages {
  public static final Path STORE = Path.of("/var/tmp/moat-test-images");
  public static final String NAME = "debian-bookworm";
  /** Where oci tests unpack images, one tree per digest, kept across runs. */
  public static final Path ROOTFS = Path.of("/var/tmp/moat-test-rootfs");
  private static ImageEntry bookworm;
  private static ImageStore store;

  private TestImages() {}

  public static synchronized ImageStore store() {
    try {
      if (store == null) store = new ImageStore(STORE);
      return store;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Builds (or finds) the image; thread-safe, builds once. */
  public static synchronized ImageEntry bookworm() {
    try {
      if (bookworm == null) bookworm = store().build(NAME, "bookworm", List.of());
      return bookworm;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
