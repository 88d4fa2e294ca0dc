package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Tokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Bad workflow files and forged or replayed hook deliveries are refused cleanly. */
class BadInputTest {
  @TempDir Path dir;

  @Test
  void invalidYamlGivesAConfigurationErrorWithFileLineAndColumn() throws Exception {
    try (var s = Scenario.create(dir)) {
      long run = s.pushOne("""
          on: push
          jobs:
            build:
              steps:
                - run: echo ok
              tiemout: 5m
          """);
      JsonNode result = s.server.run(run);
      assertThat(result.path("status").asString()).isEqualTo("error");
      assertThat(result.path("jobs")).isEmpty();
      assertThat(result.path("error").asString())
          .startsWith(".moat/workflows/ci.yml:6:5: ")
          .contains("unknown key 'tiemout'");
    }
  }

  @Test
  void aliasBombIsRefusedWithoutHarm() throws Exception {
    try (var s = Scenario.create(dir)) {
      var bomb = new StringBuilder("on: push\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
      for (char c = 'b'; c <= 'j'; c++) {
        char p = (char) (c - 1);
        bomb.append(c).append(": &").append(c).append(" [*").append(p).append(",*").append(p).append(",*").append(p)
            .append(",*").append(p).append(",*").append(p).append(",*").append(p).append(",*").append(p).append(",*").append(p)
            .append(",*").append(p).append("]\n");
      }
      bomb.append("jobs: {x: {steps: [{run: 'true'}]}}\n");
      long run = s.pushOne(bomb.toString());
      JsonNode result = s.server.run(run);
      assertThat(result.path("status").asString()).isEqualTo("error");
      assertThat(result.path("error").asString()).contains(".moat/workflows/ci.yml:").contains("alias");
      assertThat(s.server.api().get("/api/v1/runs").size()).isEqualTo(1);
    }
  }

  @Test
  void tenMegabyteWorkflowIsRefusedBeforeParsing() throws Exception {
    try (var s = Scenario.create(dir)) {
      String huge = "on: push\njobs: {x: {steps: [{run: 'true'}]}}\n# " + "x".repeat(10 << 20) + "\n";
      long run = s.pushOne(huge);
      JsonNode result = s.server.run(run);
      assertThat(result.path("status").asString()).isEqualTo("error");
      assertThat(result.path("error").asString()).startsWith(".moat/workflows/ci.yml:1:1: ").contains("limit");
    }
  }

  @Test
  void unsignedOrBadlySignedHookDeliveriesGet401AndStoreNothing() throws Exception {
    try (var s = Scenario.create(dir)) {
      String sha = s.git.workflow("on: push\njobs: {x: {steps: [{run: 'true'}]}}\n").commit("c");
      byte[] body = event("d-0000001", sha).getBytes(StandardCharsets.UTF_8);
      assertThat(hook(s, body, null)).isEqualTo(401);
      assertThat(hook(s, body, "sha256=" + "0".repeat(64))).isEqualTo(401);
      assertThat(hook(s, body, Tokens.hmacSignature("wrong-secret".getBytes(StandardCharsets.UTF_8), body))).isEqualTo(401);
      assertThat(s.server.runs()).isEmpty();
      assertThat(deliveries(s)).isZero();
    }
  }

  @Test
  void correctlySignedDeliveryRunsOnceAndItsReplayIsRefused() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.push("on: push\njobs: {x: {steps: [{run: 'true'}]}}\n");
      String sha = s.server.runs().get(0).path("sha").asString();
      byte[] body = event("d-0000002", sha).getBytes(StandardCharsets.UTF_8);
      String signature = Tokens.hmacSignature(secret(s), body);
      assertThat(hook(s, body, signature)).isEqualTo(202);
      assertThat(s.server.runs()).hasSize(2);
      assertThat(hook(s, body, signature)).isEqualTo(409);
      assertThat(s.server.runs()).hasSize(2);
    }
  }

  private static String event(String delivery, String sha) {
    return "{\"repo\":\"app\",\"delivery\":\"" + delivery + "\",\"sentAt\":" + System.currentTimeMillis()
        + ",\"ref\":\"refs/heads/main\",\"before\":\"" + "0".repeat(40) + "\",\"after\":\"" + sha + "\"}";
  }

  private static byte[] secret(Scenario s) throws java.io.IOException {
    return Files.readString(s.git.bare().resolve("hooks/moat-hook.secret")).trim().getBytes(StandardCharsets.UTF_8);
  }

  private static int hook(Scenario s, byte[] body, String signature) throws Exception {
    var req = HttpRequest.newBuilder(URI.create(s.server.url() + "/hooks/git"))
        .header("Content-Type", "application/json").header("X-Moat-Repo", "app")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (signature != null) req.header("X-Moat-Signature-256", signature);
    return HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** Counts stored deliveries straight from the database file. */
  private static int deliveries(Scenario s) throws Exception {
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + s.server.dataDir().resolve("moat.db"));
        var rs = c.createStatement().executeQuery("SELECT count(*) FROM deliveries")) {
      return rs.getInt(1);
    }
  }
}
