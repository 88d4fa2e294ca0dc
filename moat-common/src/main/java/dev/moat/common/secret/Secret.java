package dev.moat.common.secret;

import java.nio.charset.StandardCharsets;

/**
 * A secret value that never prints: {@link #toString()} is redacted, so a value that reaches a log
 * line, an exception message or a debugger's summary shows {@code Secret[***]}. The bytes come out
 * only through {@link #reveal()}, which callers use at the one place the value is needed. Equality
 * is by content in constant time. Immutable (defensive copies).
 */
public final class Secret {
  private final byte[] value;

  private Secret(byte[] value) {
    this.value = value;
  }

  public static Secret of(byte[] value) {
    return new Secret(value.clone());
  }

  public static Secret of(String value) {
    return new Secret(value.getBytes(StandardCharsets.UTF_8));
  }

  /** A copy of the value's bytes. */
  public byte[] reveal() {
    return value.clone();
  }

  /** The value as UTF-8 text. */
  public String revealText() {
    return new String(value, StandardCharsets.UTF_8);
  }

  public int length() {
    return value.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret s && java.security.MessageDigest.isEqual(value, s.value);
  }

  @Override
  public int hashCode() {
    return value.length; // content-free on purpose: a hash of the bytes would help guess them
  }

  @Override
  public String toString() {
    return "Secret[***]";
  }
}
