import dev.moat.agent.Agent;
import dev.moat.agent.AgentConfig;
import dev.moat.common.Json;
import dev.moat.common.Tokens;
import dev.moat.engine.RunStatus;
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
import java.net.http.HttpTimeoutException;
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
import java.util.concurrent.TimeoutException;
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
 *       now; the step's own first instruction runs one bwrap start later, see SandboxStart). A log
 *       line visible through the API would come later still, by the agent's log flush (up to 50 ms,
 *       or when the job ends), so it is not used;
 *   <li>the step's exec returned, the sandbox was closed;
 *   <li>the run's {@code finishedAt} (server clock, ms resolution);
 *   <li><b>done</b>: a client polling {@code GET /api/v1/runs/{id}} every 2 ms sees the run succeeded.
 *       To keep the observer from loading the 2 cores during the build, polling starts when the
 *       agent closed the sandbox (known in-process); the run is never terminal before that.
 * </ul>
 *
 * <p>Throughput: a second agent (capacity 1) joins, so 2 jobs run at once; K commits are pushed
 * in one git push, then K webhooks are sent back to back (each waiting for its 202); builds/s is K
 * over the time from the first POST until a client (polling every 5 ms) saw the last run end.
 *
 * <p>Every wait is bounded: if the in-process server or agents stop answering, the bench says
 * whether virtual threads can still run (see README: sandbox output pumps can block every carrier),
 * kills its sandboxes, deletes its files and exits non-zero.
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
  private static final int FIRST_STEP = 3;
  private static final int WIDTH = 44;
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(15);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  public static void main(String[] args) throws Exception {
    if (System.getProperty("MOAT_LOG_LEVEL") == null && System.getenv("MOAT_LOG_LEVEL") == null) {
      System.setProperty("MOAT_LOG_LEVEL", "WARN");
    }
    int pushes = Scratch.intArg(args, 0, 50);
    int warmups = Scratch.intArg(args, 1, 5);
    int burst = Scratch.intArg(args, 2, 50);
    Scratch scratch = Scratch.create("moat-bench-push-");
    Moat moat = null;
    int exit = 0;
    try {
      moat = Moat.start(scratch);
      GitRepo repo = GitRepo.create(scratch.dir("git"));
      moat.register("bench", repo.bare());
      moat.addAgent(1);
      System.out.println("Push to done (" + Scratch.machine() + ", " + carriers() + " virtual-thread carriers)");
      long lastRun = latency(moat, repo, warmups, pushes);
      roundTrips(moat, lastRun, 200);
      moat.addAgent(1);
      throughput(moat, repo, burst);
    } catch (Exception e) {
      System.out.flush();
      e.printStackTrace();
      exit = 1;
    } finally {
      if (!shutDown(moat, scratch)) exit = 2;
    }
    if (exit != 0) System.exit(exit);
  }

  /** Runs the latency pushes and prints their milestones; returns the last run's id. */
  private static long latency(Moat moat, GitRepo repo, int warmups, int pushes) throws Exception {
    var since = MILESTONES.stream().map(Samples::new).toList();
    var stages = MILESTONES.stream().map(Samples::new).toList();
    long lastRun = 0;
    for (int i = 0; i < warmups + pushes; i++) {
      String before = repo.head();
      String after = repo.commitAndPush("push " + i);
      Webhook.Sent sent = moat.webhook.push(before, after);
      long[] marks = moat.trace(sent);
      lastRun = sent.runId();
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
    reportLatency(since.get(FIRST_STEP), since.getLast());
    return lastRun;
  }

  private static void reportLatency(Samples firstStep, Samples done) {
    double ratio = BUILDBOT_PUSH_TO_DONE_MS / done.percentileMs(50);
    System.out.printf(Locale.ROOT, "  Buildbot 3.7 push webhook -> finished, one-step build: %.0f ms (%s)%n", BUILDBOT_PUSH_TO_DONE_MS, REFERENCE);
    System.out.printf(Locale.ROOT, "  ratio Buildbot / Moat, p50 push -> done: %.1fx (target >= 10x: %s)%n", ratio, ratio >= 10 ? "met" : "MISSED");
    double p50 = firstStep.percentileMs(50);
    double p99 = firstStep.percentileMs(99);
    System.out.printf(Locale.ROOT, "  target first step running p50 <= 50 ms, p99 <= 250 ms: %s (%.2f / %.2f ms)%n",
        p50 <= 50 && p99 <= 250 ? "met" : "MISSED", p50, p99);
  }

  /** Calibration: what one API round trip costs on this idle system, to read the stages above. */
  private static void roundTrips(Moat moat, long runId, int count) throws IOException, InterruptedException {
    var health = new Samples("GET /healthz");
    var run = new Samples("GET /api/v1/runs/{id} (the done poll)");
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      moat.api.get("/healthz");
      long mid = System.nanoTime();
      moat.api.get("/api/v1/runs/" + runId);
      health.add(mid - start);
      run.add(System.nanoTime() - mid);
    }
    System.out.println("API round trips on the idle system, " + count + " each (HTTP/1.1, warm connection)");
    System.out.println(Samples.header(WIDTH));
    System.out.println(health.row(WIDTH));
    System.out.println(run.row(WIDTH));
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
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(Locale.ROOT, "Throughput: %d webhooks back to back; 2 agents x capacity 1, bwrap tier%n", burst);
    System.out.printf(Locale.ROOT, "  all done in %.2f s (sending took %.0f ms): %.1f builds/s, %d not succeeded%n",
        seconds, (sent - start) / 1e6, burst / seconds, failed);
    System.out.printf(Locale.ROOT, "  Buildbot 3.7: %.1f builds/s (%s)%n", BUILDBOT_BUILDS_PER_SECOND, REFERENCE);
    System.out.printf(Locale.ROOT, "  ratio Moat / Buildbot builds/s: %.1fx%n", burst / seconds / BUILDBOT_BUILDS_PER_SECOND);
  }

  /**
   * Stops agents and server within {@link #CLOSE_TIMEOUT}, then deletes the scratch directory.
   * When they do not stop (a frozen agent cannot even be closed), it first kills the sandboxes (this
   * JVM's child processes, by pid) and returns false: the caller must exit the JVM.
   */
  private static boolean shutDown(Moat moat, Scratch scratch) throws InterruptedException {
    boolean closed = moat == null || Thread.ofPlatform().daemon().start(moat::close).join(CLOSE_TIMEOUT);
    if (!closed) {
      System.err.println("bench: agents or server did not stop within " + CLOSE_TIMEOUT + "; killing their sandboxes. " + diagnosis());
      ProcessHandle.current().children().forEach(ProcessHandle::destroyForcibly);
    }
    scratch.close();
    return closed;
  }

  /** How many platform threads carry virtual threads in this JVM. */
  private static int carriers() {
    return Integer.getInteger("jdk.virtualThreadScheduler.parallelism", Runtime.getRuntime().availableProcessors());
  }

  /** Whether virtual threads can still run; when not, the in-process server and agents are frozen. */
  private static String diagnosis() throws InterruptedException {
    if (Thread.ofVirtual().start(() -> {}).join(Duration.ofSeconds(2))) return "Virtual threads still run.";
    return "No virtual thread can run: all " + carriers() + " carriers are blocked (sandbox output pumps block in FIFO reads"
        + " and pin their carriers; see bench/README.md).";
  }

  /** The system under test: one server, its agents, the sandbox tier they share, and the webhook. */
  static final class Moat implements AutoCloseable {
    private final Scratch scratch;
    private final MoatServer server;
    private final Api api;
    private final TimedTier tier;
    private final List<Agent> agents = new ArrayList<>();
    private Webhook webhook;

    private Moat(Scratch scratch, MoatServer server, Api api, TimedTier tier) {
      this.scratch = scratch;
      this.server = server;
      this.api = api;
      this.tier = tier;
    }

    static Moat start(Scratch scratch) throws IOException {
      var tier = new TimedTier(new BwrapTier(scratch.bwrapSettings()));
      Path data = scratch.dir("server");
      MoatServer server = MoatServer.start(ServerConfig.defaults(data, 0));
      String token = (String) Json.read(Files.readString(data.resolve(MoatServer.CREDENTIALS)), Map.class).get("token");
      return new Moat(scratch, server, new Api(server.url(), token), tier);
    }

    /** Registers the bare repository, takes its hook secret, and removes the hook it installed. */
    void register(String name, Path bare) throws IOException, InterruptedException {
      api.post("/api/v1/repos", Map.of("name", name, "path", bare.toString()));
      Path hooks = bare.resolve("hooks");
      byte[] secret = Files.readString(hooks.resolve("moat-hook.secret")).trim().getBytes(StandardCharsets.UTF_8);
      Files.delete(hooks.resolve("post-receive"));
      webhook = new Webhook(URI.create(server.url() + "/hooks/git"), name, secret);
    }

    void addAgent(int capacity) throws IOException, InterruptedException {
      int n = agents.size() + 1;
      String token = api.post("/api/v1/tokens", Map.of("pool", "default")).path("token").asString();
      var config = new AgentConfig(URI.create(server.url()), scratch.dir("agent-" + n), scratch.root().resolve("work-" + n),
          "bench-" + n, List.of("linux"), capacity, Optional.of(token), Duration.ofSeconds(10));
      agents.add(Agent.start(config, tier));
    }

    /** Follows the only job of a pushed run to the end; returns nanos since the POST per milestone. */
    long[] trace(Webhook.Sent sent) throws Exception {
      long jobId = api.get("/api/v1/runs/" + sent.runId()).path("jobs").get(0).path("id").asLong();
      JobTimes job = tier.times(jobId);
      long closed = awaitClosed(job, jobId);
      JsonNode run = awaitRunEnd(sent.runId(), 2);
      long done = System.nanoTime();
      if (!run.path("status").asString().equals("succeeded")) throw new IllegalStateException("run did not succeed: " + run);
      return new long[] {
        sent.answered() - sent.nanos(),
        sent.sinceWall(run.path("jobs").get(0).path("startedAt").asLong()),
        job.created - sent.nanos(),
        job.execStarted - sent.nanos(),
        job.execEnded - sent.nanos(),
        closed - sent.nanos(),
        sent.sinceWall(run.path("finishedAt").asLong()),
        done - sent.nanos()};
    }

    private static long awaitClosed(JobTimes job, long jobId) throws Exception {
      try {
        return job.closed.get(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new IllegalStateException("job " + jobId + " did not close its sandbox within " + RUN_TIMEOUT + ". " + diagnosis(), e);
      }
    }

    /** Polls the run every {@code intervalMillis} until its status is terminal. */
    JsonNode awaitRunEnd(long runId, long intervalMillis) throws IOException, InterruptedException {
      long giveUp = System.nanoTime() + RUN_TIMEOUT.toNanos();
      while (true) {
        JsonNode run = api.get("/api/v1/runs/" + runId);
        if (RunStatus.ofWire(run.path("status").asString()).terminal()) return run;
        if (System.nanoTime() - giveUp > 0) throw new IllegalStateException("run " + runId + " did not end within " + RUN_TIMEOUT + ": " + run);
        Thread.sleep(intervalMillis);
      }
    }

    @Override
    public void close() {
      agents.forEach(Agent::close);
      server.close();
    }
  }

  /** The admin API with short timeouts, so that a frozen server shows as an error, not a hang. */
  record Api(String base, String token) {
    JsonNode get(String path) throws IOException, InterruptedException {
      return send(request(path).GET());
    }

    JsonNode post(String path, Map<String, ?> body) throws IOException, InterruptedException {
      return send(request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(Json.write(body))));
    }

    private HttpRequest.Builder request(String path) {
      return HttpRequest.newBuilder(URI.create(base + path)).timeout(HTTP_TIMEOUT).header("Authorization", "Bearer " + token);
    }

    private static JsonNode send(HttpRequest.Builder request) throws IOException, InterruptedException {
      HttpResponse<String> res = PushToDone.send(request.build());
      if (res.statusCode() >= 300) throw new IOException(res.request().uri() + " answered " + res.statusCode() + ": " + res.body());
      return Json.MAPPER.readTree(res.body());
    }
  }

  /** Sends with {@link #HTTP}; a timeout says whether the in-process system is frozen. */
  static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    try {
      return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new IOException(request.method() + " " + request.uri() + " got no answer within " + HTTP_TIMEOUT + ". " + diagnosis(), e);
    }
  }

  /** Sends signed push events to {@code /hooks/git}, as the post-receive hook does. */
  record Webhook(URI uri, String repo, byte[] secret) {
    /** When a push was sent (monotonic and wall clock), when it was answered, and its run. */
    record Sent(long nanos, Instant wall, long answered, long runId) {
      /** Nanoseconds from sending to an epoch-millisecond server timestamp (ms resolution). */
      long sinceWall(long epochMillis) {
        return epochMillis * 1_000_000L - (wall.getEpochSecond() * 1_000_000_000L + wall.getNano());
      }
    }

    Sent push(String before, String after) throws IOException, InterruptedException {
      byte[] body = event(before, after);
      HttpRequest request = HttpRequest.newBuilder(uri).timeout(HTTP_TIMEOUT)
          .header("Content-Type", "application/json")
          .header("X-Moat-Repo", repo)
          .header("X-Moat-Signature-256", Tokens.hmacSignature(secret, body))
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
      long nanos = System.nanoTime();
      Instant wall = Instant.now();
      HttpResponse<String> res = PushToDone.send(request);
      long answered = System.nanoTime();
      JsonNode runs = res.statusCode() == 202 ? Json.MAPPER.readTree(res.body()).path("runs") : null;
      if (runs == null || runs.size() != 1) throw new IOException("webhook answered " + res.statusCode() + ": " + res.body());
      return new Sent(nanos, wall, answered, runs.get(0).asLong());
    }

    /** The body the post-receive hook sends for a push of main from {@code before} to {@code after}. */
    private byte[] event(String before, String after) {
      var event = new LinkedHashMap<String, Object>();
      event.put("repo", repo);
      event.put("delivery", UUID.randomUUID().toString());
      event.put("sentAt", System.currentTimeMillis());
      event.put("ref", "refs/heads/main");
      event.put("before", before);
      event.put("after", after);
      return Json.write(event).getBytes(StandardCharsets.UTF_8);
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

    /** The agent names each job's sandbox {@code job-<id>}. */
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
