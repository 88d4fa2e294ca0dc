package dev.moat.dist;

import static dev.moat.dist.CliTest.moat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Json;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Users, roles and per-user tokens on a real server, made with the real CLI: every route answers
 * 401 without a known token and 403 (problem+json) to too weak a role, a role change applies to
 * existing tokens, forge identities are unique per numeric id, and each change is audited.
 */
class RolesTest {
  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start(dir.resolve("server"));
    var git = GitFixture.create(dir.resolve("git"));
    git.workflow("on: push\njobs: {a: {steps: [{run: 'true'}]}}\n").commit("c");
    git.push();
    server.addRepo("app", git.bare());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private String add(String name, String role) throws Exception {
    CliTest.Result added = moat(server, "user", "add", name, "--role", role);
    assertThat(added.code()).as(added.err()).isZero();
    assertThat(added.err()).contains("shown only this once");
    return added.out().strip();
  }

  private HttpResponse<String> call(String token, String method, String path, String body) throws Exception {
    var req = HttpRequest.newBuilder(URI.create(server.url() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (token != null) req.header("Authorization", "Bearer " + token);
    return HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void assertStatus(String token, String method, String path, String body, int status) throws Exception {
    var res = call(token, method, path, body);
    assertThat(res.statusCode()).as(method + " " + path + ": " + res.body()).isEqualTo(status);
    if (status == 401 || status == 403) {
      assertThat(res.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(Json.MAPPER.readTree(res.body()).path("status").asInt()).isEqualTo(status);
    }
  }

  @Test
  void eachRouteNeedsItsRole() throws Exception {
    String viewer = add("vic", "viewer");
    String developer = add("dev", "developer");
    String maintainer = add("mia", "maintainer");
    String trigger = "{\"repo\":\"app\",\"ref\":\"main\"}";
    for (String token : new String[] {null, "moat_viewer_forged"}) {
      assertStatus(token, "GET", "/api/v1/runs", null, 401);
      assertStatus(token, "POST", "/api/v1/runs/1/approve", null, 401);
    }
    assertStatus(viewer, "GET", "/api/v1/runs", null, 200);
    assertStatus(viewer, "GET", "/api/v1/repos", null, 200);
    assertStatus(viewer, "POST", "/api/v1/runs", trigger, 403);
    assertStatus(viewer, "POST", "/api/v1/runs/1/cancel", null, 403);
    assertStatus(viewer, "GET", "/api/v1/audit", null, 403);
    assertStatus(developer, "POST", "/api/v1/runs", trigger, 201);
    assertStatus(developer, "GET", "/api/v1/runs/1", null, 200);
    assertStatus(developer, "POST", "/api/v1/runs/1/cancel", null, 200);
    assertStatus(developer, "POST", "/api/v1/repos", "{\"name\":\"x\",\"path\":\"/nowhere\"}", 403);
    assertStatus(developer, "POST", "/api/v1/tokens", "{\"pool\":\"default\"}", 403);
    assertStatus(developer, "GET", "/api/v1/audit", null, 403);
    assertStatus(maintainer, "GET", "/api/v1/audit", null, 200);
    assertStatus(maintainer, "POST", "/api/v1/users", "{\"name\":\"eve\",\"role\":\"admin\"}", 403);
    assertStatus(maintainer, "PUT", "/api/v1/repos/app/allowed-signers", "{\"signers\":\"x\"}", 403);
    assertStatus(server.token(), "GET", "/api/v1/users", null, 200);
    var refused = Json.MAPPER.readTree(call(viewer, "POST", "/api/v1/runs", trigger).body());
    assertThat(refused.path("detail").asString()).isEqualTo("this needs the developer role; vic is viewer");
  }

  @Test
  void aRoleChangeAppliesToTheUsersExistingTokens() throws Exception {
    String token = add("vic", "viewer");
    assertStatus(token, "POST", "/api/v1/runs", "{\"repo\":\"app\",\"ref\":\"main\"}", 403);

    CliTest.Result changed = moat(server, "user", "role", "vic", "developer");

    assertThat(changed.code()).as(changed.err()).isZero();
    assertThat(changed.out()).contains("vic is developer");
    assertStatus(token, "POST", "/api/v1/runs", "{\"repo\":\"app\",\"ref\":\"main\"}", 201);
    CliTest.Result second = moat(server, "user", "token", "vic", "--json");
    String another = Json.MAPPER.readTree(second.out()).path("token").asString();
    assertThat(another).startsWith("moat_developer_").isNotEqualTo(token);
    assertStatus(another, "GET", "/api/v1/runs", null, 200);
    assertThat(moat(server, "user", "role", "admin", "viewer").err()).as("the last admin stays").contains("last admin");
  }

  @Test
  void aForgeIdentityLinksToOneUserByItsNumericIdAndEveryChangeIsAudited() throws Exception {
    add("mia", "maintainer");
    CliTest.Result json = moat(server, "user", "add", "otto", "--role", "developer", "--json");
    assertThat(Json.MAPPER.readTree(json.out()).path("role").asString()).isEqualTo("developer");

    CliTest.Result linked = moat(server, "user", "link", "mia", "--github-id", "583231", "--github-login", "octocat");
    assertThat(linked.code()).as(linked.err()).isZero();
    CliTest.Result again = moat(server, "user", "link", "otto", "--github-id", "583231", "--github-login", "octocat-renamed");
    assertThat(again.code()).as("409 is exit 2").isEqualTo(2);
    assertThat(again.err()).contains("already linked to mia");
    assertThat(moat(server, "user", "add", "mia", "--role", "viewer").code()).as("names are unique").isEqualTo(2);
    assertThat(moat(server, "user", "add", "zed", "--role", "root").err()).contains("unknown role 'root'");

    JsonNode users = Json.MAPPER.readTree(moat(server, "user", "ls", "--json").out());
    JsonNode mia = null;
    for (JsonNode u : users) if (u.path("name").asString().equals("mia")) mia = u;
    assertThat(mia.path("identities").get(0).path("id").asLong()).isEqualTo(583231);
    assertThat(mia.path("identities").get(0).path("login").asString()).isEqualTo("octocat");
    List<String> events = new ArrayList<>();
    for (JsonNode e : server.api().get("/api/v1/audit")) {
      events.add(e.path("action").asString() + " " + e.path("subject").asString() + " by " + e.path("actor").asString());
    }
    assertThat(events).containsExactly(
        "user_added mia by user:admin", "token_minted mia by user:admin",
        "user_added otto by user:admin", "token_minted otto by user:admin",
        "identity_linked mia by user:admin");
  }

  @Test
  void theBootstrapAdminFromCredentialsJsonIsTheFirstAdminUserAcrossRestarts() throws Exception {
    server.restart();
    assertStatus(server.token(), "POST", "/api/v1/users", "{\"name\":\"ann\",\"role\":\"admin\"}", 201);
    JsonNode users = server.api().get("/api/v1/users");
    assertThat(users.get(0).path("name").asString()).isEqualTo("admin");
    assertThat(users.get(0).path("role").asString()).isEqualTo("admin");
    assertThat(users.size()).as("a restart makes no second bootstrap admin").isEqualTo(2);
  }
}
