package dev.moat.server.repo;

import dev.moat.common.Tokens;
import dev.moat.server.http.ApiException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;

/**
 * Registered repositories. Adding a local bare repository installs a {@code post-receive} hook in it
 * that signs each pushed ref with the repository's own secret (HMAC-SHA256) and sends it to
 * {@code /hooks/git}. The secret file is 0600 and owned by the repository's owner, who runs hooks.
 * Thread-safe.
 */
public final class RepoService {
  /** Marks hooks that Moat wrote, so that it never overwrites someone else's hook. */
  static final String HOOK_MARKER = "# moat-hook";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** A registered repository. {@code hookSecret} is never shown by the API. */
  public record Repo(String name, Path path, String hookSecret, long createdAt) {
    @Override
    public String toString() {
      return "Repo[name=" + name + ", path=" + path + "]";
    }
  }

  /** What the API shows of a repository. */
  public record RepoView(String name, String path, String hook) {}

  private final Jdbi jdbi;
  private final InstantSource clock;
  private final List<String> hookCommand;

  /**
   * @param hookCommand the argv prefix that runs the Moat CLI from a git hook (e.g. the launcher, or
   *     java with the running classpath); the hook appends {@code hook post-receive ...}
   */
  public RepoService(Jdbi jdbi, InstantSource clock, List<String> hookCommand) {
    this.jdbi = jdbi;
    this.clock = clock;
    this.hookCommand = List.copyOf(hookCommand);
  }

  public RepoView add(String name, String path, String serverUrl) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw ApiException.invalid("repository name must match " + NAME.pattern());
    }
    if (path == null || path.isBlank()) throw ApiException.invalid("path is required");
    Path dir = Path.of(path).toAbsolutePath().normalize();
    if (!Files.isDirectory(dir) || !GitReader.isRepository(dir) || Files.exists(dir.resolve(".git"))) {
      throw ApiException.invalid(dir + " is not a bare git repository");
    }
    if (find(name).isPresent()) throw ApiException.conflict("repository " + name + " already exists");
    String secret = Tokens.random("moat_hook");
    try {
      installHook(dir, name, secret, serverUrl);
    } catch (IOException e) {
      throw ApiException.invalid("could not install the hook in " + dir + ": " + e.getMessage());
    }
    jdbi.useHandle(h -> h.createUpdate("INSERT INTO repos (name, path, hook_secret, created_at) VALUES (:n, :p, :s, :now)")
        .bind("n", name).bind("p", dir.toString()).bind("s", secret).bind("now", clock.millis()).execute());
    return view(new Repo(name, dir, secret, clock.millis()));
  }

  public Optional<Repo> find(String name) {
    return jdbi.withHandle(h -> h.createQuery("SELECT name, path, hook_secret, created_at FROM repos WHERE name = :n")
        .bind("n", name)
        .map((rs, c) -> new Repo(rs.getString(1), Path.of(rs.getString(2)), rs.getString(3), rs.getLong(4)))
        .findOne());
  }

  public Repo require(String name) {
    return find(name).orElseThrow(() -> ApiException.notFound("no repository " + name));
  }

  public List<RepoView> list() {
    return jdbi.withHandle(h -> h.createQuery("SELECT name, path, hook_secret, created_at FROM repos ORDER BY name")
        .map((rs, c) -> view(new Repo(rs.getString(1), Path.of(rs.getString(2)), rs.getString(3), rs.getLong(4))))
        .list());
  }

  private static RepoView view(Repo repo) {
    return new RepoView(repo.name(), repo.path().toString(), repo.path().resolve("hooks/post-receive").toString());
  }

  private void installHook(Path dir, String name, String secret, String serverUrl) throws IOException {
    Path hooks = Files.createDirectories(dir.resolve("hooks"));
    Path hook = hooks.resolve("post-receive");
    if (Files.exists(hook) && !Files.readString(hook).contains(HOOK_MARKER)) {
      throw new IOException("hooks/post-receive exists and was not written by Moat; remove it or chain it by hand");
    }
    UserPrincipal owner = Files.getOwner(dir);
    Path secretFile = hooks.resolve("moat-hook.secret");
    Files.deleteIfExists(secretFile);
    Files.createFile(secretFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(secretFile, secret, StandardCharsets.UTF_8);
    Files.setOwner(secretFile, owner);
    String command = hookCommand.stream().map(RepoService::shellQuote).collect(Collectors.joining(" "));
    String script = "#!/bin/sh\n" + HOOK_MARKER + ": installed by Moat for repository " + name + ".\n"
        + "# Sends each pushed ref, signed with the secret beside this file, to the Moat server.\n"
        + "exec " + command + " hook post-receive --url " + shellQuote(serverUrl) + " --repo " + shellQuote(name)
        + " --secret-file " + shellQuote(secretFile.toString()) + "\n";
    Files.writeString(hook, script, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setOwner(hook, owner);
  }

  static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
