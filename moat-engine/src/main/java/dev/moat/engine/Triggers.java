package dev.moat.engine;

import java.util.List;
import java.util.Optional;

/**
 * When a workflow runs.
 *
 * @param push present when the workflow runs on pushes; its branch globs (empty = every branch)
 */
public record Triggers(Optional<BranchFilter> push) {
  private static final String BRANCH_PREFIX = "refs/heads/";

  public Triggers {
    java.util.Objects.requireNonNull(push, "push");
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
    if (push.isEmpty() || ref == null || !ref.startsWith(BRANCH_PREFIX)) return false;
    String branch = ref.substring(BRANCH_PREFIX.length());
    if (branch.isEmpty()) return false;
    List<String> globs = push.get().branches();
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
