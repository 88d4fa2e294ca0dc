package dev.moat.common.secret;

import java.util.Arrays;

/**
 * A secret as stored: the version of the key that sealed it, a 12-byte IV used once, and the
 * AES-GCM ciphertext with its 16-byte tag. Holds no plaintext. Immutable (defensive copies).
 */
public record SealedValue(int keyVersion, byte[] iv, byte[] ciphertext) {
  public static final int IV_BYTES = 12;
  static final int TAG_BYTES = 16;

  public SealedValue {
    if (keyVersion < 1) throw new IllegalArgumentException("key version must be at least 1");
    if (iv.length != IV_BYTES) throw new IllegalArgumentException("an IV has 12 bytes");
    if (ciphertext.length < TAG_BYTES) throw new IllegalArgumentException("ciphertext shorter than its tag");
    iv = iv.clone();
    ciphertext = ciphertext.clone();
  }

  @Override
  public byte[] iv() {
    return iv.clone();
  }

  @Override
  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SealedValue s && s.keyVersion == keyVersion && Arrays.equals(s.iv, iv)
        && Arrays.equals(s.ciphertext, ciphertext);
  }

  @Override
  public int hashCode() {
    return 31 * keyVersion + Arrays.hashCode(iv);
  }

  @Override
  public String toString() {
    return "SealedValue[v" + keyVersion + ", " + ciphertext.length + " bytes]";
  }
}
