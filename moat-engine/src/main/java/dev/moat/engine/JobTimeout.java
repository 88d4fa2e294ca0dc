package dev.moat.engine;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A job's {@code timeout:} value: {@code 90s}, {@code 15m}, {@code 1h}, {@code 1h30m} (hours, then
 * minutes, then seconds, each optional), or a whole number of minutes. Bounded to (0, 24h].
 * Stateless.
 */
final class JobTimeout {
  static final Duration DEFAULT = Duration.ofMinutes(60);
  static final Duration MAX = Duration.ofHours(24);

  private static final Pattern MINUTES = Pattern.compile("-?\\d+");
  private static final Pattern UNITS = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");
  /** More digits than this can't be within 24h in any unit; capping avoids overflow. */
  private static final int MAX_DIGITS = 9;

  private JobTimeout() {}

  /**
   * Parses and bounds-checks {@code text}.
   *
   * @throws IllegalArgumentException with a message for the person who wrote the file
   */
  static Duration parse(String text) {
    String trimmed = text.strip();
    Duration duration;
    if (MINUTES.matcher(trimmed).matches()) {
      boolean negative = trimmed.startsWith("-");
      long minutes = number(negative ? trimmed.substring(1) : trimmed);
      duration = Duration.ofMinutes(negative ? -minutes : minutes);
    } else {
      Matcher m = UNITS.matcher(trimmed);
      if (trimmed.isEmpty() || !m.matches()) {
        throw new IllegalArgumentException("invalid duration '" + text
            + "'; use e.g. 90s, 15m, 1h30m or a number of minutes");
      }
      duration = Duration.ofHours(number(m.group(1)))
          .plusMinutes(number(m.group(2)))
          .plusSeconds(number(m.group(3)));
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("must be more than 0, found '" + text + "'");
    }
    if (duration.compareTo(MAX) > 0) {
      throw new IllegalArgumentException("'" + text + "' is more than the maximum of 24h");
    }
    return duration;
  }

  private static long number(String digits) {
    if (digits == null) return 0;
    if (digits.length() > MAX_DIGITS) return 1_000_000_000L;
    return Long.parseLong(digits);
  }
}
