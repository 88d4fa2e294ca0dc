package dev.moat.common.secret;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * One version of the AES-256 key that seals secrets at rest. It comes from a file that only its
 * owner can read (mode 0600; anything wider is refused) holding {@code v<version>:<base64 of 32
 * bytes>}, or from an environment variable in the same format. {@link #toString()} never shows the
 * key. Immutable.
 *
 * @param version the key's version, recorded with every value it seals, so that rotation can
 *     read values sealed with an older key
 */
public record MasterKey(int version, SecretKey key) {
  static final int BYTES = 32;

  public MasterKey {
    if (version < 1) throw new IllegalArgumentException("key version must be at least 1");
    if (key.getEncoded().length != BYTES) throw new IllegalArgumentException("a master key has 32 bytes");
  }

  /** A new random key of {@code version}. */
  public static MasterKey generate(int version) {
    byte[] bytes = new byte[BYTES];
    new SecureRandom().nextBytes(bytes);
    return new MasterKey(version, new SecretKeySpec(bytes, "AES"));
  }

  /** The key in {@code text}: {@code v<version>:<base64>}. */
  public static MasterKey parse(String text) {
    var m = java.util.regex.Pattern.compile("v([1-9][0-9]{0,8}):([A-Za-z0-9+/=]+)").matcher(text.strip());
    if (!m.matches()) throw new IllegalArgumentException("a master key is written v<version>:<base64 of 32 bytes>");
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(m.group(2));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the master key is not valid base64");
    }
    if (bytes.length != BYTES) throw new IllegalArgumentException("a master key has 32 bytes, not " + bytes.length);
    return new MasterKey(Integer.parseInt(m.group(1)), new SecretKeySpec(bytes, "AES"));
  }

  /** The key in file {@code path}, which must be a regular file of mode 0600 (or 0400). */
  public static MasterKey read(Path path) throws IOException {
    if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) throw new IOException("no master key file " + path);
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
    if (!Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE).containsAll(mode)) {
      throw new IOException("master key file " + path + " must be readable by its owner only (mode 0600), not "
          + PosixFilePermissions.toString(mode));
    }
    return parse(Files.readString(path));
  }

  /** Writes this key to a new file {@code path} with mode 0600; an existing file is never replaced. */
  public void writeNew(Path path) throws IOException {
    Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(path, format() + "\n");
  }

  /** {@code v<version>:<base64>}: the key itself, for the file or the environment. */
  public String format() {
    return "v" + version + ":" + Base64.getEncoder().encodeToString(key.getEncoded());
  }

  @Override
  public String toString() {
    return "MasterKey[v" + version + ", ***]";
  }
}
