package dev.moat.server.secret;

import dev.moat.common.secret.MasterKey;
import dev.moat.engine.placement.IsolationTier;
import dev.moat.engine.placement.PlacementPolicy;
import dev.moat.engine.trust.TrustDecision;
import dev.moat.engine.trust.TrustTier;
import dev.moat.engine.trust.WorkflowSource;
import dev.moat.server.audit.Audit;
import dev.moat.server.auth.ApiTokens;
import dev.moat.server.auth.Caller;
import dev.moat.server.auth.Role;
import dev.moat.server.auth.Users;
import dev.moat.server.db.Database;
import dev.moat.server.environment.Environment;
import dev.moat.server.environment.EnvironmentGate;
import dev.moat.server.environment.Environments;
import dev.moat.server.event.Wakeup;
import dev.moat.server.repo.GitReader;
import dev.moat.server.run.HeldRuns;
import dev.moat.server.run.RunRequest;
import dev.moat.server.run.RunService;
import dev.moat.server.trust.Approvals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The real services on a real SQLite file, with environments gating runs and a secret store on a
 * given key ring, and an injected clock. Runs are created from workflow text directly (no git).
 */
final class SecretWorld implements AutoCloseable {
  static final MasterKey V1 = MasterKey.generate(1);
  static final MasterKey V2 = MasterKey.generate(2);
  static final TrustDecision TRUSTED = new TrustDecision(TrustTier.TRUSTED, WorkflowSource.HEAD, Optional.empty(), "test");
  static final TrustDecision KNOWN = new TrustDecision(TrustTier.KNOWN, WorkflowSource.HEAD, Optional.empty(), "test");

  final AtomicLong now = new AtomicLong(Instant.parse("2026-12-01T10:00:00Z").toEpochMilli());
  final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
  final Path dir;
  final Database db;
  final Audit audit;
  final Users users;
  final Environments environments;
  final RunService runs;
  final Approvals approvals;
  final Caller admin = new Caller(1, "admin", Role.ADMIN);
  SecretStore secrets;

  SecretWorld(Path dir, List<MasterKey> keys) throws IOException {
    this.dir = Files.createDirectories(dir);
    db = Database.openSqlite(dir.resolve("moat.db"));
    audit = new Audit(db.jdbi(), clock);
    var tokens = new ApiTokens(db.jdbi(), clock);
    tokens.bootstrapAdmin();
    users = new Users(db.jdbi(), clock, tokens, audit);
    environments = new Environments(db.jdbi(), clock, audit);
    secrets = new SecretStore(db.jdbi(), clock, audit, environments, keys);
    runs = new RunService(db.jdbi(), clock, new Wakeup(), Duration.ofSeconds(10), Duration.ofSeconds(30), audit,
        Duration.ofHours(72), PlacementPolicy.DEFAULT, new EnvironmentGate(environments));
    approvals = new Approvals(new HeldRuns(runs), runs, users, audit, false);
    for (String repo : List.of("app", "other")) {
      db.jdbi().useHandle(h -> h.execute("INSERT INTO repos (name, path, hook_secret, created_at) VALUES (?, '/nonexistent', 'x', 0)", repo));
    }
  }

  /** The store again on the same database, with another key ring (as after a restart). */
  SecretStore restart(List<MasterKey> keys) {
    secrets = new SecretStore(db.jdbi(), clock, audit, environments, keys);
    return secrets;
  }

  Environment production(int reviewers, Duration wait, String... scopes) {
    return environments.create(admin.actor(),
        new Environment("production", List.of(scopes), List.of("main"), TrustTier.TRUSTED, reviewers, wait));
  }

  /** One run of {@code workflow} for a push to {@code branch} of {@code repo}. */
  long push(String repo, String branch, TrustDecision decision, String workflow) {
    var req = RunRequest.push("refs/heads/" + branch, "a".repeat(40), Optional.empty());
    var ids = runs.createRuns(repo, req, decision, "a".repeat(40),
        List.of(new GitReader.WorkflowFile(".moat/workflows/ci.yml", Optional.of(workflow), workflow.length())));
    if (ids.size() != 1) throw new IllegalStateException("expected one run, got " + ids);
    return ids.getFirst();
  }

  /** Claims and starts every claimable job as one agent; returns their ids. */
  List<Long> claimAndStart() {
    var jobs = runs.claim("agent-1", "default", List.of("linux"), null, IsolationTier.MICROVM, 10);
    jobs.forEach(j -> runs.start("agent-1", j.jobId()));
    return jobs.stream().map(j -> j.jobId()).toList();
  }

  long jobId(long runId, String key) {
    return runs.view(runId).jobs().stream().filter(j -> j.key().equals(key)).findFirst().orElseThrow().id();
  }

  List<String> actions() {
    return audit.list(Optional.empty(), 1000).stream().map(Audit.Event::action).toList();
  }

  Caller maintainer() {
    users.add("mia", "maintainer", admin);
    long id = db.jdbi().withHandle(h -> h.createQuery("SELECT id FROM users WHERE name = 'mia'").mapTo(Long.class).one());
    return new Caller(id, "mia", Role.MAINTAINER);
  }

  @Override
  public void close() {
    db.close();
  }
}
