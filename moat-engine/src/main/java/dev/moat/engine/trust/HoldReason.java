package dev.moat.engine.trust;

import java.util.Locale;

/** Why a run waits for a person's approval before any of its jobs is queued (invariant I5). */
public enum HoldReason {
  /** The pull request comes from a fork: its author is unknown whatever their permission elsewhere. */
  FORK_PULL_REQUEST,
  /** The author could not be resolved to a known or trusted person (or the forge API failed). */
  UNKNOWN_CONTRIBUTOR,
  /** A known, not trusted, author changed something under {@code .moat/}. */
  WORKFLOW_MODIFICATION,
  /** A push to a plain git repository whose head commit is not signed by an allowed key. */
  UNVERIFIED_PUSH,
  /** A job of the run opts into an environment that requires a reviewer's approval before it starts. */
  ENVIRONMENT_REVIEW;

  /** The lowercase name used on the wire and in the database, e.g. {@code workflow_modification}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static HoldReason ofWire(String s) {
    for (HoldReason r : values()) {
      if (r.wire().equals(s)) return r;
    }
    throw new IllegalArgumentException("unknown hold reason: " + s);
  }
}
