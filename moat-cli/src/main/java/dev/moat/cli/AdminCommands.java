package dev.moat.cli;

import dev.moat.common.secret.MasterKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/** {@code moat admin keys|rotate-key}: the master keys that seal secrets (admin). */
@Command(name = "admin", description = "Server administration (admin).",
    subcommands = {AdminCommands.Keys.class, AdminCommands.RotateKey.class})
final class AdminCommands {
  @Command(name = "keys", description = "Show the master key versions and how many secrets each seals.")
  static final class Keys implements Runnable {
    @Override
    public void run() {
      RunCommands.printJson(new ApiClient(Target.resolve()).get("/api/v1/admin/keys"));
    }
  }

  @Command(name = "rotate-key", description = "Re-seal every secret with a new master key, without downtime. "
      + "Then restart the server with --master-key NEW only, and delete the old key file.")
  static final class RotateKey implements Runnable {
    @Option(names = "--new-key", required = true, paramLabel = "FILE",
        description = "The new key file (0600); if it does not exist, a key one version above the current is generated into it.")
    Path file;

    @Override
    public void run() {
      var api = new ApiClient(Target.resolve());
      MasterKey next;
      try {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
          next = MasterKey.read(file);
        } else {
          int current = api.get("/api/v1/admin/keys").path("current").asInt();
          next = MasterKey.generate(current + 1);
          next.writeNew(file);
          System.err.println("generated master key v" + next.version() + " in " + file + " (mode 0600)");
        }
      } catch (IOException | IllegalArgumentException e) {
        throw new CliException(CliException.USAGE, e.getMessage());
      }
      JsonNode r = api.post("/api/v1/admin/keys/rotate", Map.of("key", next.format()));
      System.out.println("re-sealed " + r.path("resealed").asInt() + " secrets with key v" + r.path("toVersion").asInt()
          + "; " + r.path("remaining").asInt() + " remain on older keys");
      if (r.path("remaining").asInt() == 0) {
        System.out.println("next: restart the server with --master-key " + file + " only; the old key then seals nothing "
            + "and its file can be deleted (the server refuses to start without a key that still seals a value)");
      }
    }
  }
}
