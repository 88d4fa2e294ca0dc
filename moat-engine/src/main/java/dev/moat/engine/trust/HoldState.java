package dev.moat.engine.trust;

import java.util.Locale;

/**
 * Where a run stands with its hold. A run that was never held is {@link #NONE}; a held run's hold is
 * {@link #PENDING} until exactly one of approve, reject or expire decides it, and a decided hold
 * never changes again.
 */
public enum HoldState {
  NONE,
  PENDING,
  APPROVED,
  REJECTED,
  EXPIRED;

  /** The lowercase name used on the wire and in the database. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static HoldState ofWire(String s) {
    for (HoldState h : values()) {
      if (h.wire().equals(s)) return h;
    }
    throw new IllegalArgumentException("unknown hold state: " + s);
  }
}
