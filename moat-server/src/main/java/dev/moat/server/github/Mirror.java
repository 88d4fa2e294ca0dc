package dev.moat.server.github;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server-side bare mirror of a GitHub repository: the commits that runs pin are fetched into it
 * with the read-only clone token, and from then on workflows and source are read from it like any
 * local repository (with JGit, as data). The token goes to git in the environment
 * ({@code GIT_CONFIG_*}, an {@code http.extraHeader}), never on a command line. Fetches of one
 * mirror are serialised. Thread-safe.
 */
final class Mirror {
  static final long FETCH_TIMEOUT_SECONDS = 120;

  private Mirror() {}

  static void create(Path dir) throws IOException {
    if (Files.exists(dir.resolve("HEAD"))) return;
    Files.createDirectories(dir.getParent());
    git(dir.getParent(), Map.of(), "init", "-q", "--bare", dir.toString());
  }

  /** Fetches {@code refspecs} from {@code url}, authenticating with {@code token} when it is not null. */
  static void fetch(Path mirror, String url, String token, List<String> refspecs) throws IOException {
    var env = token == null ? Map.<String, String>of() : Map.of(
        "GIT_CONFIG_COUNT", "1",
        "GIT_CONFIG_KEY_0", "http.extraHeader",
        "GIT_CONFIG_VALUE_0", "Authorization: Basic " + Base64.getEncoder()
            .encodeToString(("x-access-token:" + token).getBytes(StandardCharsets.UTF_8)));
    List<String> args = new ArrayList<>(List.of("fetch", "-q", "--no-tags", "--no-write-fetch-head", "--", url));
    args.addAll(refspecs);
    synchronized (Mirror.class) {
      git(mirror, env, args.toArray(String[]::new));
    }
  }

  static boolean has(Path mirror, String sha) {
    try {
      git(mirror, Map.of(), "cat-file", "-e", sha + "^{commit}");
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether anything under {@code .moat/} differs between two commits of the mirror. */
  static boolean touchesMoat(Path mirror, String from, String to) throws IOException {
    return !git(mirror, Map.of(), "diff", "--name-only", "--no-renames", from, to, "--", ".moat").isBlank();
  }

  private static String git(Path dir, Map<String, String> env, String... args) throws IOException {
    List<String> argv = new ArrayList<>(List.of("git", "-C", dir.toString()));
    argv.addAll(List.of(args));
    var pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().put("GIT_TERMINAL_PROMPT", "0");
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readNBytes(1 << 20);
      if (!p.waitFor(FETCH_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("git " + args[0] + " timed out");
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) throw new IOException("git " + args[0] + " failed: " + text.strip());
      return text;
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
