package dev.moat.common.mask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamMaskerTest {
  static final String SECRET = "hunter2-Sécret/with+odd=chars\"\\";
  static final String MULTILINE = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\nAASCBKcwggSjAgEAAoIBAQC7\n-----END KEY-----";

  static String maskAll(StreamMasker m, String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(m.feed(text.getBytes(StandardCharsets.UTF_8)));
    out.writeBytes(m.finish());
    return out.toString(StandardCharsets.UTF_8);
  }

  static String masked(String text, String... secrets) {
    return maskAll(new StreamMasker(List.of(secrets)), text);
  }

  @Test
  void theRawValueIsMasked() {
    assertThat(masked("token=" + SECRET + " done", SECRET)).isEqualTo("token=*** done");
  }

  @Test
  void base64InBothAlphabetsAtEveryAlignmentIsMasked() {
    byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
    for (Base64.Encoder encoder : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
      for (int prefix = 0; prefix < 3; prefix++) {
        byte[] blob = new byte[prefix + secret.length + 2];
        System.arraycopy(secret, 0, blob, prefix, secret.length);
        blob[blob.length - 1] = 'z';
        String encoded = encoder.encodeToString(blob);
        String out = masked("creds: " + encoded + " end", SECRET);
        assertThat(out).as("alignment %d", prefix).contains("***").doesNotContain(encoded);
        // Only the characters that also encode the neighbouring bytes remain: at most 3 before, 7 after.
        assertThat(out.length()).isLessThanOrEqualTo(("creds:  end").length() + 3 + 3 + 7);
      }
    }
  }

  @Test
  void urlEncodedAndJsonEscapedFormsAreMasked() {
    String form = URLEncoder.encode(SECRET, StandardCharsets.UTF_8);
    String rfc3986 = form.replace("+", "%20");
    String json = SecretForms.jsonEscaped(SECRET, false);
    String jsonAscii = SecretForms.jsonEscaped(SECRET, true);
    String lowerHex = java.util.regex.Pattern.compile("%[0-9A-F]{2}").matcher(rfc3986).replaceAll(r -> r.group().toLowerCase());
    assertThat(masked("a=" + form + "&b=" + rfc3986 + "&c=" + lowerHex, SECRET)).isEqualTo("a=***&b=***&c=***");
    assertThat(masked("{\"v\":\"" + json + "\",\"w\":\"" + jsonAscii + "\"}", SECRET)).isEqualTo("{\"v\":\"***\",\"w\":\"***\"}");
  }

  @Test
  void eachLineOfAMultiLineValueIsMaskedOnItsOwn() {
    String out = masked("printed one line: MIIEvQIBADANBgkqhkiG9w0BAQEF\nand the whole:\n" + MULTILINE + "\n", MULTILINE);
    assertThat(out).doesNotContain("MIIEvQIBADANBgkqhkiG9w0BAQEF").doesNotContain("AASCBKcwggSjAgEAAoIBAQC7")
        .startsWith("printed one line: ***\nand the whole:\n***");
  }

  @Test
  void aMatchSplitAcrossWritesIsMaskedAndHeldUntilItIsDecided() {
    StreamMasker m = new StreamMasker(List.of(SECRET));
    String text = "before " + SECRET + " after";
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int split = "before ".length() + 5;
    byte[] first = m.feed(bytes, 0, split);
    // A flush happens here: nothing of the value's start may have left yet.
    assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("before ");
    assertThat(m.holding()).isTrue();
    byte[] second = m.feed(bytes, split, bytes.length - split);
    String all = new String(first, StandardCharsets.UTF_8) + new String(second, StandardCharsets.UTF_8)
        + new String(m.finish(), StandardCharsets.UTF_8);
    assertThat(all).isEqualTo("before *** after");
  }

  @Test
  void anyChunkingGivesTheSameOutputAsOneWrite() {
    Random random = new Random(42);
    List<String> secrets = List.of(SECRET, MULTILINE, "s3cr3t-t0k3n", "abcdabcdx");
    String[] noise = {"log ", "abcdabc", "s3cr3t", "\n", "x=", "MIIE", "%2F", "==", "hunter"};
    for (int round = 0; round < 200; round++) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < 30; i++) {
        text.append(random.nextInt(5) == 0 ? secrets.get(random.nextInt(secrets.size())) : noise[random.nextInt(noise.length)]);
      }
      String expected = masked(text.toString(), secrets.toArray(String[]::new));
      StreamMasker m = new StreamMasker(secrets);
      byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int at = 0; at < bytes.length; ) {
        int n = Math.min(bytes.length - at, 1 + random.nextInt(7));
        out.writeBytes(m.feed(bytes, at, n));
        at += n;
      }
      out.writeBytes(m.finish());
      String chunked = out.toString(StandardCharsets.UTF_8);
      assertThat(chunked).isEqualTo(expected);
      for (String s : secrets) assertThat(chunked).doesNotContain(s);
    }
  }

  @Test
  void ordinaryTextPassesAtOnceAndUnchanged() {
    StreamMasker m = new StreamMasker(List.of(SECRET));
    byte[] out = m.feed("compiling 12 files\n".getBytes(StandardCharsets.UTF_8));
    assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo("compiling 12 files\n");
    assertThat(m.holding()).isFalse();
    assertThat(masked("no secrets here")).isEqualTo("no secrets here");
  }

  @Test
  void overlappingMatchesBecomeOneMask() {
    assertThat(masked("xx abcdabcd yy", "abcdabcd", "cdab")).isEqualTo("xx *** yy");
  }

  @Test
  void valuesShorterThanFourCharactersAreRefusedWithTheReason() {
    assertThatThrownBy(() -> new StreamMasker(List.of("abc"))).hasMessageContaining("at least 4 characters");
  }
}
