package dev.moat.dist;

import java.util.Optional;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.Files;
import java.net.URI;
import dev.moat.agent.PoolTier;
import dev.moat.agent.PoolSettings;
import dev.moat.sandbox.net.Egress;
import dev.moat.agent.AgentConfig;
import static org.awaitility.Awaitility.await;

import dev.moat.agent.Agent;
import dev.moat.engine.trust.Change;
import dev.moat.engine.trust.TrustRules;
import dev.moat.engine.trust.TrustTier;
import dev.moat.server.run.RunRequest;
import dev.moat.server.repo.GitReader;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.TestAgent;
import dev.moat.testkit.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * One test's world: a real server, a real git repository registered with it (push hook installed),
 * and optionally a real in-process agent. Closed by the test.
 */
final class Scenario implements AutoCloseable {
  private static final Pattern RUNS = Pattern.compile("runs \\[([0-9, ]*)\\]");
  final TestServer server;
  final GitFixture git;
  final Path dir;
  private final List<Agent> agents = new ArrayList<>();

  private Scenario(Path dir, TestServer server, GitFixture git) {
    this.dir = dir;
    this.server = server;
    this.git = git;
  }

  /** Skips the calling test, printing why, unless this JVM runs as root ({@code needs} says for what). */
  static void assumeRoot(String tests, String needs) {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root) System.out.println("skipping " + tests + ": they need root for " + needs);
    org.junit.jupiter.api.Assumptions.assumeTrue(root, "needs root");
  }

  static Scenario create(Path dir) throws IOException {
    return create(dir, null);
  }

  /** As {@link #create(Path)}, the server placing jobs by the policy {@code policyYaml} (null: the default). */
  static Scenario create(Path dir, String policyYaml) throws IOException {
    return createWith(dir, policyYaml, c -> c);
  }

  /** As {@link #create(Path, String)}, with the test's changes to the server's configuration (e.g. a short hold TTL). */
  static Scenario createWith(Path dir, String policyYaml, java.util.function.UnaryOperator<dev.moat.server.ServerConfig> tweak)
      throws IOException {
    return createWith(dir, policyYaml, tweak, null);
  }

  /** As {@link #createWith(Path, String, java.util.function.UnaryOperator)}, the server with these job credentials and secrets. */
  static Scenario createWith(Path dir, String policyYaml, java.util.function.UnaryOperator<dev.moat.server.ServerConfig> tweak,
      dev.moat.server.ctx.CtxBackends backends) throws IOException {
    TestAgent.assumeSandbox();
    // Workspaces live in here, so the sandbox uid must be able to traverse it (not list it).
    java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    var server = TestServer.startWith(dir.resolve("server"), policyYaml, tweak, backends);
    var git = GitFixture.create(dir.resolve("git"));
    server.addRepo("app", git.bare());
    return new Scenario(dir, server, git);
  }

  Agent agent() throws IOException {
    return agent(1);
  }

  Agent agent(int capacity) throws IOException {
    return agent(capacity, "default", List.of("linux"));
  }

  /** A bwrap agent in this JVM registered to {@code pool}, serving {@code labels}. */
  Agent agent(String pool, List<String> labels) throws IOException {
    return agent(1, pool, labels);
  }

  private Agent agent(int capacity, String pool, List<String> labels) throws IOException {
    Agent a = TestAgent.inProcess(server, dir.resolve("agent-" + agents.size()), workRoot(agents.size()), capacity,
        pool, labels);
    agents.add(a);
    return a;
  }

  /**
   * An agent in this JVM whose pool is {@code pool}, with oci images from the shared test store
   * ({@code /var/tmp/moat-test-images}, built by the sandbox module's tests).
   */
  Agent agent(PoolSettings pool) throws IOException {
    return agent(pool, null);
  }

  /** As {@link #agent(PoolSettings)}, the pool's job networks from {@code egress} (null: Moat's default one). */
  Agent agent(PoolSettings pool, Egress egress) throws IOException {
    return agent("default", pool, egress);
  }

  /** As {@link #agent(PoolSettings)}, registered to the server's pool {@code poolName}. */
  Agent agent(String poolName, PoolSettings pool) throws IOException {
    return agent(poolName, pool, null);
  }

  private Agent agent(String poolName, PoolSettings pool, Egress egress) throws IOException {
    Path scratch = scratchRoot(agents.size());
    var config = new AgentConfig(URI.create(server.url()), dir.resolve("agent-" + agents.size()), workRoot(agents.size()),
        "pool-agent", List.of("linux"), 1, Optional.of(server.registrationToken(poolName)), Duration.ofSeconds(1),
        pool.image(), pool.diskBytes());
    Path images = Path.of("/var/tmp/moat-test-images");
    Agent a = Agent.start(config, egress == null ? PoolTier.create(pool, images, scratch)
        : PoolTier.create(pool, images, scratch, () -> egress));
    agents.add(a);
    return a;
  }

  /** Where the sandboxes of the n-th agent keep their private files (0711, made on first use). */
  Path scratchRoot(int n) throws IOException {
    Path scratch = Files.createDirectories(dir.resolve("scratch-" + n));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwx--x--x"));
    return scratch;
  }

  /** Where the n-th agent of this scenario makes workspaces. */
  Path workRoot(int n) {
    return dir.resolve("work-" + n);
  }

  /** Commits the workflow and pushes; returns the run ids the hook reported. */
  List<Long> push(String workflowYaml) throws IOException {
    git.workflow(workflowYaml).commit("change");
    return runsStarted(git.push());
  }

  /** Commits the workflow and pushes it to {@code branch}; returns the run ids the hook reported. */
  List<Long> pushTo(String branch, String workflowYaml) throws IOException {
    git.workflow(workflowYaml).commit("change on " + branch);
    return runsStarted(git.pushTo(branch));
  }

  private static List<Long> runsStarted(String out) {
    Matcher m = RUNS.matcher(out);
    if (!m.find()) throw new AssertionError("the push started no run: " + out);
    return java.util.Arrays.stream(m.group(1).split(",\\s*")).map(Long::parseLong).toList();
  }

  /**
   * Commits the workflow and pushes it to {@code main} (its triggers must not match pushes there, so
   * that the hook starts nothing), then starts the runs of a pull request from a fork onto {@code
   * main} by a contributor of {@code trust}, as the forge event paths do: decided by {@link
   * TrustRules}, through the server's trust-aware run start. Returns the run ids.
   */
  List<Long> pullRequestBy(TrustTier trust, String workflowYaml) throws IOException {
    String sha = git.workflow(workflowYaml).commit("change from a " + trust.wire() + " contributor");
    git.push();
    var decision = TrustRules.decide(new Change(Change.Kind.PULL_REQUEST, trust, true, false, null));
    var request = RunRequest.pullRequest("refs/pull/1/head", sha, "refs/heads/main", sha,
        new RunRequest.Author("github", 4242, "contributor"));
    return server.runStarter().start("app", request, decision, at -> new GitReader().workflows(git.bare(), at));
  }

  long pushOne(String workflowYaml) throws IOException {
    var runs = push(workflowYaml);
    if (runs.size() != 1) throw new AssertionError("expected one run, got " + runs);
    return runs.getFirst();
  }

  JsonNode awaitRunEnded(long runId) {
    return awaitRun(runId, Duration.ofSeconds(60), s -> !s.equals("queued") && !s.equals("running"));
  }

  JsonNode awaitRun(long runId, Duration max, java.util.function.Predicate<String> status) {
    await().atMost(max).pollInterval(Duration.ofMillis(50))
        .until(() -> status.test(server.run(runId).path("status").asString()));
    return server.run(runId);
  }

  JsonNode awaitJob(long runId, String key, java.util.function.Predicate<String> status) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> status.test(job(server.run(runId), key).path("status").asString()));
    return job(server.run(runId), key);
  }

  static JsonNode job(JsonNode run, String key) {
    for (JsonNode j : run.path("jobs")) if (j.path("key").asString().equals(key)) return j;
    throw new AssertionError("no job " + key + " in " + run);
  }

  @Override
  public void close() {
    agents.forEach(Agent::close);
    server.close();
  }
}
