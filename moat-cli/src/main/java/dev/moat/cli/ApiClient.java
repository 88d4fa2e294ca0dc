package dev.moat.cli;

import dev.moat.common.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The CLI's HTTP client for {@code /api/v1}. Maps failures to {@link CliException} exit codes:
 * 401/403 to 3, other 4xx to 2, 5xx and connection failures to 4. Thread-safe.
 */
public final class ApiClient {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Target target;

  public ApiClient(Target target) {
    this.target = target;
  }

  public JsonNode get(String path) {
    return send(request(path, Duration.ofSeconds(90)).GET().build());
  }

  public JsonNode post(String path, Map<String, ?> body) {
    return send(request(path, Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)))
        .build());
  }

  public JsonNode put(String path, Map<String, ?> body) {
    return send(request(path, Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(Json.write(body)))
        .build());
  }

  public JsonNode delete(String path) {
    return send(request(path, Duration.ofSeconds(60)).DELETE().build());
  }

  private HttpRequest.Builder request(String path, Duration timeout) {
    return HttpRequest.newBuilder(URI.create(target.url() + path)).timeout(timeout)
        .header("Authorization", "Bearer " + target.token());
  }

  private JsonNode send(HttpRequest req) {
    HttpResponse<String> res;
    try {
      res = http.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new CliException(CliException.UNAVAILABLE, "cannot reach the server at " + target.url() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(CliException.UNAVAILABLE, "interrupted");
    }
    int status = res.statusCode();
    if (status < 300) return res.body().isEmpty() ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(res.body());
    String detail = detail(res.body());
    if (status == 401 || status == 403) throw new CliException(CliException.UNAUTHORISED, detail);
    if (status == 503) throw new CliException(CliException.UNAVAILABLE, detail);
    if (status >= 500) throw new CliException(CliException.UNAVAILABLE, "server error: " + detail);
    throw new CliException(CliException.USAGE, detail);
  }

  private static String detail(String body) {
    try {
      JsonNode problem = Json.MAPPER.readTree(body);
      return problem.path("detail").asString(body);
    } catch (RuntimeException e) {
      return body;
    }
  }
}
