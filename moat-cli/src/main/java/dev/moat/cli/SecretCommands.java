package dev.moat.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/**
 * {@code moat secret set|list|rm} (maintainer): the value of {@code set} is read from stdin, never
 * from the command line (argv is visible to every user of the machine); {@code list} shows names,
 * never values.
 */
@Command(name = "secret", description = "Manage secrets (maintainer). Scopes: global, repo:NAME, env:NAME.",
    subcommands = {SecretCommands.Set.class, SecretCommands.List.class, SecretCommands.Rm.class})
final class SecretCommands {
  /** The largest value read from stdin (the server's limit is the same). */
  static final int MAX_BYTES = 64 * 1024;

  static String path(String scope, String name) {
    return "/api/v1/secrets/" + URLEncoder.encode(scope, StandardCharsets.UTF_8) + "/" + URLEncoder.encode(name, StandardCharsets.UTF_8);
  }

  /** Stdin as UTF-8, without one trailing newline (what echo and a here-string add). */
  static String readValue(InputStream in) throws IOException {
    byte[] bytes = in.readNBytes(MAX_BYTES + 1);
    if (bytes.length > MAX_BYTES) throw new CliException(CliException.USAGE, "a secret value may have at most " + MAX_BYTES + " bytes");
    String v = new String(bytes, StandardCharsets.UTF_8);
    if (v.endsWith("\r\n")) return v.substring(0, v.length() - 2);
    if (v.endsWith("\n")) return v.substring(0, v.length() - 1);
    return v;
  }

  @Command(name = "set", description = "Set a secret; the value is read from stdin (one trailing newline dropped).")
  static final class Set implements Runnable {
    @Parameters(index = "0", description = "Scope: global, repo:NAME or env:NAME.") String scope;

    @Parameters(index = "1", description = "Name (letters, digits and '_').") String name;

    @Override
    public void run() {
      String value;
      try {
        value = readValue(System.in);
      } catch (IOException e) {
        throw new CliException(CliException.FAILED, "cannot read the value from stdin: " + e.getMessage());
      }
      if (value.length() < 4) {
        throw new CliException(CliException.USAGE, "a secret value must have at least 4 characters: a shorter one could "
            + "not be masked in logs without hiding ordinary text (got " + value.length() + ")");
      }
      JsonNode s = new ApiClient(Target.resolve()).put(path(scope, name), Map.of("value", value));
      System.out.println("set " + s.path("scope").asString() + "/" + s.path("name").asString() + " (version "
          + s.path("version").asInt() + ", key v" + s.path("keyVersion").asInt() + ")");
    }
  }

  @Command(name = "list", aliases = "ls", description = "List secrets: names, scopes, versions and times, never values.")
  static final class List implements Runnable {
    @Parameters(index = "0", arity = "0..1", description = "Only this scope.") String scope;

    @Option(names = "--json") boolean json;

    @Override
    public void run() {
      JsonNode list = new ApiClient(Target.resolve()).get("/api/v1/secrets"
          + (scope == null ? "" : "?scope=" + URLEncoder.encode(scope, StandardCharsets.UTF_8)));
      if (json) {
        RunCommands.printJson(list);
        return;
      }
      var table = new Table("SCOPE", "NAME", "VERSION", "KEY", "UPDATED", "BY");
      for (JsonNode s : list) {
        table.row(s.path("scope").asString(), s.path("name").asString(), s.path("version").asInt(),
            "v" + s.path("keyVersion").asInt(), java.time.Instant.ofEpochMilli(s.path("updatedAt").asLong()),
            s.path("updatedBy").asString());
      }
      table.print(System.out);
    }
  }

  @Command(name = "rm", description = "Remove a secret.")
  static final class Rm implements Runnable {
    @Parameters(index = "0", description = "Scope.") String scope;

    @Parameters(index = "1", description = "Name.") String name;

    @Override
    public void run() {
      new ApiClient(Target.resolve()).delete(path(scope, name));
      System.out.println("removed " + scope + "/" + name);
    }
  }
}
