package dev.moat.common.mask;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every form in which a secret value can show up in a log (invariant I8), as byte patterns to mask:
 * <ul>
 *   <li>the raw value (UTF-8), and each line of a multi-line value;
 *   <li>its base64, standard and URL-safe, at all three alignments: the value may start at any byte
 *       offset of a longer encoded blob, so for each offset the characters that depend on the value's
 *       bytes alone (not on its neighbours) are a pattern;
 *   <li>URL-encoded: RFC 3986 with upper- and lowercase hex, and HTML-form encoding ({@code +} for space);
 *   <li>JSON-escaped, as a JSON encoder writes it inside a string, also with non-ASCII as {@code \\uXXXX}.
 * </ul>
 * Forms shorter than {@link #MIN_FORM} bytes are left out, because masking them would hide ordinary
 * text; values shorter than {@link #MIN_VALUE} characters are refused where they are set. Stateless.
 */
public final class SecretForms {
  /** The shortest value that can be a secret: shorter ones are refused when set, with the reason. */
  public static final int MIN_VALUE = 4;
  /** The shortest derived form (a line, a base64 slice) that is masked. */
  public static final int MIN_FORM = 4;

  private SecretForms() {}

  /** The distinct patterns for {@code value}, longest first. */
  public static List<byte[]> of(String value) {
    if (value.length() < MIN_VALUE) {
      throw new IllegalArgumentException("a secret value must have at least " + MIN_VALUE + " characters");
    }
    Set<String> forms = new LinkedHashSet<>();
    List<String> wholes = new ArrayList<>(List.of(value));
    for (String line : value.split("\r?\n", -1)) {
      if (line.length() >= MIN_FORM) wholes.add(line);
    }
    for (String whole : wholes) {
      forms.add(whole);
      byte[] bytes = whole.getBytes(StandardCharsets.UTF_8);
      for (int offset = 0; offset < 3; offset++) {
        forms.add(base64Slice(Base64.getEncoder().withoutPadding(), bytes, offset));
        forms.add(base64Slice(Base64.getUrlEncoder().withoutPadding(), bytes, offset));
      }
      forms.add(percentEncoded(bytes, "0123456789ABCDEF"));
      forms.add(percentEncoded(bytes, "0123456789abcdef"));
      forms.add(URLEncoder.encode(whole, StandardCharsets.UTF_8));
      forms.add(jsonEscaped(whole, false));
      forms.add(jsonEscaped(whole, true));
    }
    return forms.stream().filter(f -> f.length() >= MIN_FORM)
        .map(f -> f.getBytes(StandardCharsets.UTF_8))
        .sorted((a, b) -> Integer.compare(b.length, a.length))
        .toList();
  }

  /**
   * The characters of base64({@code offset} bytes, then {@code bytes}, then anything) that depend on
   * {@code bytes} alone: character i covers bits [6i, 6i + 6) of the stream, and {@code bytes}
   * covers bits [8 offset, 8 (offset + n)).
   */
  static String base64Slice(Base64.Encoder encoder, byte[] bytes, int offset) {
    byte[] shifted = new byte[offset + bytes.length];
    System.arraycopy(bytes, 0, shifted, offset, bytes.length);
    String encoded = encoder.encodeToString(shifted);
    int first = (8 * offset + 5) / 6;
    int end = (8 * (offset + bytes.length)) / 6; // exclusive: the last whole character
    return first >= end ? "" : encoded.substring(first, Math.min(end, encoded.length()));
  }

  private static String percentEncoded(byte[] bytes, String hex) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte b : bytes) {
      int c = b & 0xff;
      boolean unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~';
      if (unreserved) {
        out.write(c);
      } else {
        out.write('%');
        out.write(hex.charAt(c >> 4));
        out.write(hex.charAt(c & 0xf));
      }
    }
    return out.toString(StandardCharsets.US_ASCII);
  }

  static String jsonEscaped(String s, boolean asciiOnly) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || (asciiOnly && c > 0x7e)) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.toString();
  }
}
