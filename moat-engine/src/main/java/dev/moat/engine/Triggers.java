package dev.moat.engine;

import java.util.List;
import java.util.Optional;

/**
 * When a workflow runs.
 *
 * @param push present when the workflow runs on pushes; its branch globs (empty = every branch)
 * @param pullRequest present when the workflow runs on pull requests; globs over the pull
 *     request's <em>base</em> branch, the one it would merge into (empty = every branch)
 */
public record Triggers(Optional<BranchFilter> push, Optional<BranchFilter> pullRequest) {
  private static final String BRANCH_PREFIX = "refs/heads/";

  public Triggers {
    java.util.Objects.requireNonNull(push, "push");
    java.util.Objects.requireNonNull(pullRequest, "pullRequest");
  }

  /** A workflow that runs on pushes only. */
  public Triggers(Optional<BranchFilter> push) {
    this(push, Optional.empty());
  }

  /**
   * Branch globs: {@code *} matches within one path segment, {@code **} across segments, {@code ?}
   * one character other than {@code /}. An entry {@code !glob} excludes the branches it matches: a
   * branch matches when it matches some plain glob (or there are only exclusions) and no exclusion.
   */
  public record BranchFilter(List<String> branches) {
    public BranchFilter {
      branches = List.copyOf(branches);
    }
  }

  /**
   * Whether a push to {@code ref} (e.g. {@code refs/heads/main}) starts this workflow. Tags and other
   * refs never match a branch filter.
   */
  public boolean matchesPush(String ref) {
    return matches(push, ref);
  }

  /**
   * Whether a pull request into {@code baseRef} (e.g. {@code refs/heads/main}) starts this workflow.
   */
  public boolean matchesPullRequest(String baseRef) {
    return matches(pullRequest, baseRef);
  }

  private static boolean matches(Optional<BranchFilter> filter, String ref) {
    if (filter.isEmpty() || ref == null || !ref.startsWith(BRANCH_PREFIX)) return false;
    String branch = ref.substring(BRANCH_PREFIX.length());
    if (branch.isEmpty()) return false;
    List<String> globs = filter.get().branches();
    if (globs.isEmpty()) return true;
    boolean onlyExclusions = true;
    boolean included = false;
    for (String glob : globs) {
      if (glob.startsWith("!")) {
        if (BranchGlob.matches(glob.substring(1), branch)) return false;
      } else {
        onlyExclusions = false;
        included |= BranchGlob.matches(glob, branch);
      }
    }
    return included || onlyExclusions;
  }
}
