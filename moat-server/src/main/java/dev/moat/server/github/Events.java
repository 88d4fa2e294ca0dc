package dev.moat.server.github;

import dev.moat.server.http.ApiException;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/** Reading fields of a GitHub event strictly: a missing or mistyped field is a 400 naming it. */
final class Events {
  static final String ZERO = "0".repeat(40);
  private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}");
  /** What Moat accepts of git's ref names: no refspec or revision syntax can ride along into a fetch. */
  private static final Pattern REF = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._/+-]{0,254}");

  /** A GitHub user as events carry it. */
  record User(long userId, String login) {}

  private Events() {}

  static String text(JsonNode node, String field) {
    JsonNode v = node.path(field);
    if (!v.isString() || v.asString().isEmpty()) throw ApiException.invalid("event field " + field + " is missing or not a string");
    return v.asString();
  }

  static long number(JsonNode node, String field) {
    JsonNode v = node.path(field);
    if (!v.isIntegralNumber() || v.asLong() < 0) throw ApiException.invalid("event field " + field + " is missing or not a number");
    return v.asLong();
  }

  static String sha(JsonNode node, String field) {
    String s = text(node, field);
    if (!SHA.matcher(s).matches()) throw ApiException.invalid("event field " + field + " is not a commit sha");
    return s;
  }

  /** A branch or full ref name that is safe inside a refspec: no {@code :}, {@code ..}, {@code @{}, spaces or {@code *}. */
  static String ref(JsonNode node, String field) {
    String s = text(node, field);
    if (!REF.matcher(s).matches() || s.contains("..") || s.contains("//") || s.endsWith("/") || s.endsWith(".lock")) {
      throw ApiException.invalid("event field " + field + " is not a usable ref name");
    }
    return s;
  }

  static User user(JsonNode node, String what) {
    if (!node.isObject()) throw ApiException.invalid("event field " + what + " is missing");
    return new User(number(node, "id"), text(node, "login"));
  }
}
