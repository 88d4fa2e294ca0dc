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
  SIGNERS_SET,
  /** A forge change's author resolved to a tier and the change decided (GitHub provider). */
  TRUST_RESOLVED,
  /** A forge membership event dropped cached permissions (GitHub provider). */
  PERMISSIONS_INVALIDATED,
  /** A secret was set (created or replaced); never its value. */
  SECRET_SET,
  /** A secret was removed. */
  SECRET_REMOVED,
  /** A job read a secret (job, step when known, scope and name; never the value). */
  SECRET_READ,
  /** A job asked for a secret its environment binding does not grant. */
  SECRET_DENIED,
  /** Every value was re-sealed with a new master key (or a rotation started). */
  KEY_ROTATED,
  ENVIRONMENT_CREATED,
  ENVIRONMENT_REMOVED,
  /** A job's environment refused it at run creation (unknown environment, branch or trust tier). */
  ENVIRONMENT_REFUSED,
  /** A job got an OIDC ID token (job, audience, jti; never the token). */
  ID_TOKEN_ISSUED,
  /** The OIDC issuer's signing keys rotated: next became current. */
  OIDC_KEY_ROTATED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
