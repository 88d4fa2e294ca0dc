package dev.moat.common.wire;

import java.util.regex.Pattern;

/**
 * Environment name syntax shared by workflows ({@code environment:}), the server's environments and
 * secret scopes ({@code env:NAME}): lower-case letters, digits, '_' and '-', starting with a letter
 * or digit, at most 64 characters.
 */
public final class EnvironmentNames {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

  private EnvironmentNames() {}

  public static boolean valid(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** {@code name}, or an {@link IllegalArgumentException} saying what a name may be. */
  public static String check(String name) {
    if (!valid(name)) {
      throw new IllegalArgumentException("bad environment name '" + name
          + "': use lower-case letters, digits, '_' and '-', at most 64, starting with a letter or digit");
    }
    return name;
  }
}
