package dev.moat.common.wire;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /api/v1/ctx/outputs}: one output of the job whose credential sends it
 * ({@code moat-ctx output set KEY VALUE}). Jobs that {@code needs:} it get it as the variable
 * {@code MOAT_NEEDS_<JOB>_<KEY>} (see {@link #variable}).
 *
 * @param key letters, digits and '_', not starting with a digit, at most 64
 * @param value at most {@link #MAX_VALUE} characters
 */
public record CtxOutput(String key, String value) {
  public static final int MAX_VALUE = 64 * 1024;
  private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

  public CtxOutput {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    if (!KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("output key '" + key + "' must be letters, digits and '_', not starting with a digit, at most 64");
    }
    if (value.length() > MAX_VALUE) throw new IllegalArgumentException("output " + key + " is longer than " + MAX_VALUE + " characters");
  }

  /** The variable a dependent job sees output {@code key} of job {@code job} in. */
  public static String variable(String job, String key) {
    return "MOAT_NEEDS_" + job.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9_]", "_") + "_" + key.toUpperCase(java.util.Locale.ROOT);
  }
}
