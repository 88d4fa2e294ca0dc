package dev.moat.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TriggersTest {
  private static Triggers push(String... globs) {
    return new Triggers(Optional.of(new Triggers.BranchFilter(List.of(globs))));
  }

  @ParameterizedTest(name = "{0} vs {1} -> {2}")
  @CsvSource(delimiter = '|', textBlock = """
      ''                               | refs/heads/main              | true
      ''                               | refs/heads/feature/deep/x    | true
      main                             | refs/heads/main              | true
      main                             | refs/heads/main2             | false
      main                             | refs/heads/feature/main      | false
      release/*                        | refs/heads/release/1.0       | true
      release/*                        | refs/heads/release/1.0/fix   | false
      release/*                        | refs/heads/release           | false
      release/**                       | refs/heads/release/1.0       | true
      release/**                       | refs/heads/release/1.0/fix   | true
      release/**                       | refs/heads/release           | false
      release/**                       | refs/heads/releases/1.0      | false
      feature-?                        | refs/heads/feature-a         | true
      feature-?                        | refs/heads/feature-ab        | false
      feature-?                        | refs/heads/feature-          | false
      *                                | refs/heads/main              | true
      *                                | refs/heads/a/b               | false
      **                               | refs/heads/a/b               | true
      */fix                            | refs/heads/team/fix          | true
      */fix                            | refs/heads/team/sub/fix      | false
      **/fix                           | refs/heads/team/sub/fix      | true
      v1.0                             | refs/heads/v1.0              | true
      v1.0                             | refs/heads/v1x0              | false
      a+b                              | refs/heads/a+b               | true
      a+b                              | refs/heads/aab               | false
      (x)[y]{2}$^\\                    | refs/heads/(x)[y]{2}$^\\     | true
      main,!main                       | refs/heads/main              | false
      !wip/**                          | refs/heads/main              | true
      !wip/**                          | refs/heads/wip/idea          | false
      release/**,!release/old/**       | refs/heads/release/new       | true
      release/**,!release/old/**       | refs/heads/release/old/x     | false
      release/**,!release/old/**       | refs/heads/main              | false
      !release/old/**,release/**       | refs/heads/release/old/x     | false
      **                               | refs/tags/v1.0               | false
      ''                               | refs/tags/v1.0               | false
      ''                               | refs/pull/1/head             | false
      ''                               | refs/heads/                  | false
      ''                               | main                         | false
      """)
  void matchesBranchGlobs(String globs, String ref, boolean expected) {
    String[] list = globs.isEmpty() ? new String[0] : globs.split(",");
    assertThat(push(list).matchesPush(ref)).as("%s vs %s", Arrays.toString(list), ref).isEqualTo(expected);
  }

  @Test
  void aWorkflowWithoutAPushTriggerNeverMatches() {
    assertThat(new Triggers(Optional.empty()).matchesPush("refs/heads/main")).isFalse();
  }

  @Test
  void aHostileGlobCannotMakeMatchingBacktrack() {
    String glob = "*a".repeat(30) + "b";
    String branch = "a".repeat(5_000);

    // A guard against catastrophic backtracking, not a benchmark.
    boolean matched = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> push(glob).matchesPush("refs/heads/" + branch));

    assertThat(matched).isFalse();
  }
}
