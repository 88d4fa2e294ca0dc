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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allowed signers of plain git repositories: an SSH {@code allowed_signers} list (one
 * {@code principals [options] keytype key} per line; the principal is matched against the
 * committer's email, {@code *} matches anyone) or an armored GPG public keyring. A repository with
 * a list trusts a push only when its head commit verifies against it with git's own
 * {@code git verify-commit}; one without behaves as before. Each check runs git with no system or
 * global config and a private, empty {@code GNUPGHOME} that holds only the list's keys, so that
 * neither the host's keyring nor its or the repository's settings choose the keys. Anything that
 * keeps the check from running counts as unverified (fail closed). Thread-safe.
 */
public final class AllowedSigners {
  static final int MAX_BYTES = 64 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(AllowedSigners.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final String PGP_BLOCK = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

  /** A list's format, chosen by its content. */
  public enum Format {
    SSH,
    GPG;

    static Format of(String signers) {
      return signers.contains(PGP_BLOCK) ? GPG : SSH;
    }
  }

  private record Result(int exit, String output) {}

  private final Jdbi jdbi;
  private final InstantSource clock;
  private final Audit audit;

  public AllowedSigners(Jdbi jdbi, InstantSource clock, Audit audit) {
    this.jdbi = jdbi;
    this.clock = clock;
    this.audit = audit;
  }

  /** Sets (replaces) a repository's allowed signers; an empty or malformed list is refused with 400. */
  public void set(Repo repo, String signers, Caller by) {
    List<String> keys = validate(signers);
    Format format = Format.of(signers);
    jdbi.useTransaction(h -> {
      h.createUpdate("""
              INSERT INTO repo_signers (repo, format, signers, updated_at) VALUES (:r, :f, :s, :now)
              ON CONFLICT (repo) DO UPDATE SET format = excluded.format, signers = excluded.signers, updated_at = excluded.updated_at""")
          .bind("r", repo.name()).bind("f", format.name().toLowerCase(java.util.Locale.ROOT)).bind("s", signers)
          .bind("now", clock.millis()).execute();
      audit.record(h, by.actor(), AuditAction.SIGNERS_SET, null, repo.name(),
          Map.of("format", format.name().toLowerCase(java.util.Locale.ROOT), "keys", keys));
    });
  }

  /** The repository's allowed signers, if it has a list. */
  public Optional<String> find(String repo) {
    return jdbi.withHandle(h -> h.createQuery("SELECT signers FROM repo_signers WHERE repo = :r").bind("r", repo)
        .mapTo(String.class).findOne());
  }

  /**
   * Whether commit {@code sha} of the repository is signed by a key in {@code signers}, by
   * {@code git verify-commit}: unsigned, signed by another key, a bad signature, or a check that
   * could not run are all false.
   */
  public boolean verify(Repo repo, String sha, String signers) {
    Path home = null;
    try {
      home = privateDir();
      List<String> argv = new ArrayList<>(List.of("git", "--git-dir=" + repo.path(),
          "-c", "gpg.program=gpg", "-c", "gpg.ssh.program=ssh-keygen", "-c", "gpg.ssh.revocationFile="));
      if (Format.of(signers) == Format.GPG) {
        Path keyring = Files.writeString(home.resolve("keyring.asc"), signers, StandardCharsets.UTF_8);
        Result imported = run(home, List.of("gpg", "--batch", "--quiet", "--import", keyring.toString()));
        if (imported.exit() != 0) throw new IOException("gpg --import failed: " + imported.output());
      } else {
        Path file = Files.writeString(home.resolve("allowed_signers"), signers, StandardCharsets.UTF_8);
        argv.addAll(List.of("-c", "gpg.ssh.allowedSignersFile=" + file));
      }
      argv.addAll(List.of("verify-commit", sha));
      Result checked = run(home, argv);
      boolean ok = checked.exit() == 0;
      LOG.atInfo().addKeyValue("repo", repo.name()).addKeyValue("sha", sha).addKeyValue("verified", ok)
          .addKeyValue("git", checked.output()).log("push signature checked");
      return ok;
    } catch (IOException e) {
      LOG.atWarn().setCause(e).addKeyValue("repo", repo.name()).addKeyValue("sha", sha).log("signature check failed; push is unverified");
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      if (home != null) cleanUp(home);
    }
  }

  /** The keys of a list (SSH: {@code keytype key} per entry; GPG: fingerprints), or 400. */
  static List<String> validate(String signers) {
    if (signers == null || signers.isBlank()) throw ApiException.invalid("allowed signers are empty");
    if (signers.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw ApiException.tooLarge("allowed signers are larger than " + MAX_BYTES + " bytes");
    }
    List<String> keys = Format.of(signers) == Format.GPG ? gpgFingerprints(signers) : sshKeys(signers);
    if (keys.isEmpty()) throw ApiException.invalid("allowed signers hold no key");
    return keys;
  }

  private static List<String> sshKeys(String signers) {
    var keys = new ArrayList<String>();
    int n = 0;
    for (String line : signers.split("\n")) {
      n++;
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) continue;
      String[] f = t.split("\\s+");
      int type = -1;
      for (int i = 1; i < f.length - 1 && type < 0; i++) {
        if (f[i].startsWith("ssh-") || f[i].startsWith("ecdsa-") || f[i].startsWith("sk-")) type = i;
      }
      if (type < 0 || !f[type + 1].matches("[A-Za-z0-9+/]+=*")) {
        throw ApiException.invalid("allowed signers line " + n + " is not 'principals [options] keytype key'");
      }
      keys.add(f[type] + " " + f[type + 1]);
    }
    return keys;
  }

  private static List<String> gpgFingerprints(String keyring) {
    Path home = null;
    try {
      home = privateDir();
      Path file = Files.writeString(home.resolve("keyring.asc"), keyring, StandardCharsets.UTF_8);
      Result shown = run(home, List.of("gpg", "--batch", "--with-colons", "--import-options", "show-only", "--import", file.toString()));
      if (shown.exit() != 0) throw ApiException.invalid("the GPG keyring could not be read: " + shown.output());
      // One fpr line follows each pub line; the primary keys' fingerprints name the allowed keys.
      var fingerprints = new ArrayList<String>();
      boolean afterPub = false;
      for (String line : shown.output().split("\n")) {
        if (line.startsWith("pub:")) afterPub = true;
        else if (line.startsWith("fpr:") && afterPub) {
          fingerprints.add(line.split(":")[9]);
          afterPub = false;
        }
      }
      return fingerprints;
    } catch (IOException e) {
      throw ApiException.invalid("the GPG keyring could not be checked: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiException.invalid("interrupted while checking the GPG keyring");
    } finally {
      if (home != null) cleanUp(home);
    }
  }

  private static Path privateDir() throws IOException {
    return Files.createTempDirectory("moat-signers", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  /** Runs a command with {@code home} as its only GnuPG home and no system or global git config. */
  private static Result run(Path home, List<String> argv) throws IOException, InterruptedException {
    // Output goes to a file, so that the timeout holds even if the command never closes it.
    Path out = Files.createTempFile(home, "out", ".txt");
    var pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("GNUPGHOME", home.toString());
    pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
    pb.environment().put("GIT_CONFIG_GLOBAL", "/dev/null");
    Process p = pb.start();
    if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(argv.getFirst() + " took longer than " + TIMEOUT);
    }
    return new Result(p.exitValue(), Files.readString(out).strip());
  }

  /** Stops the gpg-agent that gpg may have started for this home (by its home, nothing else) and deletes the home. */
  private static void cleanUp(Path home) {
    try {
      if (Files.exists(home.resolve("pubring.kbx")) || Files.exists(home.resolve("pubring.gpg"))) {
        run(home, List.of("gpgconf", "--kill", "all"));
      }
      try (Stream<Path> files = Files.walk(home)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      LOG.atWarn().setCause(e).addKeyValue("dir", home.toString()).log("could not remove a temporary signers directory");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
