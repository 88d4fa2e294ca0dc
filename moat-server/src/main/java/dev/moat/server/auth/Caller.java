package dev.moat.server.auth;

import java.util.Objects;

/** The Moat user behind an authenticated API request, with the role they have now. */
public record Caller(long userId, String name, Role role) {
  public Caller {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
  }

  /** How the audit log names this user. */
  public String actor() {
    return "user:" + name;
  }
}
