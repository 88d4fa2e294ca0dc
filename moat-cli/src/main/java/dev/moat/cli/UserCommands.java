package dev.moat.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code moat user add|ls|token|role|link}: Moat users, their roles, tokens and forge identities (admin). */
@Command(name = "user", description = "Manage users, their roles, API tokens and forge identities (admin).",
    subcommands = {UserCommands.Add.class, UserCommands.Ls.class, UserCommands.Token.class, UserCommands.SetRole.class,
        UserCommands.Link.class})
final class UserCommands {
  private static void printToken(JsonNode user, boolean json) {
    if (json) {
      RunCommands.printJson(user);
      return;
    }
    System.out.println(user.path("token").asString());
    System.err.println("token for " + user.path("name").asString() + " (" + user.path("role").asString()
        + "); it is shown only this once");
  }

  @Command(name = "add", description = "Add a user and print their first API token (shown once).")
  static final class Add implements Runnable {
    @Parameters(index = "0", description = "User name.") String name;

    @Option(names = "--role", required = true, description = "admin, maintainer, developer or viewer.") String role;

    @Option(names = "--json") boolean json;

    @Override
    public void run() {
      printToken(new ApiClient(Target.resolve()).post("/api/v1/users", Map.of("name", name, "role", role)), json);
    }
  }

  @Command(name = "token", description = "Mint another API token for a user (shown once).")
  static final class Token implements Runnable {
    @Parameters(index = "0", description = "User name.") String name;

    @Option(names = "--json") boolean json;

    @Override
    public void run() {
      printToken(new ApiClient(Target.resolve()).post("/api/v1/users/" + name + "/tokens", Map.of()), json);
    }
  }

  @Command(name = "role", description = "Change a user's role; it applies to their tokens at once.")
  static final class SetRole implements Runnable {
    @Parameters(index = "0", description = "User name.") String name;

    @Parameters(index = "1", description = "admin, maintainer, developer or viewer.") String role;

    @Override
    public void run() {
      var user = new ApiClient(Target.resolve()).put("/api/v1/users/" + name + "/role", Map.of("role", role));
      System.out.println(user.path("name").asString() + " is " + user.path("role").asString());
    }
  }

  @Command(name = "link", description = "Link a user to their forge identity (matched on the numeric id, never the login).")
  static final class Link implements Runnable {
    @Parameters(index = "0", description = "User name.") String name;

    @Option(names = "--github-id", required = true, description = "The GitHub user's numeric id.") long githubId;

    @Option(names = "--github-login", description = "The GitHub login, for display only.") String githubLogin;

    @Override
    public void run() {
      var body = new LinkedHashMap<String, Object>();
      body.put("forge", "github");
      body.put("id", githubId);
      if (githubLogin != null) body.put("login", githubLogin);
      new ApiClient(Target.resolve()).post("/api/v1/users/" + name + "/identities", body);
      System.out.println("linked " + name + " to github user " + githubId + (githubLogin == null ? "" : " (" + githubLogin + ")"));
    }
  }

  @Command(name = "ls", description = "List users.")
  static final class Ls implements Runnable {
    @Option(names = "--json") boolean json;

    @Override
    public void run() {
      JsonNode users = new ApiClient(Target.resolve()).get("/api/v1/users");
      if (json) {
        RunCommands.printJson(users);
        return;
      }
      var table = new Table("NAME", "ROLE", "IDENTITIES");
      for (JsonNode u : users) {
        var ids = new StringBuilder();
        for (JsonNode i : u.path("identities")) {
          ids.append(ids.isEmpty() ? "" : " ").append(i.path("forge").asString()).append(':').append(i.path("id").asLong());
        }
        table.row(u.path("name").asString(), u.path("role").asString(), ids);
      }
      table.print(System.out);
    }
  }
}
