package dev.moat.server.github;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;

/**
 * How Moat authenticates to GitHub for one repository: a token (personal or fine-grained, used as is
 * for the API and for fetching), or a GitHub App (an RS256 JWT signed with the App's private key is
 * exchanged for short-lived installation tokens). Immutable; {@code toString} never shows secrets.
 */
public sealed interface GitHubAuth {
  /** A fixed token. */
  record Token(String token) implements GitHubAuth {
    public Token {
      if (token == null || token.isBlank()) throw new IllegalArgumentException("token is empty");
    }

    @Override
    public String toString() {
      return "Token[***]";
    }
  }

  /**
   * A GitHub App installation.
   *
   * @param appId the App's id (the JWT's {@code iss})
   * @param installationId the installation on the repository's owner
   * @param privateKeyPem the App's private key, PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1
   *     ({@code BEGIN RSA PRIVATE KEY}, what GitHub hands out)
   */
  record App(long appId, long installationId, String privateKeyPem) implements GitHubAuth {
    public App {
      Objects.requireNonNull(privateKeyPem, "privateKeyPem");
      if (appId <= 0 || installationId <= 0) throw new IllegalArgumentException("appId and installationId must be positive");
      privateKey(privateKeyPem); // refuse a bad key at registration, not at the first event
    }

    /**
     * The App's JWT: RS256, issued 60 s in the past (GitHub's advice against clock drift), valid 9
     * minutes (GitHub's maximum is 10).
     */
    public String jwt(Instant now) {
      var enc = Base64.getUrlEncoder().withoutPadding();
      String header = enc.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
      String claims = enc.encodeToString(("{\"iat\":" + (now.getEpochSecond() - 60) + ",\"exp\":" + (now.getEpochSecond() + 540)
          + ",\"iss\":\"" + appId + "\"}").getBytes(StandardCharsets.UTF_8));
      try {
        var rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(privateKey(privateKeyPem));
        rsa.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + enc.encodeToString(rsa.sign());
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("could not sign the GitHub App JWT", e);
      }
    }

    @Override
    public String toString() {
      return "App[appId=" + appId + ", installationId=" + installationId + ", key=***]";
    }
  }

  /** Parses an RSA private key in PEM, PKCS#8 or PKCS#1 (the latter wrapped into PKCS#8 here). */
  static PrivateKey privateKey(String pem) {
    boolean pkcs1 = pem.contains("BEGIN RSA PRIVATE KEY");
    String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    try {
      byte[] der = Base64.getDecoder().decode(b64);
      if (pkcs1) der = pkcs1ToPkcs8(der);
      return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw new IllegalArgumentException("the GitHub App private key is not an RSA key in PEM", e);
    }
  }

  /** PrivateKeyInfo { version 0, AlgorithmIdentifier rsaEncryption NULL, OCTET STRING pkcs1 }. */
  private static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
    byte[] algorithm = {0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    byte[] octets = der(0x04, pkcs1);
    byte[] body = new byte[algorithm.length + octets.length];
    System.arraycopy(algorithm, 0, body, 0, algorithm.length);
    System.arraycopy(octets, 0, body, algorithm.length, octets.length);
    return der(0x30, body);
  }

  private static byte[] der(int tag, byte[] content) {
    int n = content.length;
    byte[] len = n < 0x80 ? new byte[] {(byte) n}
        : n < 0x100 ? new byte[] {(byte) 0x81, (byte) n}
        : n < 0x10000 ? new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n}
        : new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
    byte[] out = new byte[1 + len.length + n];
    out[0] = (byte) tag;
    System.arraycopy(len, 0, out, 1, len.length);
    System.arraycopy(content, 0, out, 1 + len.length, n);
    return out;
  }
}
