package dev.moat.agent;

import dev.moat.common.Json;
import dev.moat.common.wire.PollRequest;
import dev.moat.common.wire.PollResponse;
import dev.moat.common.wire.RegisterRequest;
import dev.moat.common.wire.RegisterResponse;
import dev.moat.sandbox.SandboxTier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent daemon. It dials out to the server and long-polls (the poll is also its heartbeat,
 * renewing the leases of the jobs it runs); each assigned job runs on its own virtual thread in a
 * fresh sandbox. When the server is unreachable it keeps its jobs running and retries with
 * back-off, so a server restart costs nothing. Thread-safe; {@link #close()} stops polling, kills
 * running jobs and waits up to five seconds for them to destroy their sandboxes.
 */
public final class Agent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
  static final String CREDENTIAL_FILE = "agent.json";
  private final AgentConfig config;
  private final SandboxTier tier;
  private final ServerClient server;
  private final Workspaces workspaces;
  private final String agentId;
  private final String pool;
  private final Map<Long, JobRunner> running = new ConcurrentHashMap<>();
  private final Map<Long, Thread> threads = new ConcurrentHashMap<>();
  /** How long close waits for killed jobs to destroy their sandboxes (cgroups, netns, volumes). */
  private static final java.time.Duration CLOSE_GRACE = java.time.Duration.ofSeconds(5);
  private volatile boolean closed;
  private volatile Thread loop;

  private final Path ctxHelper;

  private Agent(AgentConfig config, SandboxTier tier, ServerClient server, Workspaces workspaces, String agentId,
      String pool, Path ctxHelper) {
    this.pool = pool;
    this.ctxHelper = ctxHelper;
    this.config = config;
    this.tier = tier;
    this.server = server;
    this.workspaces = workspaces;
    this.agentId = agentId;
  }

  /**
   * Loads the agent's credential from its data directory, or registers with the one-time token and
   * stores the credential (0600). Cleans workspaces left by an earlier process, then starts polling.
   */
  public static Agent start(AgentConfig config, SandboxTier tier) throws IOException {
    Files.createDirectories(config.dataDir());
    Files.setPosixFilePermissions(config.dataDir(), PosixFilePermissions.fromString("rwx------"));
    Path file = config.dataDir().resolve(CREDENTIAL_FILE);
    RegisterResponse identity;
    ServerClient server;
    if (Files.exists(file)) {
      identity = Json.read(Files.readString(file), RegisterResponse.class);
      server = new ServerClient(config.server(), identity.credential());
    } else {
      String token = config.registrationToken()
          .orElseThrow(() -> new IOException("the agent is not registered: pass a registration token (moat token create)"));
      server = new ServerClient(config.server(), null);
      identity = server.register(new RegisterRequest(token, config.name(), config.labels()));
      writePrivate(file, Json.write(identity));
    }
    var workspaces = new Workspaces(config.workRoot(), config.workspaceDiskBytes());
    workspaces.sweep();
    var agent = new Agent(config, tier, server, workspaces, identity.agentId(), identity.pool(),
        ctxHelper(config));
    agent.loop = Thread.ofVirtual().name("agent-poll").start(agent::pollLoop);
    LOG.atInfo().addKeyValue("agent", identity.agentId()).addKeyValue("pool", identity.pool())
        .addKeyValue("tier", tier.name()).addKeyValue("server", config.server().toString()).log("agent started");
    return agent;
  }

  /**
   * Builds {@code moat-ctx} beside the workspace root (which every uid can traverse, unlike the
   * data directory: bwrap opens the helper as the job's uid). Without gcc the agent still runs,
   * and says so: its jobs get no ctx socket (steps' {@code secrets:} still work).
   */
  private static Path ctxHelper(AgentConfig config) {
    Path dir = config.workRoot().resolveSibling(config.workRoot().getFileName() + "-bin");
    try {
      Path helper = dev.moat.sandbox.ctx.CtxHelper.build(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      return helper;
    } catch (IOException e) {
      LOG.atError().addKeyValue("error", e.getMessage()).log("no moat-ctx: jobs on this agent get no ctx socket");
      return null;
    }
  }

  private static void writePrivate(Path file, String content) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), "agent", ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  public String id() {
    return agentId;
  }

  /** Ids of the jobs running now. */
  public List<Long> runningJobs() {
    return List.copyOf(running.keySet());
  }

  private void pollLoop() {
    long backoff = 50;
    boolean warned = false;
    while (!closed) {
      try {
        PollResponse res = server.poll(new PollRequest(config.capacity(), List.copyOf(running.keySet()),
            config.image().orElse(null), tier.name()), config.pollWait());
        if (warned) LOG.info("server reachable again");
        backoff = 50;
        warned = false;
        res.stop().forEach(id -> {
          JobRunner job = running.get(id);
          if (job != null) job.stop();
        });
        res.assignments().forEach(a -> launch(new JobRunner(a, server, tier, workspaces, config.image(), ctxHelper,
            agentId, pool)));
      } catch (IOException e) {
        if (closed) return;
        if (!warned) LOG.atWarn().addKeyValue("error", e.getMessage()).log("server unreachable; retrying");
        warned = true;
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          return;
        }
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  private void launch(JobRunner job) {
    running.put(job.jobId(), job);
    Thread t = Thread.ofVirtual().name("job-" + job.jobId()).unstarted(() -> {
      try {
        job.run();
      } finally {
        running.remove(job.jobId());
        threads.remove(job.jobId());
      }
    });
    threads.put(job.jobId(), t);
    t.start();
  }

  @Override
  public void close() {
    closed = true;
    Thread t = loop;
    if (t != null) t.interrupt();
    running.values().forEach(JobRunner::stop);
    // Killed jobs still close their sandboxes; a process exit right after close must not cut that short.
    long giveUp = System.nanoTime() + CLOSE_GRACE.toNanos();
    for (Thread job : threads.values()) {
      try {
        long left = giveUp - System.nanoTime();
        if (left > 0) job.join(java.time.Duration.ofNanos(left));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
