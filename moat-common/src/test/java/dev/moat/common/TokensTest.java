package dev.moat.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokensTest {
  @Test
  void randomTokensAreDistinctAndPrefixed() {
    Set<String> tokens = new HashSet<>();
    for (int i = 0; i < 1000; i++) tokens.add(Tokens.random("moat_admin"));

    assertThat(tokens).hasSize(1000).allSatisfy(t -> assertThat(t).matches("moat_admin_[A-Za-z0-9_-]{43}"));
  }

  @Test
  void hashIsStableHexSha256() {
    assertThat(Tokens.hash("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(Tokens.hash("")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    String token = Tokens.random("moat_agent");
    assertThat(Tokens.hash(token)).isEqualTo(Tokens.hash(token)).hasSize(64).isLowerCase();
  }

  @Test
  void hmacSignatureMatchesRfc4231TestCaseTwo() {
    byte[] key = "Jefe".getBytes(StandardCharsets.US_ASCII);
    byte[] data = "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII);

    assertThat(Tokens.hmacSignature(key, data))
        .isEqualTo("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }

  @Test
  void constantTimeEqualsComparesContent() {
    assertThat(Tokens.constantTimeEquals("moat_x_abc", new String("moat_x_abc"))).isTrue();
    assertThat(Tokens.constantTimeEquals("moat_x_abc", "moat_x_abd")).isFalse();
    assertThat(Tokens.constantTimeEquals("moat_x_abc", "moat_x_ab")).isFalse();
    assertThat(Tokens.constantTimeEquals("", "")).isTrue();
  }

  @Test
  void nullIsNeverEqual() {
    assertThat(Tokens.constantTimeEquals(null, "a")).isFalse();
    assertThat(Tokens.constantTimeEquals("a", null)).isFalse();
    assertThat(Tokens.constantTimeEquals(null, null)).isFalse();
  }
}
