package dev.moat.server;

import dev.moat.server.metrics.Metrics;
import dev.moat.engine.placement.PoolSpec;
import dev.moat.engine.trust.HoldReason;
import java.util.Arrays;
import java.util.List;
import dev.moat.common.Json;
import dev.moat.engine.placement.PlacementPolicy;
import dev.moat.server.agent.AgentRoutes;
import dev.moat.server.ctx.CtxBackends;
import dev.moat.server.ctx.CtxRoutes;
import dev.moat.server.ctx.JobOutputs;
import dev.moat.server.agent.AgentService;
import dev.moat.server.audit.Audit;
import dev.moat.server.audit.AuditRoutes;
import dev.moat.server.auth.ApiTokens;
import dev.moat.server.auth.UserRoutes;
import dev.moat.server.auth.Users;
import dev.moat.server.db.Database;
import dev.moat.server.event.Wakeup;
import dev.moat.server.github.MoatForgeRuns;
import dev.moat.server.github.GitHubHookRoutes;
import dev.moat.server.github.GitHubProvider;
import dev.moat.server.github.GitHubRepos;
import dev.moat.server.github.GitHubRoutes;
import dev.moat.server.github.GitHubTrust;
import dev.moat.server.github.PermissionCache;
import dev.moat.server.github.StatusReporter;
import dev.moat.server.http.Http;
import dev.moat.server.http.Problems;
import dev.moat.server.identity.IdTokens;
import dev.moat.server.identity.IdentityRoutes;
import dev.moat.server.identity.JobCredentials;
import dev.moat.server.identity.SigningKeys;
import dev.moat.server.repo.AllowedSigners;
import dev.moat.server.repo.GitReader;
import dev.moat.server.repo.RepoRoutes;
import dev.moat.server.repo.RepoService;
import dev.moat.server.run.HeldRuns;
import dev.moat.server.run.LogService;
import dev.moat.server.run.RunRoutes;
import dev.moat.server.run.RunService;
import dev.moat.server.run.RunStarter;
import dev.moat.server.run.ServiceLevels;
import dev.moat.server.run.StatsRoutes;
import dev.moat.server.environment.EnvironmentGate;
import dev.moat.server.environment.EnvironmentRoutes;
import dev.moat.server.environment.Environments;
import dev.moat.server.secret.SecretRoutes;
import dev.moat.server.secret.SecretStore;
import dev.moat.server.trust.Approvals;
import dev.moat.server.webhook.GitHookRoutes;
import io.javalin.Javalin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator's composition root: builds stores, services and routes with plain constructors,
 * starts Javalin on virtual threads and the deadline reaper, and on first start writes the admin
 * credentials ({@code credentials.json}, 0600) into the data directory.
 */
public final class MoatServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MoatServer.class);
  /** The file in the data directory that holds the server URL and the admin token. */
  public static final String CREDENTIALS = "credentials.json";

  private final Database db;
  private final Javalin app;
  private final ScheduledExecutorService reaper;
  private final String url;
  private final SecretStore secrets;

  private final Wakeup dispatch;
  private final RunStarter starter;

  private MoatServer(Database db, Javalin app, ScheduledExecutorService reaper, String url, Wakeup dispatch,
      RunStarter starter, SecretStore secrets) {
    this.secrets = secrets;
    this.dispatch = dispatch;
    this.starter = starter;
    this.db = db;
    this.app = app;
    this.reaper = reaper;
    this.url = url;
  }

  public static MoatServer start(ServerConfig config) throws IOException {
    return start(config, InstantSource.system());
  }

  /** With the server's own secret store behind the ctx routes and the server-side log mask. */
  public static MoatServer start(ServerConfig config, InstantSource clock) throws IOException {
    return start(config, clock, null);
  }

  /**
   * @param stand the job's secrets for the ctx routes and the log mask instead of the server's own
   *     secret store (tests), or null for the store
   */
  public static MoatServer start(ServerConfig config, InstantSource clock, CtxBackends stand) throws IOException {
    // Before anything else: a bad policy file stops the start and touches nothing.
    PlacementPolicy policy = PolicyFile.load(config.policyFile());
    Path dataDir = privateDir(config.dataDir());
    Database db = Database.openSqlite(dataDir.resolve("moat.db"));
    try {
      var dispatch = new Wakeup();
      var tokens = new ApiTokens(db.jdbi(), clock);
      var audit = new Audit(db.jdbi(), clock);
      var users = new Users(db.jdbi(), clock, tokens, audit);
      var git = new GitReader();
      var environments = new Environments(db.jdbi(), clock, audit);
      var secrets = new SecretStore(db.jdbi(), clock, audit, environments, config.masterKeys());
      // A ring that can't open every stored value stops the start: the operator dropped a key too early.
      secrets.checkKeys();
      CtxBackends backends = stand != null ? stand : new CtxBackends(secrets::forJob, secrets::valuesForJob);
      var metrics = new Metrics(policy.pools().map(ps -> ps.stream().map(PoolSpec::name).toList()).orElse(List.of("default")));
      var runs = new RunService(db.jdbi(), clock, dispatch, config.ackTimeout(), config.leaseTtl(), audit, config.holdTtl(), policy,
          new EnvironmentGate(environments), metrics);
      var held = new HeldRuns(runs);
      var approvals = new Approvals(held, runs, users, audit, config.allowSelfApproval());
      var signers = new AllowedSigners(db.jdbi(), clock, audit);
      var logs = new LogService(db.jdbi(), backends.values());
      var outputs = new JobOutputs(db.jdbi(), clock);
      var repos = new RepoService(db.jdbi(), clock, config.hookCommand());
      var starter = new RunStarter(git, runs);
      var agents = new AgentService(db.jdbi(), clock, policy, metrics);
      metrics.gaugeBy("moat_queue_depth", "Queued jobs a pool may take", "pool", metrics.pools(), runs::queuedFor);
      // Connected: polled within two lease lengths (an agent polls far more often than that).
      metrics.gaugeBy("moat_agents_connected", "Agents that polled recently", "pool", metrics.pools(),
          p -> agents.connectedIn(p, config.leaseTtl().multipliedBy(2)));
      metrics.gaugeBy("moat_runs_held", "Runs held for a decision", "reason",
          Arrays.stream(HoldReason.values()).map(HoldReason::wire).toList(), runs::heldFor);
      var url = new AtomicReference<String>();
      var github = new GitHubProvider(new GitHubRepos(db.jdbi(), clock, dataDir.resolve("github")), repos,
          new GitHubTrust(new PermissionCache(clock, PermissionCache.DEFAULT_TTL)), new MoatForgeRuns(starter, approvals), db.jdbi(), audit,
          clock);
      var statuses = new StatusReporter(github, db.jdbi());
      var jobCredentials = new JobCredentials(db.jdbi(), clock);
      var signingKeys = SigningKeys.open(dataDir, clock, SigningKeys.GRACE);
      var idTokens = new IdTokens(db.jdbi(), clock, signingKeys, url::get, IdTokens.DEFAULT_TTL, audit);
      runs.graceLeases();
      Javalin app = Javalin.create(cfg -> {
        cfg.concurrency.useVirtualThreads = true;
        cfg.startup.showJavalinBanner = false;
        cfg.http.maxRequestSize = 16L << 20;
        Problems.install(cfg.routes);
        cfg.routes.get("/healthz", ctx -> Http.json(ctx, 200, Map.of("status", "ok")));
        // Only a valid policy gets this far, so "policy" names the one in force.
        String policyName = config.policyFile().map(Path::toString).orElse("default");
        // The policy was validated at start (an invalid one stops the server), so it reads as its name.
        cfg.routes.get("/readyz", ctx -> {
          String migrations = db.migrations();
          Http.json(ctx, migrations.equals("ok") ? 200 : 503, Map.of("database", migrations.equals("database down") ? "down" : "ok",
              "migrations", migrations, "policy", policyName));
        });
        // Unauthenticated like /healthz: bounded labels carry no ids, secrets or repository names.
        cfg.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        new RepoRoutes(tokens, repos, signers, url::get).register(cfg.routes);
        new RunRoutes(tokens, runs, starter, repos, logs, approvals).register(cfg.routes);
        new StatsRoutes(tokens, new ServiceLevels(db.jdbi(), clock)).register(cfg.routes);
        new UserRoutes(tokens, users).register(cfg.routes);
        new AuditRoutes(tokens, audit).register(cfg.routes);
        new AgentRoutes(tokens, agents, runs, logs, repos, git, dispatch, config.pollWait()).register(cfg.routes);
        new CtxRoutes(jobCredentials, backends, outputs, metrics).register(cfg.routes);
        new GitHookRoutes(repos, signers, starter, db.jdbi(), clock, metrics).register(cfg.routes);
        new GitHubRoutes(tokens, github.repos(), url::get).register(cfg.routes);
        new GitHubHookRoutes(github, db.jdbi(), clock, metrics).register(cfg.routes);
        new SecretRoutes(tokens, secrets).register(cfg.routes);
        new EnvironmentRoutes(tokens, environments).register(cfg.routes);
        new IdentityRoutes(tokens, jobCredentials, idTokens, signingKeys, audit, url::get, metrics).register(cfg.routes);
      });
      app.start(config.host(), config.port());
      url.set("http://" + config.host() + ":" + app.port());
      var reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("moat-reaper").daemon().factory());
      long every = config.reapInterval().toMillis();
      reaper.scheduleWithFixedDelay(() -> reap(runs, held), every, every, TimeUnit.MILLISECONDS);
      reaper.scheduleWithFixedDelay(() -> report(statuses), every, every, TimeUnit.MILLISECONDS);
      // Finishes a rotation a crash or restart interrupted; reads work meanwhile with either key.
      if (secrets.configured()) reaper.execute(() -> resumeRotation(secrets));
      writeCredentials(dataDir, url.get(), tokens.bootstrapAdmin());
      LOG.atInfo().addKeyValue("url", url.get()).addKeyValue("data_dir", dataDir.toString()).log("server started");
      return new MoatServer(db, app, reaper, url.get(), dispatch, starter, secrets);
    } catch (IOException | RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /** The periodic loop: job deadlines, then holds past their expiry. */
  private static void reap(RunService runs, HeldRuns held) {
    try {
      runs.reap(java.time.Duration.ofSeconds(30));
      held.expireDue();
    } catch (RuntimeException e) {
      LOG.atError().setCause(e).log("deadline reaper failed; retrying");
    }
  }

  private static void resumeRotation(SecretStore secrets) {
    try {
      secrets.resume(RunService.SERVER_ACTOR);
    } catch (RuntimeException e) {
      LOG.atError().setCause(e).log("re-sealing secrets with the current master key failed; it resumes on the next start");
    }
  }

  private static void report(StatusReporter statuses) {
    try {
      statuses.report();
    } catch (RuntimeException e) {
      LOG.atError().setCause(e).log("posting GitHub statuses failed; retrying");
    }
  }

  private static Path privateDir(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    return dir;
  }

  /**
   * Writes {@code {url, token}} to credentials.json (0600). The token is known only when it was just
   * created; on later starts the file keeps its token and gets the current URL.
   */
  private static void writeCredentials(Path dataDir, String url, Optional<String> newToken) throws IOException {
    Path file = dataDir.resolve(CREDENTIALS);
    String token = newToken.orElse(null);
    if (token == null && Files.exists(file)) {
      token = (String) Json.read(Files.readString(file), Map.class).get("token");
    }
    if (token == null) {
      LOG.warn("admin token exists but credentials.json is gone; create a new token with the admin tools");
      return;
    }
    Path tmp = Files.createTempFile(dataDir, "credentials", ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, Json.write(Map.of("url", url, "token", token)));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  public String url() {
    return url;
  }

  public int port() {
    return app.port();
  }

  /**
   * The trust-aware run start, for callers in this JVM that start runs on behalf of an event source
   * (and tests that start a change's runs with a given trust decision).
   */
  public RunStarter runStarter() {
    return starter;
  }

  /** The secret store, for the ctx routes and log masking in this JVM (and tests). */
  public SecretStore secrets() {
    return secrets;
  }

  @Override
  public void close() {
    reaper.shutdownNow();
    try {
      // A task in flight (a reap, a re-seal) finishes before the database it uses closes.
      if (!reaper.awaitTermination(10, TimeUnit.SECONDS)) LOG.warn("reaper still busy after 10 s; closing anyway");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    dispatch.close();
    app.stop();
    db.close();
    LOG.info("server stopped");
  }
}
