package dev.moat.common.wire;

import java.util.regex.Pattern;

/**
 * Image name syntax shared by workflows ({@code image:}), pools and the image store: lower-case
 * letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters. A name
 * is resolved to a sha256 digest by whoever runs the image; the name alone never pins bytes.
 */
public final class ImageNames {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  private ImageNames() {}

  public static boolean valid(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** {@code name}, or an {@link IllegalArgumentException} saying what a name may be. */
  public static String check(String name) {
    if (!valid(name)) {
      throw new IllegalArgumentException("bad image name '" + name
          + "': use lower-case letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit");
    }
    return name;
  }
}
