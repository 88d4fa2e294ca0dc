package dev.moat.server.auth;

import java.util.Locale;

/**
 * What a Moat user may do. Each role includes the ones below it: {@link #ADMIN} manages repositories,
 * users and tokens; {@link #MAINTAINER} approves and rejects held runs and manages secrets;
 * {@link #DEVELOPER} triggers and cancels runs; {@link #VIEWER} reads.
 */
public enum Role {
  VIEWER,
  DEVELOPER,
  MAINTAINER,
  ADMIN;

  /** Whether this role includes everything {@code other} may do. */
  public boolean atLeast(Role other) {
    return compareTo(other) >= 0;
  }

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Role ofWire(String s) {
    for (Role r : values()) {
      if (r.wire().equals(s)) return r;
    }
    throw new IllegalArgumentException("unknown role '" + s + "': use admin, maintainer, developer or viewer");
  }
}
