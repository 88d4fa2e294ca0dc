import dev.moat.agent.Agent;
import dev.moat.agent.AgentConfig;
import dev.moat.cli.ApiClient;
import dev.moat.cli.Target;
import dev.moat.common.Json;
import dev.moat.common.Tokens;
import dev.moat.engine.RunStatus;
import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.BwrapTier;
import dev.moat.sandbox.ExecResult;
import dev.moat.sandbox.OutputSink;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.SandboxTier;
import dev.moat.server.MoatServer;
import dev.moat.server.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/**
 * Push to done: a real server (temporary data directory, free port, production timings) and real
 * in-process agents on the bwrap tier, driven only through the public HTTP API and the signed push
 * webhook {@code POST /hooks/git}, exactly as the post-receive hook sends it.
 *
 * <p>Setup: a bare repository with one workflow ({@code ci.yml}: one job, one step
 * {@code echo hi}, on push to main) is registered; the post-receive hook that registration
 * installs is removed again, so that pushes don't trigger runs and the bench itself sends the
 * webhook. Each push is a new commit made in a work clone and pushed with git before the clock
 * starts: time zero is the moment the webhook POST is sent (over a warm HTTP/1.1 connection).
 *
 * <p>Latency: N pushes one at a time, 1 agent with capacity 1. Milestones, all relative to the
 * webhook POST:
 * <ul>
 *   <li>the webhook answered 202 (the run and its job exist);
 *   <li>the agent acknowledged the job (the job's {@code startedAt}; server clock, ms resolution);
 *   <li>the agent called {@code tier.create} (source fetched and unpacked; the bench wraps the agent's
 *       sandbox tier to see this in-process, on the same monotonic clock);
 *   <li><b>first step running</b>: the agent called {@code exec} for the first step (bwrap starts
 *       now; the step's own first instruction runs a bwrap exec later, about 14 ms here, see
 *       SandboxStart). A log line visible through the API would be later still, by the agent's log
 *       flush (up to 50 ms, or until the job ends), so it is not used;
 *   <li>the step's exec returned, the sandbox was closed;
 *   <li>the run's {@code finishedAt} (server clock, ms resolution);
 *   <li><b>done</b>: a client polling {@code GET /api/v1/runs/{id}} every 2 ms sees the run succeeded.
 *       To keep the observer from loading the 2 cores during the build, polling starts when the
 *       agent closed the sandbox (known in-process); the run is never terminal before that.
 * </ul>
 *
 * <p>Throughput: a second agent (capacity 1) joins, so 2 jobs run at once; K commits are pushed
 * in one git push, then K webhooks are sent back to back (each waiting for its 202); builds/s is K
 * over the time from the first POST until a client (polling every 5 ms) saw the last run done.
 *
 * <p>Usage: {@code java -cp moat.jar bench/PushToDone.java [pushes=50] [warmups=5] [burst=50]}.
 * Logs at WARN unless {@code MOAT_LOG_LEVEL} is set.
 */
public final class PushToDone {
  /** Buildbot 3.7 (Debian's buildbot + buildbot-worker), measured earlier on this machine kind. */
  private static final double BUILDBOT_PUSH_TO_DONE_MS = 214;
  private static final double BUILDBOT_BUILDS_PER_SECOND = 5.6;
  private static final String REFERENCE = "reference, measured earlier on this machine kind, not in this run";
  private static final String WORKFLOW = """
      name: b
      on: {push: {branches: [main]}}
      jobs: {t: {steps: [{run: 'echo hi'}]}}
      """;
  private static final List<String> MILESTONES = List.of(
      "webhook answered 202 (run created)",
      "job acknowledged by agent (startedAt, ms)",
      "sandbox create called (source unpacked)",
      "first step running (step exec called)",
      "step exec returned",
      "sandbox closed",
      "run finishedAt (server clock, ms)",
      "done: client sees run succeeded");
  private static final int WIDTH = 44;

  public static void main(String[] args) throws Exception {
    if (System.getProperty("MOAT_LOG_LEVEL") == null && System.getenv("MOAT_LOG_LEVEL") == null) {
      System.setProperty("MOAT_LOG_LEVEL", "WARN");
    }
    int pushes = Scratch.intArg(args, 0, 50);
    int warmups = Scratch.intArg(args, 1, 5);
    int burst = Scratch.intArg(args, 2, 50);
    try (Scratch scratch = Scratch.create("moat-bench-push-"); Moat moat = Moat.start(scratch)) {
      GitRepo repo = GitRepo.create(scratch.dir("git"));
      moat.register("bench", repo.bare());
      moat.addAgent(1);
      System.out.println("Push to done (" + Scratch.machine() + ")");
      latency(moat, repo, warmups, pushes);
      moat.addAgent(1);
      throughput(moat, repo, burst);
    }
  }

  private static void latency(Moat moat, GitRepo repo, int warmups, int pushes) throws Exception {
    var since = MILESTONES.stream().map(Samples::new).toList();
    var stages = MILESTONES.stream().map(Samples::new).toList();
    for (int i = 0; i < warmups + pushes; i++) {
      String before = repo.head();
      String after = repo.commitAndPush("push " + i);
      long[] marks = moat.traceOnePush(before, after);
      if (i < warmups) continue;
      for (int m = 0; m < marks.length; m++) {
        since.get(m).add(marks[m]);
        stages.get(m).add(marks[m] - (m == 0 ? 0 : marks[m - 1]));
      }
    }
    System.out.println("Latency: " + pushes + " pushes one at a time after " + warmups + " warm-ups; 1 agent, capacity 1, bwrap tier");
    System.out.println(Samples.header(WIDTH) + "   (since the webhook POST was sent)");
    since.forEach(s -> System.out.println(s.row(WIDTH)));
    System.out.println(Samples.header(WIDTH) + "   (per stage: since the previous line)");
    stages.forEach(s -> System.out.println(s.row(WIDTH)));
    reportLatency(since.get(3), since.getLast());
  }

  private static void reportLatency(Samples firstStep, Samples done) {
    double p50 = done.percentileMs(50);
    System.out.printf(Locale.ROOT, "  Buildbot 3.7 push webhook -> finished, one-step build: %.0f ms (%s)%n", BUILDBOT_PUSH_TO_DONE_MS, REFERENCE);
    System.out.printf(Locale.ROOT, "  ratio Buildbot / Moat, p50 push -> done: %.1fx (target >= 10x: %s)%n",
        BUILDBOT_PUSH_TO_DONE_MS / p50, BUILDBOT_PUSH_TO_DONE_MS / p50 >= 10 ? "met" : "MISSED");
    double stepP50 = firstStep.percentileMs(50);
    double stepP99 = firstStep.percentileMs(99);
    System.out.printf(Locale.ROOT, "  target first step running p50 <= 50 ms, p99 <= 250 ms: %s (%.2f / %.2f ms)%n",
        stepP50 <= 50 && stepP99 <= 250 ? "met" : "MISSED", stepP50, stepP99);
  }

  private static void throughput(Moat moat, GitRepo repo, int burst) throws Exception {
    String before = repo.head();
    List<String> shas = new ArrayList<>();
    for (int i = 0; i < burst; i++) shas.add(repo.commit("burst " + i));
    repo.push();
    long start = System.nanoTime();
    List<Long> runs = new ArrayList<>();
    for (String sha : shas) {
      runs.add(moat.webhook.push(before, sha).runId());
      before = sha;
    }
    long sent = System.nanoTime();
    int failed = 0;
    for (long run : runs) failed += moat.awaitRunEnd(run, 5).path("status").asString().equals("succeeded") ? 0 : 1;
    long end = System.nanoTime();
    double seconds = (end - start) / 1e9;
    System.out.printf(Locale.ROOT, "Throughput: %d webhooks back to back; 2 agents x capacity 1, bwrap tier%n", burst);
    System.out.printf(Locale.ROOT, "  all done in %.2f s (sending took %.0f ms): %.1f builds/s, %d not succeeded%n",
        seconds, (sent - start) / 1e6, burst / seconds, failed);
    System.out.printf(Locale.ROOT, "  Buildbot 3.7: %.1f builds/s (%s)%n", BUILDBOT_BUILDS_PER_SECOND, REFERENCE);
    System.out.printf(Locale.ROOT, "  ratio Moat / Buildbot builds/s: %.1fx%n", burst / seconds / BUILDBOT_BUILDS_PER_SECOND);
  }

  /** The system under test: one server, its agents, the sandbox tier they share, and the webhook. */
  static final class Moat implements AutoCloseable {
    private final Scratch scratch;
    private final MoatServer server;
    private final ApiClient api;
    private final TimedTier tier = new TimedTier(new BwrapTier(BwrapSettings.defaults()));
    private final List<Agent> agents = new ArrayList<>();
    private Webhook webhook;

    private Moat(Scratch scratch, MoatServer server, String token) {
      this.scratch = scratch;
      this.server = server;
      this.api = new ApiClient(new Target(server.url(), token));
    }

    static Moat start(Scratch scratch) throws IOException {
      Path data = scratch.dir("server");
      MoatServer server = MoatServer.start(ServerConfig.defaults(data, 0));
      String token = (String) Json.read(Files.readString(data.resolve(MoatServer.CREDENTIALS)), Map.class).get("token");
      return new Moat(scratch, server, token);
    }

    /** Registers the bare repository, takes its hook secret, and removes the hook it installed. */
    void register(String name, Path bare) throws IOException {
      api.post("/api/v1/repos", Map.of("name", name, "path", bare.toString()));
      Path hooks = bare.resolve("hooks");
      byte[] secret = Files.readString(hooks.resolve("moat-hook.secret")).trim().getBytes(StandardCharsets.UTF_8);
      Files.delete(hooks.resolve("post-receive"));
      webhook = new Webhook(URI.create(server.url() + "/hooks/git"), name, secret);
    }

    void addAgent(int capacity) throws IOException {
      int n = agents.size() + 1;
      String token = api.post("/api/v1/tokens", Map.of("pool", "default")).path("token").asString();
      var config = new AgentConfig(URI.create(server.url()), scratch.dir("agent-" + n), scratch.root().resolve("work-" + n),
          "bench-" + n, List.of("linux"), capacity, Optional.of(token), Duration.ofSeconds(10));
      agents.add(Agent.start(config, tier));
    }

    /** Sends one push webhook and follows its only job to the end; returns nanos since the POST per milestone. */
    long[] traceOnePush(String before, String after) throws Exception {
      Webhook.Sent sent = webhook.push(before, after);
      JsonNode run = api.get("/api/v1/runs/" + sent.runId());
      long jobId = run.path("jobs").get(0).path("id").asLong();
      JobTimes job = tier.times(jobId);
      job.closed.get(60, TimeUnit.SECONDS);
      run = awaitRunEnd(sent.runId(), 2);
      long done = System.nanoTime();
      if (!run.path("status").asString().equals("succeeded")) throw new IllegalStateException("run did not succeed: " + run);
      JsonNode jobView = run.path("jobs").get(0);
      return new long[] {
        sent.answered() - sent.nanos(),
        sent.sinceWall(jobView.path("startedAt").asLong()),
        job.created - sent.nanos(),
        job.execStarted - sent.nanos(),
        job.execEnded - sent.nanos(),
        job.closed.get() - sent.nanos(),
        sent.sinceWall(run.path("finishedAt").asLong()),
        done - sent.nanos()};
    }

    /** Polls the run every {@code intervalMillis} until its status is terminal. */
    JsonNode awaitRunEnd(long runId, long intervalMillis) throws InterruptedException {
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (true) {
        JsonNode run = api.get("/api/v1/runs/" + runId);
        if (RunStatus.ofWire(run.path("status").asString()).terminal()) return run;
        if (System.nanoTime() - giveUp > 0) throw new IllegalStateException("run " + runId + " did not end: " + run);
        Thread.sleep(intervalMillis);
      }
    }

    @Override
    public void close() {
      agents.forEach(Agent::close);
      server.close();
    }
  }

  /** Sends signed push events to {@code /hooks/git}, as the post-receive hook does. */
  record Webhook(URI uri, String repo, byte[] secret, HttpClient http) {
    /** When a push was sent (monotonic and wall clock), when it was answered, and its run. */
    record Sent(long nanos, Instant wall, long answered, long runId) {
      /** Nanoseconds from sending to an epoch-millisecond server timestamp (ms resolution). */
      long sinceWall(long epochMillis) {
        long wallNanos = wall.getEpochSecond() * 1_000_000_000L + wall.getNano();
        return epochMillis * 1_000_000L - wallNanos;
      }
    }

    Webhook(URI uri, String repo, byte[] secret) {
      this(uri, repo, secret, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());
    }

    Sent push(String before, String after) throws IOException, InterruptedException {
      var event = new LinkedHashMap<String, Object>();
      event.put("repo", repo);
      event.put("delivery", UUID.randomUUID().toString());
      event.put("sentAt", System.currentTimeMillis());
      event.put("ref", "refs/heads/main");
      event.put("before", before);
      event.put("after", after);
      byte[] body = Json.write(event).getBytes(StandardCharsets.UTF_8);
      HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
          .header("Content-Type", "application/json")
          .header("X-Moat-Repo", repo)
          .header("X-Moat-Signature-256", Tokens.hmacSignature(secret, body))
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
      long nanos = System.nanoTime();
      Instant wall = Instant.now();
      HttpResponse<String> res = http.send(request, HttpResponse.BodyHandlers.ofString());
      long answered = System.nanoTime();
      JsonNode runs = res.statusCode() == 202 ? Json.MAPPER.readTree(res.body()).path("runs") : null;
      if (runs == null || runs.size() != 1) throw new IllegalStateException("webhook answered " + res.statusCode() + ": " + res.body());
      return new Sent(nanos, wall, answered, runs.get(0).asLong());
    }
  }

  /** When the agent reached each sandbox call of one job, on {@link System#nanoTime()}. */
  static final class JobTimes {
    volatile long created;
    volatile long execStarted;
    volatile long execEnded;
    final CompletableFuture<Long> closed = new CompletableFuture<>();
  }

  /** The agent's sandbox tier, unchanged, with the time of each call recorded per job. */
  static final class TimedTier implements SandboxTier {
    private final SandboxTier tier;
    private final Map<Long, JobTimes> jobs = new ConcurrentHashMap<>();

    TimedTier(SandboxTier tier) {
      this.tier = tier;
    }

    JobTimes times(long jobId) {
      return jobs.computeIfAbsent(jobId, id -> new JobTimes());
    }

    @Override
    public String name() {
      return tier.name();
    }

    @Override
    public Sandbox create(SandboxSpec spec) throws IOException {
      JobTimes times = times(Long.parseLong(spec.id().substring("job-".length())));
      times.created = System.nanoTime();
      return new TimedSandbox(tier.create(spec), times);
    }
  }

  /** Records the first exec and the close of one job's sandbox. */
  record TimedSandbox(Sandbox sandbox, JobTimes times) implements Sandbox {
    @Override
    public ExecResult exec(List<String> argv, Map<String, String> env, OutputSink output, Instant deadline) throws IOException {
      if (times.execStarted == 0) times.execStarted = System.nanoTime();
      try {
        return sandbox.exec(argv, env, output, deadline);
      } finally {
        if (times.execEnded == 0) times.execEnded = System.nanoTime();
      }
    }

    @Override
    public void kill() {
      sandbox.kill();
    }

    @Override
    public void close() {
      sandbox.close();
      times.closed.complete(System.nanoTime());
    }
  }

  /** A bare repository with the bench workflow, and a work clone that commits and pushes to it. */
  record GitRepo(Path bare, Path work) {
    static GitRepo create(Path dir) throws IOException, InterruptedException {
      var repo = new GitRepo(dir.resolve("bare.git"), dir.resolve("work"));
      git(dir, "init", "-q", "--bare", "-b", "main", repo.bare.toString());
      git(dir, "init", "-q", "-b", "main", repo.work.toString());
      git(repo.work, "remote", "add", "origin", repo.bare.toString());
      Path workflow = Files.createDirectories(repo.work.resolve(".moat/workflows")).resolve("ci.yml");
      Files.writeString(workflow, WORKFLOW);
      git(repo.work, "add", "-A");
      repo.commitAndPush("workflow");
      return repo;
    }

    String head() throws IOException, InterruptedException {
      return git(work, "rev-parse", "HEAD");
    }

    /** A new (empty) commit on main; returns its sha. */
    String commit(String message) throws IOException, InterruptedException {
      git(work, "-c", "user.name=bench", "-c", "user.email=bench@moat.invalid", "commit", "-q", "--allow-empty", "-m", message);
      return head();
    }

    void push() throws IOException, InterruptedException {
      git(work, "push", "-q", "origin", "main");
    }

    String commitAndPush(String message) throws IOException, InterruptedException {
      String sha = commit(message);
      push();
      return sha;
    }

    private static String git(Path dir, String... args) throws IOException, InterruptedException {
      List<String> argv = new ArrayList<>(List.of("git", "-C", dir.toString()));
      argv.addAll(List.of(args));
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor() != 0) throw new IOException(String.join(" ", argv) + " failed: " + out);
      return out;
    }
  }
}
