package dev.moat.server.github;

import dev.moat.engine.trust.Change;
import dev.moat.engine.trust.HoldReason;
import dev.moat.engine.trust.TrustDecision;
import dev.moat.engine.trust.TrustRules;
import dev.moat.engine.trust.TrustTier;
import dev.moat.server.audit.Audit;
import dev.moat.server.audit.AuditAction;
import dev.moat.server.github.ForgeRuns.ForgeChange;
import dev.moat.server.github.ForgeRuns.ForgeIdentity;
import dev.moat.server.github.GitHubRepos.GitHubRepo;
import dev.moat.server.http.ApiException;
import dev.moat.server.repo.RepoService;
import dev.moat.server.run.RunService;
import java.io.IOException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Turns authenticated GitHub events into trust decisions and runs (DESIGN §5, invariant I5): resolves
 * the author's tier from GitHub by numeric user id, asks GitHub which files a pull request changes,
 * decides with {@link TrustRules}, fetches the commits into the mirror, starts or holds the runs
 * through {@link ForgeRuns}, and posts the {@code moat} commit status. Comments {@code /moat approve}
 * and {@code /moat reject} on a pull request approve or reject its held runs for the commenter's
 * GitHub identity. Thread-safe.
 */
public final class GitHubProvider {
  /** The commit status context Moat posts under. */
  public static final String CONTEXT = "moat";
  private static final Logger LOG = LoggerFactory.getLogger(GitHubProvider.class);

  private final GitHubRepos repos;
  private final RepoService localRepos;
  private final GitHubTrust trust;
  private final ForgeRuns runs;
  private final Jdbi jdbi;
  private final Audit audit;
  private final InstantSource clock;
  private final Map<String, GitHubClient> clients = new ConcurrentHashMap<>();

  public GitHubProvider(GitHubRepos repos, RepoService localRepos, GitHubTrust trust, ForgeRuns runs, Jdbi jdbi, Audit audit,
      InstantSource clock) {
    this.repos = repos;
    this.localRepos = localRepos;
    this.trust = trust;
    this.runs = runs;
    this.jdbi = jdbi;
    this.audit = audit;
    this.clock = clock;
  }

  public GitHubRepos repos() {
    return repos;
  }

  /** The API client of a registered repository (one per repository, so its installation token is reused). */
  public GitHubClient client(GitHubRepo g) {
    return clients.computeIfAbsent(g.repo(), k -> new GitHubClient(g.apiUrl(), g.owner(), g.name(), g.auth(), clock));
  }

  /** A push: the pusher's tier, whether it changes {@code .moat/}, then runs of the pushed commit. */
  public Map<String, Object> push(GitHubRepo g, JsonNode e) {
    String ref = Events.ref(e, "ref");
    String after = Events.sha(e, "after");
    if (e.path("deleted").asBoolean(false) || after.equals(Events.ZERO)) return Map.of("ignored", "ref deleted");
    if (!ref.startsWith("refs/heads/") && !ref.startsWith("refs/tags/")) throw ApiException.invalid("ref must be a branch or tag");
    String before = Events.sha(e, "before");
    var sender = Events.user(e.path("sender"), "sender");
    fetch(g, List.of("+" + ref + ":" + ref), after);
    var who = trust.resolve(g.repo(), client(g), sender.userId(), sender.login());
    boolean touches;
    try {
      touches = before.equals(Events.ZERO) || !Mirror.has(g.mirror(), before) || Mirror.touchesMoat(g.mirror(), before, after);
    } catch (IOException ex) {
      touches = true; // fail closed: unknown changes count as workflow changes
    }
    TrustDecision d = TrustRules.decide(new Change(Change.Kind.PUSH, who.tier(), false, touches, null));
    return start(g, new ForgeChange("push", ref, after, null, null, new ForgeIdentity("github", sender.userId(), sender.login())), d, null, who);
  }

  /** A pull request opened, synchronised or reopened. */
  public Map<String, Object> pullRequest(GitHubRepo g, JsonNode e) {
    String action = Events.text(e, "action");
    if (!List.of("opened", "synchronize", "reopened").contains(action)) return Map.of("ignored", "action " + action);
    JsonNode pr = e.path("pull_request");
    long number = Events.number(e, "number");
    String head = Events.sha(pr.path("head"), "sha");
    String base = Events.sha(pr.path("base"), "sha");
    String baseRef = Events.ref(pr.path("base"), "ref");
    JsonNode headRepo = pr.path("head").path("repo");
    long baseRepoId = Events.number(pr.path("base").path("repo"), "id");
    // A deleted fork has head.repo null: still a fork.
    boolean fromFork = !headRepo.isObject() || headRepo.path("id").asLong(-1) != baseRepoId || headRepo.path("fork").asBoolean(false);
    var author = Events.user(pr.path("user"), "pull_request.user");
    var sender = Events.user(e.path("sender"), "sender");
    // GitHub keeps every pull request's head, a fork's too, at refs/pull/N/head of the base repository.
    fetch(g, List.of("+refs/pull/" + number + "/head:refs/pull/" + number + "/head", "+refs/heads/" + baseRef + ":refs/heads/" + baseRef), head);
    fetch(g, List.of(), base);
    var who = trust.resolve(g.repo(), client(g), author.userId(), author.login());
    if (sender.userId() != author.userId()) {
      // Someone else pushed to the pull request: the weaker of the two decides.
      var pusher = trust.resolve(g.repo(), client(g), sender.userId(), sender.login());
      if (pusher.tier().ordinal() > who.tier().ordinal()) who = pusher;
    }
    // Only a known author's decision depends on the files: a fork's or an unknown author's change is
    // held either way, and a trusted author's runs either way.
    boolean touches = true;
    if (!fromFork && who.tier() == TrustTier.KNOWN) {
      try {
        touches = client(g).pullFiles(number).stream().anyMatch(f -> underMoat(f.filename())
            || f.previousFilename().map(GitHubProvider::underMoat).orElse(false));
      } catch (GitHubException ex) {
        LOG.atWarn().addKeyValue("error", ex.getMessage()).log("could not list the pull request's files: treated as changing .moat/");
      }
    }
    TrustDecision d = TrustRules.decide(new Change(Change.Kind.PULL_REQUEST, who.tier(), fromFork, touches, null));
    return start(g, new ForgeChange("pull_request", "refs/pull/" + number + "/head", head,
        "refs/heads/" + baseRef, base, new ForgeIdentity("github", author.userId(), author.login())), d, number, who);
  }

  /** {@code /moat approve} or {@code /moat reject} in a new comment on a pull request. */
  public Map<String, Object> comment(GitHubRepo g, JsonNode e) {
    String action = Events.text(e, "action");
    if (!action.equals("created")) return Map.of("ignored", "action " + action);
    if (!e.path("issue").path("pull_request").isObject()) return Map.of("ignored", "comment on an issue, not a pull request");
    String body = e.path("comment").path("body").asString("").strip();
    String command = body.lines().findFirst().orElse("").strip();
    boolean approve = command.equals("/moat approve");
    if (!approve && !command.equals("/moat reject")) return Map.of("ignored", "no /moat command");
    long number = Events.number(e.path("issue"), "number");
    var who = Events.user(e.path("comment").path("user"), "comment.user");
    var identity = new ForgeIdentity("github", who.userId(), who.login());
    List<Long> held = jdbi.withHandle(h -> h.createQuery("""
            SELECT run_id FROM github_runs WHERE repo = :r AND pr_number = :n
              AND sha = (SELECT sha FROM github_runs WHERE repo = :r AND pr_number = :n ORDER BY run_id DESC LIMIT 1)
            ORDER BY run_id""").bind("r", g.repo()).bind("n", number).mapTo(Long.class).list());
    List<Map<String, Object>> outcomes = new ArrayList<>();
    for (long run : held) {
      var o = approve ? runs.approve(run, identity) : runs.reject(run, identity);
      outcomes.add(Map.of("run", run, "result", o.result(), "message", o.message()));
      if (o.done()) {
        String sha = jdbi.withHandle(h -> h.createQuery("SELECT sha FROM github_runs WHERE run_id = :id").bind("id", run)
            .mapTo(String.class).one());
        status(g, sha, approve ? "pending" : "failure",
            (approve ? "approved by " : "rejected by ") + who.login(), approve ? "approved" : "rejected");
      }
    }
    return Map.of("command", approve ? "approve" : "reject", "outcomes", outcomes);
  }

  /** Membership changes: drop cached permissions so that the next event asks GitHub again; audited. */
  public Map<String, Object> membership(String event, JsonNode e) {
    String action = e.path("action").asString("");
    Long member = switch (event) {
      case "member", "membership" -> Events.number(e.path("member"), "id");
      case "organization" -> {
        if (!action.equals("member_added") && !action.equals("member_removed")) yield null;
        yield Events.number(e.path("membership").path("user"), "id");
      }
      default -> -1L; // team: its members' access to repositories changed
    };
    if (member == null) return Map.of("ignored", "action " + action);
    if (member < 0) trust.cache().invalidateAll(); else trust.cache().invalidateUser(member);
    JsonNode sender = e.path("sender");
    audit.record(sender.path("id").isIntegralNumber() ? "github:" + sender.path("id").asLong() : RunService.SERVER_ACTOR,
        AuditAction.PERMISSIONS_INVALIDATED, null, member < 0 ? "everyone" : "github:" + member, Map.of("event", event, "action", action));
    LOG.atInfo().addKeyValue("event", event).addKeyValue("action", action).log("GitHub permissions invalidated");
    return Map.of("invalidated", member < 0 ? "everyone" : "github:" + member);
  }

  private Map<String, Object> start(GitHubRepo g, ForgeChange change, TrustDecision d, Long pr, GitHubTrust.Resolution who) {
    var repo = localRepos.require(g.repo());
    List<Long> ids = runs.start(repo, change, d);
    var evidence = new LinkedHashMap<String, Object>();
    evidence.put("author", change.author().forge() + ":" + change.author().userId());
    evidence.put("login", change.author().login());
    evidence.put("tier", d.tier().wire());
    evidence.put("resolved", who.why());
    evidence.put("workflows", d.source().name().toLowerCase(java.util.Locale.ROOT));
    evidence.put("hold", d.hold().map(HoldReason::wire).orElse("none"));
    evidence.put("why", d.why());
    jdbi.useTransaction(h -> {
      for (long id : ids) {
        h.createUpdate("INSERT INTO github_runs (run_id, repo, sha, pr_number) VALUES (:id, :r, :s, :pr)")
            .bind("id", id).bind("r", g.repo()).bind("s", change.headSha()).bind("pr", pr).execute();
        audit.record(h, RunService.SERVER_ACTOR, AuditAction.TRUST_RESOLVED, id, null, evidence);
      }
    });
    // No run (no workflow matched): no status, since nothing would ever complete it.
    if (!ids.isEmpty()) {
      String description = d.hold().map(r -> "held for approval: " + r.wire()).orElse("queued: " + d.tier().wire() + " contributor");
      status(g, change.headSha(), "pending", description, d.held() ? "held" : "queued");
    }
    LOG.atInfo().addKeyValue("repo", g.repo()).addKeyValue("sha", change.headSha()).addKeyValue(dev.moat.common.log.LogFields.TRUST_TIER, d.tier().wire())
        .addKeyValue("hold", d.hold().map(HoldReason::wire).orElse("none")).addKeyValue("why", who.why())
        .addKeyValue("runs", ids).log("GitHub change decided");
    var out = new LinkedHashMap<String, Object>();
    out.put("runs", ids);
    out.put("tier", d.tier().wire());
    out.put("held", d.held());
    out.put("reason", d.hold().map(HoldReason::wire).orElse(null));
    out.put("workflows", d.source().name().toLowerCase(java.util.Locale.ROOT));
    out.put("why", d.why() + " (" + who.why() + ")");
    return out;
  }

  /** Posts a commit status; a failure is logged, never fatal (GitHub being down must not lose the run). */
  private void status(GitHubRepo g, String sha, String state, String description, String posted) {
    try {
      client(g).postStatus(sha, state, description, CONTEXT);
      jdbi.useHandle(h -> h.createUpdate("UPDATE github_runs SET posted = :p WHERE sha = :s AND repo = :r")
          .bind("p", posted).bind("s", sha).bind("r", g.repo()).execute());
    } catch (GitHubException e) {
      LOG.atWarn().addKeyValue("repo", g.repo()).addKeyValue("sha", sha).addKeyValue("error", e.getMessage()).log("could not post the commit status");
    }
  }

  /**
   * Makes sure {@code mustHave} is in the mirror: fetches {@code refspecs} with a fresh clone token,
   * and if the refs have moved on since the event, the commit itself (GitHub serves any reachable
   * commit by id).
   */
  private void fetch(GitHubRepo g, List<String> refspecs, String mustHave) {
    if (Mirror.has(g.mirror(), mustHave)) return;
    try {
      String token = client(g).cloneToken().token();
      if (!refspecs.isEmpty()) Mirror.fetch(g.mirror(), g.cloneUrl(), token, refspecs);
      if (!Mirror.has(g.mirror(), mustHave)) {
        Mirror.fetch(g.mirror(), g.cloneUrl(), token, List.of("+" + mustHave + ":refs/moat/sha/" + mustHave));
      }
    } catch (IOException | GitHubException e) {
      throw new SourceUnavailable("could not fetch " + mustHave + " from " + g.fullName() + ": " + e.getMessage(), e);
    }
    if (!Mirror.has(g.mirror(), mustHave)) throw new SourceUnavailable("commit " + mustHave + " is not in " + g.fullName(), null);
  }

  private static boolean underMoat(String path) {
    return path.equals(".moat") || path.startsWith(".moat/");
  }

  /** The commits of an event could not be fetched: nothing was decided or stored. */
  public static final class SourceUnavailable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SourceUnavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
