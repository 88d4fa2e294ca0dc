package dev.moat.engine.trust;

import java.util.Locale;

/**
 * How far Moat trusts the author of a change (DESIGN §5, invariant I5). Resolved per event from the
 * forge's immutable numeric user id, never a login name; when it can't be resolved (forge API down,
 * no link), the author is {@link #UNKNOWN}.
 * <ul>
 *   <li>{@link #TRUSTED}: may change workflows; a pull request runs its head's definitions;
 *   <li>{@link #KNOWN}: runs the base branch's definitions; a change to {@code .moat/} is held;
 *   <li>{@link #UNKNOWN}: everything is held; after approval, the base branch's definitions run.
 * </ul>
 */
public enum TrustTier {
  TRUSTED,
  KNOWN,
  UNKNOWN;

  /** The lowercase name used on the wire, in the database and in policy files. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The tier named {@code s} ({@code trusted}, {@code known}, {@code unknown}). */
  public static TrustTier ofWire(String s) {
    for (TrustTier t : values()) {
      if (t.wire().equals(s)) return t;
    }
    throw new IllegalArgumentException("unknown trust tier '" + s + "': use trusted, known or unknown");
  }
}
