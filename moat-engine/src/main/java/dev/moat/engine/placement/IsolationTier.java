package dev.moat.engine.placement;

import java.util.Locale;

/**
 * How strongly a sandbox tier isolates a job from its host, weakest first: {@link #BWRAP}
 * (namespaces over the host kernel and {@code /usr}) &lt; {@link #OCI} (its own image and a
 * runtime) &lt; {@link #MICROVM} (its own kernel). The order is the declaration order and is what
 * placement compares: a job that needs at least {@code oci} may run on {@code oci} or {@code
 * microvm}, never on {@code bwrap}.
 */
public enum IsolationTier {
  BWRAP,
  OCI,
  MICROVM;

  /** Whether this tier isolates at least as strongly as {@code other}. */
  public boolean atLeast(IsolationTier other) {
    return compareTo(other) >= 0;
  }

  /** The lowercase name used on the wire, in the database and in policy files. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The tier named {@code s} ({@code bwrap}, {@code oci}, {@code microvm}). */
  public static IsolationTier ofWire(String s) {
    for (IsolationTier t : values()) {
      if (t.wire().equals(s)) return t;
    }
    throw new IllegalArgumentException("unknown sandbox tier '" + s + "': use bwrap, oci or microvm");
  }
}
