package dev.moat.server.secret;

import dev.moat.common.wire.EnvironmentNames;
import java.util.regex.Pattern;

/**
 * Secret scopes and names. A scope is {@code global}, {@code repo:NAME} or {@code env:NAME}; which
 * jobs may read it is decided by environments ({@link dev.moat.server.environment.Environment}): a
 * job without an environment reads none. A name is an environment variable name, since a step's
 * {@code secrets: [NAME]} puts the value in its environment under that name.
 */
public final class Scopes {
  public static final String GLOBAL = "global";
  private static final Pattern REPO = Pattern.compile("repo:[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  private Scopes() {}

  /** {@code scope}, or an {@link IllegalArgumentException} saying what a scope may be. */
  public static String check(String scope) {
    if (scope == null) throw new IllegalArgumentException("a scope is required: global, repo:NAME or env:NAME");
    if (scope.equals(GLOBAL) || REPO.matcher(scope).matches()) return scope;
    if (scope.startsWith("env:") && EnvironmentNames.valid(scope.substring(4))) return scope;
    throw new IllegalArgumentException("bad scope '" + scope + "': use global, repo:NAME or env:NAME");
  }

  public static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** {@code name}, or an {@link IllegalArgumentException} saying what a secret name may be. */
  public static String checkName(String name) {
    if (!validName(name)) {
      throw new IllegalArgumentException("bad secret name '" + name
          + "': use letters, digits and '_', starting with a letter or '_', at most 128 (it becomes an environment variable)");
    }
    return name;
  }
}
