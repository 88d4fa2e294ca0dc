package dev.moat.server.trust;

import dev.moat.server.audit.Audit;
import dev.moat.server.audit.AuditAction;
import dev.moat.server.auth.Caller;
import dev.moat.server.auth.Role;
import dev.moat.server.auth.Users;
import dev.moat.server.http.ApiException;
import dev.moat.server.run.HeldRuns;
import dev.moat.server.run.RunRequest;
import dev.moat.server.run.RunService;
import dev.moat.server.run.RunView;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may approve or reject a held run, checked the same way wherever the decision comes from (the
 * API and CLI, a {@code /moat approve} comment on a forge). An approver must resolve to a Moat user
 * whose role includes the hold's approver role (maintainer); unless the server allows it, they must
 * not be the change's author, matched on the forge's numeric id through their linked identities.
 * Every refusal is audited with who and why, and changes nothing else; the decision itself is made
 * and audited by {@link HeldRuns}. Thread-safe.
 */
public final class Approvals {
  /** Who asks to decide a hold. */
  public sealed interface Approver {
    /** How the audit log names them. */
    String actor();

    /** A Moat user, from their API token. */
    record MoatUser(Caller caller) implements Approver {
      public MoatUser {
        Objects.requireNonNull(caller, "caller");
      }

      public String actor() {
        return caller.actor();
      }
    }

    /** A forge identity (e.g. the author of a PR comment), resolved through the users' identity links. */
    record ForgeUser(String forge, long id, String login) implements Approver {
      public ForgeUser {
        Objects.requireNonNull(forge, "forge");
      }

      public String actor() {
        return forge + ":" + id;
      }
    }
  }

  private final HeldRuns held;
  private final RunService runs;
  private final Users users;
  private final Audit audit;
  private final boolean allowSelfApproval;

  /** @param allowSelfApproval whether the change's author may approve it (off by default) */
  public Approvals(HeldRuns held, RunService runs, Users users, Audit audit, boolean allowSelfApproval) {
    this.held = held;
    this.runs = runs;
    this.users = users;
    this.audit = audit;
    this.allowSelfApproval = allowSelfApproval;
  }

  /** Approves a held run: its jobs are queued. 403 if the approver may not, 409 if it isn't pending, 404 if no run. */
  public RunView approve(long runId, Approver who, String comment) {
    return decide(runId, who, comment, true);
  }

  /** Rejects a held run: its jobs are cancelled. Same checks as {@link #approve}. */
  public RunView reject(long runId, Approver who, String comment) {
    return decide(runId, who, comment, false);
  }

  private RunView decide(long runId, Approver who, String comment, boolean approve) {
    String action = approve ? "approve" : "reject";
    RunView run = runs.view(runId);
    Role needed = Optional.ofNullable(run.hold()).map(h -> Role.ofWire(h.approverRole())).orElse(Role.MAINTAINER);
    Optional<Caller> user = switch (who) {
      case Approver.MoatUser u -> Optional.of(u.caller());
      case Approver.ForgeUser f -> users.userForForge(f.forge(), f.id());
    };
    if (user.isEmpty()) {
      throw refuse(runId, who, action, ApiException.forbidden(who.actor() + " is not linked to a Moat user, so it may not " + action + " runs"));
    }
    if (!user.get().role().atLeast(needed)) {
      throw refuse(runId, who, action, ApiException.forbidden("to " + action + " a held run needs the " + needed.wire()
          + " role; " + user.get().name() + " is " + user.get().role().wire()));
    }
    if (!allowSelfApproval && approve && isAuthor(run.author(), who, user.get())) {
      throw refuse(runId, who, action, ApiException.forbidden(user.get().name() + " is the change's author, and self-approval is off"));
    }
    String actor = who instanceof Approver.MoatUser ? who.actor() : who.actor() + " (user:" + user.get().name() + ")";
    try {
      return approve ? held.approve(runId, actor, comment) : held.reject(runId, actor, comment);
    } catch (ApiException.Conflict e) {
      throw refuse(runId, who, action, e);
    }
  }

  private boolean isAuthor(RunRequest.Author author, Approver who, Caller user) {
    if (author == null) return false;
    if (who instanceof Approver.ForgeUser f && f.forge().equals(author.forge()) && f.id() == author.id()) return true;
    return users.identities(user.userId()).stream().anyMatch(i -> i.forge().equals(author.forge()) && i.id() == author.id());
  }

  private ApiException refuse(long runId, Approver who, String action, ApiException why) {
    var detail = new LinkedHashMap<String, Object>();
    detail.put("action", action);
    detail.put("status", why.status());
    detail.put("why", why.getMessage());
    if (who instanceof Approver.ForgeUser f && f.login() != null) detail.put("login", f.login());
    audit.record(who.actor(), AuditAction.APPROVAL_REFUSED, runId, null, detail);
    return why;
  }
}
