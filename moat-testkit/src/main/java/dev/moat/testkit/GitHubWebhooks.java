package dev.moat.testkit;

import dev.moat.common.Json;
import dev.moat.common.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The real GitHub webhook payloads of {@code src/main/resources/github} (see its README), loaded as
 * mutable trees so that tests can set field values, and delivered to a server as GitHub does:
 * {@code X-GitHub-Event}, {@code X-GitHub-Delivery}, {@code X-Hub-Signature-256} over the exact
 * bytes sent. Thread-safe.
 */
public final class GitHubWebhooks {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private GitHubWebhooks() {}

  /** A fixture, e.g. {@code pull_request.opened}. */
  public static ObjectNode load(String name) {
    try (InputStream in = GitHubWebhooks.class.getResourceAsStream("/github/" + name + ".json")) {
      if (in == null) throw new IllegalArgumentException("no fixture github/" + name + ".json");
      return (ObjectNode) Json.MAPPER.readTree(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Points every {@code repository} object of a payload at {@code owner/name} with id {@code id}. */
  public static void repository(ObjectNode payload, String owner, String name, long id) {
    for (JsonNode r : payload.findParents("full_name")) {
      var repo = (ObjectNode) r;
      if (!repo.has("owner")) continue;
      repo.put("full_name", owner + "/" + name).put("name", name).put("id", id).put("fork", false);
      ((ObjectNode) repo.path("owner")).put("login", owner);
    }
  }

  /** Sets a user object ({@code sender}, {@code pull_request.user}, ...) to this GitHub account. */
  public static void user(JsonNode userNode, long id, String login) {
    ((ObjectNode) userNode).put("id", id).put("login", login);
  }

  /** A fresh delivery id, as GitHub makes them. */
  public static String newDelivery() {
    return UUID.randomUUID().toString();
  }

  /** Delivers {@code payload} signed with {@code secret}; the response status and body. */
  public static HttpResponse<String> deliver(String serverUrl, String event, String delivery, String secret, JsonNode payload) {
    byte[] body = Json.write(payload).getBytes(StandardCharsets.UTF_8);
    return send(serverUrl, event, delivery, secret == null ? null : Tokens.hmacSignature(secret.getBytes(StandardCharsets.UTF_8), body), body);
  }

  /** Delivers raw {@code body} with the given signature header (null: none). */
  public static HttpResponse<String> send(String serverUrl, String event, String delivery, String signature, byte[] body) {
    var req = HttpRequest.newBuilder(URI.create(serverUrl + "/hooks/github"))
        .header("Content-Type", "application/json")
        .header("User-Agent", "GitHub-Hookshot/fake")
        .header("X-GitHub-Event", event)
        .header("X-GitHub-Delivery", delivery)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (signature != null) req.header("X-Hub-Signature-256", signature);
    try {
      return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
