package dev.moat.common.secret;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals and opens secrets with AES-256-GCM (invariant I7): a fresh random 12-byte IV per value, and
 * additional authenticated data that binds the ciphertext to its scope, its name and its key
 * version, so a ciphertext moved to another name or scope fails to open. New values are sealed
 * with the current key; any key of the ring opens the values it sealed, which is what lets a
 * rotation re-seal everything while every value stays readable.
 *
 * <p>Thread-safe: immutable, and a {@link Cipher} is made per call.
 */
public final class Keyring {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String TRANSFORMATION = "AES/GCM/NoPadding";

  private final MasterKey current;
  private final Map<Integer, MasterKey> byVersion;

  /**
   * @param current the key that seals new values
   * @param others older (or next) keys that still open values; versions must differ
   */
  public Keyring(MasterKey current, Collection<MasterKey> others) {
    this.current = Objects.requireNonNull(current, "current");
    Map<Integer, MasterKey> keys = new TreeMap<>();
    keys.put(current.version(), current);
    for (MasterKey k : others) {
      MasterKey clash = keys.putIfAbsent(k.version(), k);
      if (clash != null && clash != k) throw new IllegalArgumentException("two keys of version " + k.version());
    }
    this.byVersion = Map.copyOf(keys);
  }

  public int currentVersion() {
    return current.version();
  }

  /** Seals {@code value} as {@code name} in {@code scope} with the current key. */
  public SealedValue seal(String scope, String name, Secret value) {
    byte[] iv = new byte[SealedValue.IV_BYTES];
    RANDOM.nextBytes(iv);
    try {
      Cipher c = Cipher.getInstance(TRANSFORMATION);
      c.init(Cipher.ENCRYPT_MODE, current.key(), new GCMParameterSpec(SealedValue.TAG_BYTES * 8, iv));
      c.updateAAD(aad(scope, name, current.version()));
      return new SealedValue(current.version(), iv, c.doFinal(value.reveal()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * Opens a value sealed as {@code name} in {@code scope}.
   *
   * @throws SecretIntegrityException if the key version is not in the ring, or the ciphertext was
   *     altered, swapped with another name's or scope's, or sealed with another key
   */
  public Secret open(String scope, String name, SealedValue sealed) {
    MasterKey key = byVersion.get(sealed.keyVersion());
    if (key == null) throw new SecretIntegrityException("no key of version " + sealed.keyVersion() + " to open " + scope + "/" + name);
    try {
      Cipher c = Cipher.getInstance(TRANSFORMATION);
      c.init(Cipher.DECRYPT_MODE, key.key(), new GCMParameterSpec(SealedValue.TAG_BYTES * 8, sealed.iv()));
      c.updateAAD(aad(scope, name, sealed.keyVersion()));
      return Secret.of(c.doFinal(sealed.ciphertext()));
    } catch (AEADBadTagException e) {
      throw new SecretIntegrityException("secret " + scope + "/" + name + " does not open: altered, moved or sealed with another key");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** Re-seals with the current key what an older key sealed; a current value is returned as is. */
  public SealedValue reseal(String scope, String name, SealedValue sealed) {
    return sealed.keyVersion() == current.version() ? sealed : seal(scope, name, open(scope, name, sealed));
  }

  /** "moat-secret/1", then scope, name and key version, each length-prefixed so no two tuples collide. */
  static byte[] aad(String scope, String name, int version) {
    byte[] s = scope.getBytes(StandardCharsets.UTF_8);
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    byte[] tag = "moat-secret/1".getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(tag.length + 4 + s.length + 4 + n.length + 4)
        .put(tag).putInt(s.length).put(s).putInt(n.length).put(n).putInt(version).array();
  }
}
