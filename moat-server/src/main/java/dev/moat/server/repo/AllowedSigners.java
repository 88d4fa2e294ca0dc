package dev.moat.server.repo;

import dev.moat.server.audit.Audit;
import dev.moat.server.audit.AuditAction;
import dev.moat.server.auth.Caller;
import dev.moat.server.http.ApiException;
import dev.moat.server.repo.RepoService.Repo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allowed signers of plain git repositories, in SSH {@code allowed_signers} format (one
 * {@code principals [options] keytype key} per line; the principal is matched against the
 * committer's email, {@code *} matches anyone). A repository with a list trusts a push only when its
 * head commit verifies against it with git's own {@code git verify-commit}; one without behaves as
 * before. The check runs git with no system or global config and with the list from here, so that
 * neither the host's nor the repository's settings choose the keys. Thread-safe.
 */
public final class AllowedSigners {
  static final int MAX_BYTES = 64 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(AllowedSigners.class);
  private static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(20);

  private final Jdbi jdbi;
  private final InstantSource clock;
  private final Audit audit;

  public AllowedSigners(Jdbi jdbi, InstantSource clock, Audit audit) {
    this.jdbi = jdbi;
    this.clock = clock;
    this.audit = audit;
  }

  /** Sets (replaces) a repository's allowed signers; an empty or malformed list is refused. */
  public void set(Repo repo, String signers, Caller by) {
    List<String> keys = validate(signers);
    jdbi.useTransaction(h -> {
      h.createUpdate("""
              INSERT INTO repo_signers (repo, format, signers, updated_at) VALUES (:r, 'ssh', :s, :now)
              ON CONFLICT (repo) DO UPDATE SET signers = excluded.signers, updated_at = excluded.updated_at""")
          .bind("r", repo.name()).bind("s", signers).bind("now", clock.millis()).execute();
      audit.record(h, by.actor(), AuditAction.SIGNERS_SET, null, repo.name(), Map.of("format", "ssh", "keys", keys));
    });
  }

  /** The repository's allowed signers, if it has a list. */
  public Optional<String> find(String repo) {
    return jdbi.withHandle(h -> h.createQuery("SELECT signers FROM repo_signers WHERE repo = :r").bind("r", repo)
        .mapTo(String.class).findOne());
  }

  /**
   * Whether commit {@code sha} of the repository is signed by a key in {@code signers}, by
   * {@code git verify-commit}: unsigned, signed by another key, or a bad signature are all false.
   */
  public boolean verify(Repo repo, String sha, String signers) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("moat-signers", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Path file = Files.writeString(dir.resolve("allowed_signers"), signers, StandardCharsets.UTF_8);
      var pb = new ProcessBuilder("git", "--git-dir=" + repo.path(), "-c", "gpg.ssh.allowedSignersFile=" + file,
          "-c", "gpg.ssh.program=ssh-keygen", "-c", "gpg.ssh.revocationFile=", "verify-commit", sha)
          .redirectErrorStream(true);
      pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
      pb.environment().put("GIT_CONFIG_GLOBAL", "/dev/null");
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(VERIFY_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("git verify-commit took longer than " + VERIFY_TIMEOUT);
      }
      boolean ok = p.exitValue() == 0;
      LOG.atInfo().addKeyValue("repo", repo.name()).addKeyValue("sha", sha).addKeyValue("verified", ok)
          .addKeyValue("git", out).log("push signature checked");
      return ok;
    } catch (IOException e) {
      // Fail closed: a check that could not run does not verify anything.
      LOG.atWarn().setCause(e).addKeyValue("repo", repo.name()).addKeyValue("sha", sha).log("signature check failed; push is unverified");
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      if (dir != null) deleteQuietly(dir);
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      Files.deleteIfExists(dir.resolve("allowed_signers"));
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      LOG.atWarn().setCause(e).addKeyValue("dir", dir.toString()).log("could not remove a temporary signers file");
    }
  }

  /** The key of each entry; refuses anything that isn't {@code principals [options] keytype base64}. */
  static List<String> validate(String signers) {
    if (signers == null || signers.isBlank()) throw ApiException.invalid("allowed signers are empty");
    if (signers.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) throw ApiException.tooLarge("allowed signers are larger than " + MAX_BYTES + " bytes");
    var keys = new java.util.ArrayList<String>();
    int n = 0;
    for (String line : signers.split("\n")) {
      n++;
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) continue;
      String[] f = t.split("\\s+");
      int type = -1;
      for (int i = 1; i < f.length - 1; i++) {
        if (f[i].startsWith("ssh-") || f[i].startsWith("ecdsa-") || f[i].startsWith("sk-")) {
          type = i;
          break;
        }
      }
      if (type < 0 || !f[type + 1].matches("[A-Za-z0-9+/]+=*")) {
        throw ApiException.invalid("allowed signers line " + n + " is not 'principals [options] keytype key'");
      }
      keys.add(f[type] + " " + f[type + 1]);
    }
    if (keys.isEmpty()) throw ApiException.invalid("allowed signers hold no key");
    return keys;
  }
}
