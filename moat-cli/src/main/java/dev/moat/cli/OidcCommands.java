package dev.moat.cli;

import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code moat oidc rotate}: the OIDC issuer's signing keys (admin). */
@Command(name = "oidc", description = "The server's OIDC issuer.", subcommands = OidcCommands.Rotate.class)
final class OidcCommands {
  @Command(name = "rotate", description = "Make the published next signing key current and publish a new next one. "
      + "Tokens signed with the old key keep verifying until they expire.")
  static final class Rotate implements Runnable {
    @Option(names = "--json") boolean json;

    @Override
    public void run() {
      var answer = new ApiClient(Target.resolve()).post("/api/v1/admin/oidc/rotate", Map.of());
      System.out.println(json ? answer.toString() : "current signing key: " + answer.path("current").asString());
    }
  }
}
