package dev.moat.cli;

import dev.moat.common.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Which server the CLI talks to and with what token: {@code $MOAT_URL}/{@code $MOAT_TOKEN} when set,
 * else {@code credentials.json} in {@code $MOAT_DATA_DIR} (default {@code ~/.moat}).
 */
public record Target(String url, String token) {
  @Override
  public String toString() {
    return "Target[url=" + url + "]";
  }

  public static Path dataDir() {
    String dir = System.getenv("MOAT_DATA_DIR");
    return dir != null && !dir.isBlank() ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".moat");
  }

  public static Target resolve() {
    String url = System.getenv("MOAT_URL");
    String token = System.getenv("MOAT_TOKEN");
    if (url != null && token != null) return new Target(url, token);
    Path file = dataDir().resolve("credentials.json");
    if (!Files.isReadable(file)) {
      throw new CliException(CliException.UNAUTHORISED,
          "no credentials: " + file + " is missing (start a server with 'moat up', or set MOAT_URL and MOAT_TOKEN)");
    }
    try {
      Map<?, ?> creds = Json.read(Files.readString(file), Map.class);
      return new Target(url != null ? url : (String) creds.get("url"), token != null ? token : (String) creds.get("token"));
    } catch (IOException | RuntimeException e) {
      throw new CliException(CliException.UNAUTHORISED, "cannot read " + file + ": " + e.getMessage());
    }
  }
}
