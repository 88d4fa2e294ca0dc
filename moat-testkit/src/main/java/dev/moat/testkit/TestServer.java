package dev.moat.testkit;

import dev.moat.cli.ApiClient;
import dev.moat.cli.Target;
import dev.moat.common.Json;
import dev.moat.server.MoatServer;
import dev.moat.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * A real orchestrator on a free port over a temporary data directory, with short deadlines so
 * that lease and ack tests finish quickly: ack 2 s, lease 3 s, poll 1 s, reaper every 100 ms.
 * {@link #restart()} stops it and starts it again on the same port and data.
 */
public final class TestServer implements AutoCloseable {
  public static final Duration LEASE = Duration.ofSeconds(3);
  private final Path dataDir;
  private ServerConfig config;
  private MoatServer server;
  private String token;
  private dev.moat.server.ctx.CtxBackends backends;

  private TestServer(Path dataDir) {
    this.dataDir = dataDir;
  }

  public static TestServer start(Path dataDir) throws IOException {
    return startWith(dataDir, null, c -> c);
  }

  /** With the placement policy {@code policyYaml}, written next to the data directory. */
  public static TestServer withPolicy(Path dataDir, String policyYaml) throws IOException {
    return startWith(dataDir, policyYaml, c -> c);
  }

  /**
   * With the placement policy {@code policyYaml} (null: the default policy), written next to the data
   * directory, and the test's own changes to the configuration (e.g. a short hold TTL), applied last.
   */
  public static TestServer startWith(Path dataDir, String policyYaml, java.util.function.UnaryOperator<ServerConfig> tweak)
      throws IOException {
    return startWith(dataDir, policyYaml, tweak, null);
  }

  /** As {@link #startWith(Path, String, java.util.function.UnaryOperator)}, with the job credentials and secrets given. */
  public static TestServer startWith(Path dataDir, String policyYaml, java.util.function.UnaryOperator<ServerConfig> tweak,
      dev.moat.server.ctx.CtxBackends backends) throws IOException {
    var config = ServerConfig.defaults(dataDir, 0)
        .withTimings(Duration.ofSeconds(2), LEASE, Duration.ofSeconds(1), Duration.ofMillis(100));
    if (policyYaml != null) {
      Path file = dataDir.resolveSibling(dataDir.getFileName() + "-policy.yml");
      Files.createDirectories(file.getParent());
      Files.writeString(file, policyYaml);
      config = config.withPolicy(file);
    }
    var s = new TestServer(dataDir);
    s.config = tweak.apply(config);
    s.backends = backends;
    s.boot();
    return s;
  }

  private void boot() throws IOException {
    server = MoatServer.start(config, java.time.InstantSource.system(), backends);
    token = (String) Json.read(Files.readString(dataDir.resolve(MoatServer.CREDENTIALS)), Map.class).get("token");
    config = config.withAddress(config.host(), server.port());
  }

  public void stop() {
    server.close();
  }

  public void restart() throws IOException {
    stop();
    boot();
  }

  /** Stops it and starts it again on the same data directory and port with a changed configuration (e.g. other master keys). */
  public void restart(java.util.function.UnaryOperator<ServerConfig> tweak) throws IOException {
    stop();
    config = tweak.apply(config);
    boot();
  }

  public String url() {
    return server.url();
  }

  public String token() {
    return token;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The server's trust-aware run start, to start a change's runs with a given trust decision. */
  public dev.moat.server.run.RunStarter runStarter() {
    return server.runStarter();
  }

  /** The server's secret store (what the ctx routes read through), to check values in this JVM. */
  public dev.moat.server.secret.SecretStore secrets() {
    return server.secrets();
  }

  public ApiClient api() {
    return new ApiClient(new Target(url(), token));
  }

  public String registrationToken(String pool) {
    return api().post("/api/v1/tokens", Map.of("pool", pool)).path("token").asString();
  }

  public void addRepo(String name, Path bare) {
    api().post("/api/v1/repos", Map.of("name", name, "path", bare.toString()));
  }

  public JsonNode run(long id) {
    return api().get("/api/v1/runs/" + id);
  }

  public JsonNode runs() {
    return api().get("/api/v1/runs?limit=500");
  }

  /** The job's whole stored log, as the API returns it. */
  public String log(long jobId) {
    var out = new StringBuilder();
    long from = 0;
    while (true) {
      JsonNode page = api().get("/api/v1/jobs/" + jobId + "/logs?from=" + from);
      if (page.path("chunks").isEmpty()) return out.toString();
      for (JsonNode c : page.path("chunks")) out.append(c.path("data").asString());
      from = page.path("next").asLong();
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
