package dev.moat.server.audit;

import java.util.Locale;

/** What an audit event records (invariant I10). The wire name is the lowercase constant. */
public enum AuditAction {
  RUN_HELD,
  RUN_APPROVED,
  RUN_REJECTED,
  RUN_EXPIRED,
  APPROVAL_REFUSED,
  USER_ADDED,
  ROLE_CHANGED,
  TOKEN_MINTED,
  IDENTITY_LINKED,
  SIGNERS_SET;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
