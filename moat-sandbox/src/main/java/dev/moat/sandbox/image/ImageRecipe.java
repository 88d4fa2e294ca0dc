package dev.moat.sandbox.image;

import java.util.List;
import java.util.Objects;

/**
 * What an image is built from: a Debian suite, the minbase variant plus extra packages, and the
 * mirror they come from. Two equal recipes build equivalent images, so the store reuses the
 * artifact of an equal recipe instead of building again.
 *
 * @param suite a Debian suite, e.g. {@code bookworm}
 * @param packages extra packages for {@code mmdebstrap --include}, sorted and without duplicates
 *     (the compact constructor normalises them so that order does not change the recipe)
 * @param mirror the Debian mirror URL that mmdebstrap downloads from
 */
public record ImageRecipe(String suite, List<String> packages, String mirror) {
  public ImageRecipe {
    Objects.requireNonNull(suite, "suite");
    if (!suite.matches("[a-z][a-z0-9-]{1,30}")) throw new IllegalArgumentException("bad suite: " + suite);
    packages = packages.stream().distinct().sorted().toList();
    for (String p : packages) {
      // Debian package names; anything else could smuggle options into mmdebstrap's argv.
      if (!p.matches("[a-z0-9][a-z0-9+.-]{0,100}")) throw new IllegalArgumentException("bad package name: " + p);
    }
    Objects.requireNonNull(mirror, "mirror");
    if (!mirror.matches("(https?|file)://[^\\s]+")) throw new IllegalArgumentException("bad mirror: " + mirror);
  }
}
