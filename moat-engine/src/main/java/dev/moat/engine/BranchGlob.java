package dev.moat.engine;

/**
 * Branch-name globs: {@code **} matches any run of characters, {@code *} any run without {@code /},
 * {@code ?} one character other than {@code /}; everything else matches itself (so {@code .} and
 * {@code +} are literal).
 *
 * <p>Matching is a dynamic programme over pattern and name, O(pattern × name), instead of a
 * translated regex: a pattern such as {@code *a*a*a*a*b} can't make it backtrack. Stateless.
 */
final class BranchGlob {
  private BranchGlob() {}

  /** Whether {@code name} (e.g. {@code release/1.0}) matches {@code pattern} in full. */
  static boolean matches(String pattern, String name) {
    int[] p = pattern.codePoints().toArray();
    int[] s = name.codePoints().toArray();
    // reach[j]: the pattern read so far can match exactly the first j characters of the name.
    boolean[] reach = new boolean[s.length + 1];
    reach[0] = true;
    int i = 0;
    while (i < p.length) {
      boolean doubleStar = p[i] == '*' && i + 1 < p.length && p[i + 1] == '*';
      reach = step(reach, s, doubleStar ? -2 : p[i]);
      i += doubleStar ? 2 : 1;
    }
    return reach[s.length];
  }

  /** Advances {@code reach} over one pattern token; {@code -2} stands for {@code **}. */
  private static boolean[] step(boolean[] reach, int[] s, int token) {
    boolean[] next = new boolean[reach.length];
    boolean run = false;
    for (int j = 0; j < reach.length; j++) {
      int previous = j > 0 ? s[j - 1] : -1;
      next[j] = switch (token) {
        case -2 -> run = reach[j] || (run && j > 0);
        case '*' -> run = reach[j] || (run && previous != '/');
        case '?' -> j > 0 && reach[j - 1] && previous != '/';
        default -> j > 0 && reach[j - 1] && previous == token;
      };
    }
    return next;
  }
}
