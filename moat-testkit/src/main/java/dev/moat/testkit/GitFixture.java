package dev.moat.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A real bare repository and a working clone, driven with the git CLI. */
public final class GitFixture {
  private final Path bare;
  private final Path work;

  private GitFixture(Path bare, Path work) {
    this.bare = bare;
    this.work = work;
  }

  public static GitFixture create(Path dir) throws IOException {
    java.nio.file.Files.createDirectories(dir);
    Path bare = dir.resolve("origin.git");
    Path work = dir.resolve("work");
    git(dir, "init", "-q", "--bare", "-b", "main", bare.toString());
    git(dir, "init", "-q", "-b", "main", work.toString());
    git(work, "config", "user.name", "Test");
    git(work, "config", "user.email", "test@moat.invalid");
    git(work, "remote", "add", "origin", bare.toString());
    return new GitFixture(bare, work);
  }

  public Path bare() {
    return bare;
  }

  public Path work() {
    return work;
  }

  public GitFixture write(String path, String content) throws IOException {
    Path file = work.resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return this;
  }

  public GitFixture workflow(String yaml) throws IOException {
    return write(".moat/workflows/ci.yml", yaml);
  }

  /** Commits everything; returns the new commit's sha. */
  public String commit(String message) throws IOException {
    git(work, "add", "-A");
    git(work, "commit", "-q", "--allow-empty", "-m", message);
    return git(work, "rev-parse", "HEAD").trim();
  }

  /** Commits everything, signed with the SSH key {@code privateKey} (git's own ssh signing); returns the sha. */
  public String commitSigned(String message, Path privateKey) throws IOException {
    git(work, "add", "-A");
    git(work, "-c", "gpg.format=ssh", "-c", "user.signingkey=" + privateKey, "commit", "-q", "-S", "--allow-empty", "-m", message);
    return git(work, "rev-parse", "HEAD").trim();
  }

  /**
   * Makes an ed25519 key pair {@code dir/name} (no passphrase) and returns the private key's path;
   * the public key is beside it with {@code .pub}.
   */
  public static Path sshKey(Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path key = dir.resolve(name);
    Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) throw new IOException("ssh-keygen failed: " + out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return key;
  }

  /** Pushes {@code main} (running the server's hook); returns what git printed, hook output included. */
  public String push() throws IOException {
    return git(work, "push", "-q", "origin", "HEAD:refs/heads/main");
  }

  public String pushTo(String branch) throws IOException {
    return git(work, "push", "-q", "origin", "HEAD:refs/heads/" + branch);
  }

  public static String git(Path dir, String... args) throws IOException {
    return new String(gitBytes(dir, args), StandardCharsets.UTF_8);
  }

  /** Runs git in {@code dir}; returns its output as bytes (stderr included), or fails naming the command. */
  public static byte[] gitBytes(Path dir, String... args) throws IOException {
    List<String> argv = new ArrayList<>(List.of("git", "-C", dir.toString()));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    try {
      if (p.waitFor() != 0) {
        throw new IOException("git " + String.join(" ", args) + " failed: " + new String(out, StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return out;
  }
}
