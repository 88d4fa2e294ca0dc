package dev.moat.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * A real GnuPG signing key (ed25519, no passphrase) in its own 0700 home, for tests of signed
 * commits. {@link #close()} stops the gpg-agent that gpg started for this home (by its home only).
 */
public final class GpgKey implements AutoCloseable {
  private final Path home;
  private final String uid;

  private GpgKey(Path home, String uid) {
    this.home = home;
    this.uid = uid;
  }

  /** Makes a key for {@code email} in a new home {@code dir}. */
  public static GpgKey create(Path dir, String email) throws IOException {
    Files.createDirectories(dir.getParent());
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    var key = new GpgKey(dir, email);
    key.gpg("--batch", "--quiet", "--passphrase", "", "--quick-gen-key", "Test <" + email + ">", "ed25519", "sign", "never");
    return key;
  }

  public Path home() {
    return home;
  }

  /** The armored public key. */
  public String publicKey() throws IOException {
    return gpg("--armor", "--export", uid);
  }

  /** Runs {@code git -C work} with this key as the signing key and this home as GNUPGHOME. */
  public String git(Path work, String... args) throws IOException {
    List<String> argv = new ArrayList<>(List.of("git", "-C", work.toString(), "-c", "gpg.format=openpgp",
        "-c", "gpg.program=gpg", "-c", "user.signingkey=" + uid));
    argv.addAll(List.of(args));
    return run(argv);
  }

  private String gpg(String... args) throws IOException {
    List<String> argv = new ArrayList<>(List.of("gpg"));
    argv.addAll(List.of(args));
    return run(argv);
  }

  private String run(List<String> argv) throws IOException {
    var pb = new ProcessBuilder(argv);
    pb.environment().put("GNUPGHOME", home.toString());
    Process p = pb.start();
    p.getOutputStream().close();
    var err = p.getErrorStream();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String errors = new String(err.readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) throw new IOException(String.join(" ", argv) + " failed: " + out + errors);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    run(List.of("gpgconf", "--kill", "all"));
  }
}
