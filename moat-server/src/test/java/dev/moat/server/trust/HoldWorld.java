package dev.moat.server.trust;

import dev.moat.server.audit.Audit;
import dev.moat.server.auth.ApiTokens;
import dev.moat.server.auth.Caller;
import dev.moat.server.auth.Users;
import dev.moat.server.db.Database;
import dev.moat.server.event.Wakeup;
import dev.moat.server.repo.GitReader;
import dev.moat.server.repo.RepoService;
import dev.moat.server.run.HeldRuns;
import dev.moat.server.run.RunService;
import dev.moat.engine.placement.PlacementPolicy;
import dev.moat.server.run.RunStarter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One test's server side without HTTP: the real services over a real SQLite file and a real git
 * repository, wired as {@code MoatServer} wires them, on a clock the test moves.
 */
final class HoldWorld implements AutoCloseable {
  static final Duration TTL = Duration.ofHours(72);
  final AtomicLong now = new AtomicLong(Instant.parse("2026-12-01T10:00:00Z").toEpochMilli());
  final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
  final Database db;
  final Audit audit;
  final ApiTokens tokens;
  final Users users;
  final RunService runs;
  final HeldRuns held;
  final Approvals approvals;
  final RunStarter starter;
  final RepoService repos;
  final Caller admin;
  final Path work;
  final RepoService.Repo repo;

  HoldWorld(Path dir, boolean allowSelfApproval) throws IOException {
    db = Database.openSqlite(Files.createDirectories(dir).resolve("moat.db"));
    audit = new Audit(db.jdbi(), clock);
    tokens = new ApiTokens(db.jdbi(), clock);
    tokens.bootstrapAdmin();
    users = new Users(db.jdbi(), clock, tokens, audit);
    runs = new RunService(db.jdbi(), clock, new Wakeup(), Duration.ofSeconds(10), Duration.ofSeconds(30), audit, TTL,
        PlacementPolicy.DEFAULT);
    held = new HeldRuns(runs);
    approvals = new Approvals(held, runs, users, audit, allowSelfApproval);
    starter = new RunStarter(new GitReader(), runs);
    repos = new RepoService(db.jdbi(), clock, List.of("true"));
    admin = new Caller(1, "admin", dev.moat.server.auth.Role.ADMIN);
    Path bare = dir.resolve("origin.git");
    work = dir.resolve("work");
    git(dir, "init", "-q", "--bare", "-b", "main", bare.toString());
    git(dir, "init", "-q", "-b", "main", work.toString());
    git(work, "config", "user.name", "Test");
    git(work, "config", "user.email", "test@moat.invalid");
    git(work, "remote", "add", "origin", bare.toString());
    repos.add("app", bare.toString(), "http://127.0.0.1:1");
    repo = repos.require("app");
  }

  /** A user with {@code role}, as their token would authenticate them. */
  Caller user(String name, String role) {
    users.add(name, role, admin);
    return users.list().stream().filter(u -> u.name().equals(name)).findFirst()
        .map(u -> new Caller(userId(name), name, dev.moat.server.auth.Role.ofWire(u.role()))).orElseThrow();
  }

  private long userId(String name) {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT id FROM users WHERE name = :n").bind("n", name).mapTo(Long.class).one());
  }

  /** Writes the workflow, commits and pushes it to {@code branch}; returns the commit. */
  String commit(String branch, String workflowYaml) throws IOException {
    Path file = work.resolve(".moat/workflows/ci.yml");
    Files.createDirectories(file.getParent());
    Files.writeString(file, workflowYaml, StandardCharsets.UTF_8);
    git(work, "add", "-A");
    git(work, "commit", "-q", "--allow-empty", "-m", "change");
    git(work, "push", "-q", "origin", "HEAD:refs/heads/" + branch);
    return git(work, "rev-parse", "HEAD").trim();
  }

  void pass(Duration d) {
    now.addAndGet(d.toMillis());
  }

  static String git(Path dir, String... args) throws IOException {
    List<String> argv = new ArrayList<>(List.of("git", "-C", dir.toString()));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) throw new IOException("git " + String.join(" ", args) + " failed: " + out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return out;
  }

  @Override
  public void close() {
    db.close();
  }
}
