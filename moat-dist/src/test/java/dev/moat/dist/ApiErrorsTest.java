package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Json;
import dev.moat.testkit.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad API calls get RFC 9457 problems with the right status, and change nothing. */
class ApiErrorsTest {
  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start(dir.resolve("server"));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> call(String method, String path, String body, boolean auth) throws Exception {
    var req = HttpRequest.newBuilder(URI.create(server.url() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (auth) req.header("Authorization", "Bearer " + server.token());
    return HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertProblem(HttpResponse<String> res, int status, String detail) {
    assertThat(res.statusCode()).isEqualTo(status);
    assertThat(res.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    var problem = Json.MAPPER.readTree(res.body());
    assertThat(problem.path("status").asInt()).isEqualTo(status);
    assertThat(problem.path("detail").asString()).contains(detail);
  }

  @Test
  void missingOrWrongTokenIs401() throws Exception {
    assertProblem(call("GET", "/api/v1/runs", null, false), 401, "bearer token");
    var forged = HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/runs")).header("Authorization", "Bearer moat_admin_x").build();
    assertThat(HttpClient.newHttpClient().send(forged, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
  }

  @Test
  void badQueryParametersAre400() throws Exception {
    assertProblem(call("GET", "/api/v1/runs?limit=abc", null, true), 400, "limit must be a whole number");
    assertProblem(call("GET", "/api/v1/runs?limit=100000", null, true), 400, "limit");
  }

  @Test
  void malformedOrIncompleteJsonIs400() throws Exception {
    assertProblem(call("POST", "/api/v1/runs", "{not json", true), 400, "malformed JSON");
    assertProblem(call("POST", "/api/v1/runs", "{\"repo\":\"x\",\"ref\":\"main\",\"extra\":1}", true), 400, "extra");
    assertProblem(call("POST", "/api/v1/runs", "{\"repo\":\"nope\",\"ref\":\"main\"}", true), 404, "no repository nope");
  }

  @Test
  void registeringSomethingThatIsNotABareRepositoryStoresNothing() throws Exception {
    Path plain = Files.createDirectories(dir.resolve("plain"));
    assertProblem(call("POST", "/api/v1/repos", "{\"name\":\"x\",\"path\":\"" + plain + "\"}", true), 400, "not a bare git repository");
    assertProblem(call("POST", "/api/v1/repos", "{\"name\":\"../x\",\"path\":\"" + plain + "\"}", true), 400, "repository name");
    assertThat(server.api().get("/api/v1/repos")).isEmpty();
    assertThat(plain.resolve("hooks")).doesNotExist();
  }

  @Test
  void unknownEndpointIs404() throws Exception {
    assertProblem(call("GET", "/api/v1/nothing-here", null, true), 404, "no such endpoint");
  }

  @Test
  void healthAndReadinessAnswerWithoutAToken() throws Exception {
    assertThat(call("GET", "/healthz", null, false).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/readyz", null, false).body()).contains("\"database\":\"ok\"", "\"migrations\":\"ok\"");
  }
}
