package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.common.Json;
import dev.moat.common.Tokens;
import dev.moat.common.wire.PollResponse;
import dev.moat.common.wire.RegisterResponse;
import dev.moat.testkit.FakeAgent;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agent credentials are refused when misused (issue 5, must-show 6), through the real HTTP API:
 * registration tokens work once and not after their TTL, an agent's credential is bound to its pool
 * and to the labels it was granted, and a hand-made poll that names another pool and more labels
 * claims nothing (the server reads pool and labels from the credential, never from the poll).
 */
class AgentCredentialsTest {
  static final String POLICY = """
      trust: {trusted: bwrap, known: oci, unknown: oci}
      pools:
        - {name: pool-a, tier: bwrap, labels: [linux]}
        - {name: pool-b, tier: bwrap, labels: [linux, gpu]}
      """;
  private final HttpClient http = HttpClient.newHttpClient();
  @TempDir Path dir;
  TestServer server;
  GitFixture git;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.withPolicy(dir.resolve("server"), POLICY);
    git = GitFixture.create(dir.resolve("git"));
    server.addRepo("app", git.bare());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void aReusedRegistrationTokenIsRefused() throws Exception {
    String token = server.registrationToken("pool-a");
    assertThat(FakeAgent.register(server.url(), token, List.of("linux")).status()).isEqualTo(201);
    var again = FakeAgent.register(server.url(), token, List.of("linux"));
    assertThat(again.status()).isEqualTo(401);
    assertThat(detail(again.body())).isEqualTo("registration token is unknown, expired or already used");
  }

  @Test
  void registrationTokensAndAgentCredentialsAreStoredOnlyAsHashes() throws Exception {
    String token = server.registrationToken("pool-a");
    String credential = FakeAgent.register(server.url(), token, List.of("linux")).as(RegisterResponse.class).credential();
    String db = databaseBytes();
    assertThat(db).doesNotContain(token).doesNotContain(credential)
        .contains(Tokens.hash(token)).contains(Tokens.hash(credential));
  }

  @Test
  void aRegistrationTokenPastItsTtlIsRefused() throws Exception {
    var made = server.api().post("/api/v1/tokens", Map.of("pool", "pool-a", "ttlSeconds", 1));
    Instant expires = Instant.parse(made.path("expiresAt").asString());
    await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(expires));
    var late = FakeAgent.register(server.url(), made.path("token").asString(), List.of("linux"));
    assertThat(late.status()).isEqualTo(401);
    assertThat(detail(late.body())).isEqualTo("registration token is unknown, expired or already used");
  }

  @Test
  void anAgentOfPoolANeverClaimsAJobPlacedForPoolBWhateverItsPollSays() throws Exception {
    git.workflow("on: push\njobs: {a: {runs-on: [linux, gpu], steps: [{run: 'true'}]}}\n").commit("c");
    git.push();
    var a = FakeAgent.registered(server, "pool-a", List.of("linux"));

    // A poll that names pool B and B's labels: fields the protocol doesn't have, refused outright.
    var forged = poll(a.credential(), """
        {"capacity": 1, "running": [], "tier": "bwrap", "pool": "pool-b", "labels": ["linux", "gpu"]}""");
    assertThat(forged.statusCode()).isEqualTo(400);
    assertThat(detail(forged.body())).startsWith("malformed JSON: ").contains("\"pool\"");
    // The protocol's own fields, as the agent could set them: still nothing for pool A's agent.
    var handMade = poll(a.credential(), """
        {"capacity": 8, "running": [], "tier": "microvm"}""");
    assertThat(handMade.statusCode()).isEqualTo(200);
    assertThat(Json.read(handMade.body(), PollResponse.class).assignments()).as("pool A's agent").isEmpty();

    var b = FakeAgent.registered(server, "pool-b", List.of("linux", "gpu"));
    assertThat(b.poll(1, List.of()).assignments()).as("pool B's agent").hasSize(1);
  }

  @Test
  void anAgentCannotRegisterForLabelsItsPoolDoesNotGrantAndItsTokenStaysUnused() throws Exception {
    String token = server.registrationToken("pool-a");
    var greedy = FakeAgent.register(server.url(), token, List.of("linux", "gpu"));
    assertThat(greedy.status()).isEqualTo(403);
    assertThat(detail(greedy.body())).isEqualTo("pool pool-a grants labels linux; not gpu");
    assertThat(FakeAgent.register(server.url(), token, List.of("linux")).as(RegisterResponse.class).labels())
        .containsExactly("linux");
  }

  @Test
  void aTokenGrantsOnlyTheLabelsItNamesWithinItsPool() throws Exception {
    String token = server.api().post("/api/v1/tokens", Map.of("pool", "pool-b", "labels", List.of("linux"))).path("token").asString();
    var greedy = FakeAgent.register(server.url(), token, List.of("linux", "gpu"));
    assertThat(greedy.status()).isEqualTo(403);
    assertThat(detail(greedy.body())).isEqualTo("the registration token grants labels linux; not gpu");

    var beyondPool = post("/api/v1/tokens", server.token(), Map.of("pool", "pool-a", "labels", List.of("gpu")));
    assertThat(beyondPool.statusCode()).isEqualTo(400);
    assertThat(detail(beyondPool.body())).isEqualTo("pool pool-a grants labels linux; not gpu");

    git.workflow("on: push\njobs: {a: {runs-on: [linux, gpu], steps: [{run: 'true'}]}}\n").commit("c");
    git.push();
    var linuxOnly = FakeAgent.registered(server, "pool-b", List.of("linux"));
    assertThat(linuxOnly.poll(1, List.of()).assignments()).as("an agent of B without the gpu grant").isEmpty();
  }

  @Test
  void moatTokenCreateGrantsTheLabelsItIsGiven() throws Exception {
    var made = CliTest.moat(server, "token", "create", "--pool", "pool-b", "--label", "linux", "--ttl", "PT5M");
    assertThat(made.code()).as(made.err()).isZero();
    String token = made.out().strip();
    assertThat(token).startsWith("moat_reg_");
    assertThat(FakeAgent.register(server.url(), token, List.of("gpu")).status()).isEqualTo(403);
    assertThat(FakeAgent.register(server.url(), token, List.of("linux")).as(RegisterResponse.class).pool()).isEqualTo("pool-b");
  }

  private HttpResponse<String> poll(String credential, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/agent/poll"))
        .header("Authorization", "Bearer " + credential).header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String bearer, Object body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.url() + path))
        .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(Json.write(body))).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The SQLite file and its write-ahead log, as bytes anyone with the disk would read. */
  private String databaseBytes() throws Exception {
    var out = new StringBuilder();
    for (String name : List.of("moat.db", "moat.db-wal")) {
      Path f = server.dataDir().resolve(name);
      if (Files.exists(f)) out.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
    }
    return out.toString();
  }

  private static String detail(String problem) {
    return Json.MAPPER.readTree(problem).path("detail").asString();
  }
}
