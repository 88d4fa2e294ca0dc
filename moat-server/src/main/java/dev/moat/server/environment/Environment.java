package dev.moat.server.environment;

import dev.moat.common.wire.EnvironmentNames;
import dev.moat.engine.trust.TrustTier;
import dev.moat.server.secret.Scopes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An environment: the secret scopes it binds and the protection rules a job that opts into it
 * ({@code environment: NAME}) must pass before it runs. Immutable.
 *
 * <ul>
 *   <li>{@code scopes}: bound scopes besides its own {@code env:NAME}, which is always bound. A bound
 *       {@code repo:R} is granted only to jobs of repository R, so one environment can serve several
 *       repositories without one reading another's secrets; {@code global} is granted to every job
 *       of the environment.
 *   <li>{@code branches}: globs the job's branch must match ({@code *} within a path segment,
 *       {@code **} across them); empty: any branch. A ref that is not a branch (a tag) is matched
 *       as its full name, e.g. {@code refs/tags/v1}.
 *   <li>{@code minTrust}: the weakest trust tier of the run (issue 4) that may use it.
 *   <li>{@code reviewers}: 0 or 1: with 1, the job's run is held for a maintainer's approval before
 *       any of its jobs is queued (a run-level hold, the issue-4 machinery).
 *   <li>{@code waitTimer}: how long the job waits once queued before an agent may take it.
 * </ul>
 */
public record Environment(String name, List<String> scopes, List<String> branches, TrustTier minTrust, int reviewers,
    Duration waitTimer) {
  /** More than one reviewer would need several approvals of one hold, which holds don't have yet. */
  public static final int MAX_REVIEWERS = 1;
  private static final Pattern GLOB = Pattern.compile("[A-Za-z0-9._/*-]{1,200}");

  public Environment {
    EnvironmentNames.check(name);
    scopes = List.copyOf(scopes);
    scopes.forEach(Scopes::check);
    branches = List.copyOf(branches);
    for (String b : branches) {
      if (!GLOB.matcher(b).matches()) {
        throw new IllegalArgumentException("bad branch glob '" + b + "': use letters, digits, '.', '_', '-', '/' and '*'");
      }
    }
    Objects.requireNonNull(minTrust, "minTrust");
    if (reviewers < 0 || reviewers > MAX_REVIEWERS) {
      throw new IllegalArgumentException("reviewers must be 0 or 1 (an approval by one maintainer); "
          + reviewers + " is not supported");
    }
    if (waitTimer.isNegative() || waitTimer.compareTo(Duration.ofDays(1)) > 0) {
      throw new IllegalArgumentException("the wait timer must be between 0 and 24 h");
    }
  }

  /** Its own scope, {@code env:NAME}. */
  public String ownScope() {
    return "env:" + name;
  }

  /**
   * The scopes a job of {@code repo} gets, most specific first (a name in several is read from the
   * first): {@code env:NAME}, then the bound {@code env:} scopes, then {@code repo:<repo>} if
   * bound, then {@code global} if bound.
   */
  public List<String> scopesFor(String repo) {
    List<String> out = new ArrayList<>(List.of(ownScope()));
    for (String s : scopes) if (s.startsWith("env:") && !out.contains(s)) out.add(s);
    if (scopes.contains("repo:" + repo)) out.add("repo:" + repo);
    if (scopes.contains(Scopes.GLOBAL)) out.add(Scopes.GLOBAL);
    return List.copyOf(out);
  }

  /** Why a job of a run on {@code ref} with trust {@code tier} may not use this environment, or null if it may. */
  public String refusal(String ref, TrustTier tier) {
    String branch = ref.startsWith("refs/heads/") ? ref.substring("refs/heads/".length()) : ref;
    if (!branches.isEmpty() && branches.stream().noneMatch(g -> glob(g).matcher(branch).matches())) {
      return "environment " + name + " allows only branches " + String.join(", ", branches) + "; '" + branch + "' is not one of them";
    }
    if (tier.ordinal() > minTrust.ordinal()) {
      return "environment " + name + " needs a " + minTrust.wire() + " run or better; this run is " + tier.wire();
    }
    return null;
  }

  static Pattern glob(String glob) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
        re.append(".*");
        i++;
      } else if (c == '*') {
        re.append("[^/]*");
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }
}
