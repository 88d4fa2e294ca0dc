package dev.moat.dist;

import dev.moat.cli.ApiClient;
import dev.moat.cli.CliException;
import dev.moat.cli.Target;
import dev.moat.common.secret.MasterKey;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/**
 * {@code moat up}: everything on one machine. Starts the server and a local agent in the background
 * (unless they already run), creates the demo repository on first use, pushes its first commit and
 * waits for that run, then says what to do next.
 */
@Command(name = "up", description = "Start a server, a local agent and a demo repository on this machine.")
final class UpCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "8480", description = "Server port.") int port;

  @Override
  public Integer call() throws Exception {
    Path data = Target.dataDir();
    Files.createDirectories(data);
    ensureServer(data);
    var api = new ApiClient(Target.resolve());
    ensureAgent(data, api);
    Path demo = data.resolve("demo");
    long firstRun = new DemoRepo(data, demo).ensure(api);
    JsonNode run = waitFor(api, firstRun);
    print(data, demo, run);
    return run.path("status").asString().equals("succeeded") ? 0 : CliException.FAILED;
  }

  private void ensureServer(Path data) throws IOException, InterruptedException {
    var server = Daemon.in(data, "server");
    if (server.process().isPresent() && healthy(Target.resolve().url())) return;
    server.start(List.of("server", "--port", Integer.toString(port), "--master-key", masterKey(data).toString()));
    String url = "http://127.0.0.1:" + port;
    if (!await(() -> healthy(url) && Files.exists(data.resolve("credentials.json")), Duration.ofSeconds(60))) {
      throw new CliException(CliException.UNAVAILABLE, "the server did not start; see " + server.logFile());
    }
  }

  /** The data directory's master key file, {@value #MASTER_KEY}: generated (v1, mode 0600) if absent, never replaced. */
  static Path masterKey(Path data) throws IOException {
    Path file = data.resolve(MASTER_KEY);
    if (!Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) MasterKey.generate(1).writeNew(file);
    return file;
  }

  static final String MASTER_KEY = "master.key";

  private static void ensureAgent(Path data, ApiClient api) throws IOException, InterruptedException {
    var agent = Daemon.in(data, "agent");
    if (agent.process().isPresent()) return;
    Path credential = data.resolve("agent").resolve("agent.json");
    List<String> args = new java.util.ArrayList<>(List.of("agent", "--name", "local", "--labels", "linux", "--capacity", "2"));
    if (!Files.exists(credential)) {
      args.add("--token");
      args.add(api.post("/api/v1/tokens", Map.of("pool", "default")).path("token").asString());
    }
    agent.start(args);
    if (!await(() -> Files.exists(credential) || agent.process().isEmpty(), Duration.ofSeconds(60)) || agent.process().isEmpty()) {
      throw new CliException(CliException.UNAVAILABLE, "the agent did not start; see " + agent.logFile());
    }
  }

  private static JsonNode waitFor(ApiClient api, long runId) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      JsonNode run = api.get("/api/v1/runs/" + runId);
      String status = run.path("status").asString();
      if (!status.equals("queued") && !status.equals("running")) return run;
      if (System.nanoTime() > deadline) throw new CliException(CliException.FAILED, "run " + runId + " is still " + status);
      Thread.sleep(100);
    }
  }

  private static void print(Path data, Path demo, JsonNode run) {
    String url = Target.resolve().url();
    System.out.println("Moat is up.");
    System.out.println("  server       " + url + "   (logs: " + data.resolve("logs") + ")");
    System.out.println("  credentials  " + data.resolve("credentials.json") + "   (admin token, mode 0600)");
    System.out.println("  master key   " + data.resolve(MASTER_KEY) + "   (seals secrets, mode 0600; back it up)");
    System.out.println("  demo repo    " + demo + "   (each commit is pushed and runs .moat/workflows/ci.yml)");
    System.out.println("  first run    #" + run.path("id").asLong() + " " + run.path("status").asString());
    System.out.println();
    System.out.println("Next:");
    System.out.println("  cd " + demo + " && echo change >> README.md && git commit -qam 'try moat'");
    System.out.println("  ./moat runs                      # the new run");
    System.out.println("  ./moat logs " + run.path("jobs").path(0).path("id").asLong() + "                     # a job's log");
    System.out.println("  ./moat down                      # stop server and agent");
  }

  interface Check {
    boolean ok() throws IOException;
  }

  static boolean await(Check check, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (check.ok()) return true;
      } catch (IOException | RuntimeException e) {
        // not yet
      }
      Thread.sleep(100);
    }
    return false;
  }

  static boolean healthy(String url) {
    try {
      var res = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(url + "/healthz")).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.discarding());
      return res.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
