package dev.moat.cli;

import dev.moat.common.Json;
import dev.moat.common.Tokens;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code moat hook post-receive}: what the git hook that Moat installs runs. */
@Command(name = "hook", description = "Git hooks (run by git, not by people).", subcommands = HookCommands.PostReceive.class)
final class HookCommands {
  /**
   * Reads {@code old new ref} lines from git on stdin and sends each, signed with HMAC-SHA256 under
   * the repository's secret, to {@code /hooks/git}. Never fails the push: problems are printed to the
   * pusher and the exit code is 0, because the refs are already updated.
   */
  @Command(name = "post-receive")
  static final class PostReceive implements Callable<Integer> {
    @Option(names = "--url", required = true) String url;

    @Option(names = "--repo", required = true) String repo;

    @Option(names = "--secret-file", required = true) Path secretFile;

    @Override
    public Integer call() throws IOException, InterruptedException {
      byte[] secret = Files.readString(secretFile).trim().getBytes(StandardCharsets.UTF_8);
      var http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null; ) {
        String[] parts = line.trim().split("\\s+");
        if (parts.length != 3) continue;
        var event = new LinkedHashMap<String, Object>();
        event.put("repo", repo);
        event.put("delivery", UUID.randomUUID().toString());
        event.put("sentAt", System.currentTimeMillis());
        event.put("ref", parts[2]);
        event.put("before", parts[0]);
        event.put("after", parts[1]);
        byte[] body = Json.write(event).getBytes(StandardCharsets.UTF_8);
        var req = HttpRequest.newBuilder(URI.create(url + "/hooks/git")).timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .header("X-Moat-Repo", repo)
            .header("X-Moat-Signature-256", Tokens.hmacSignature(secret, body))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        try {
          var res = http.send(req, HttpResponse.BodyHandlers.ofString());
          if (res.statusCode() == 202) {
            var answer = Json.MAPPER.readTree(res.body());
            var runs = answer.path("runs");
            String held = runs.isEmpty() || !answer.path("held").isString() ? ""
                : ", held for approval (" + answer.path("held").asString() + ")";
            System.out.println("moat: " + parts[2] + " -> " + (runs.isEmpty() ? "no workflow runs" : "runs " + runs) + held);
          } else {
            System.out.println("moat: the server refused the push event (" + res.statusCode() + "): " + res.body());
          }
        } catch (IOException e) {
          System.out.println("moat: could not reach the server at " + url + ": " + e.getMessage());
        }
      }
      return 0;
    }
  }
}
