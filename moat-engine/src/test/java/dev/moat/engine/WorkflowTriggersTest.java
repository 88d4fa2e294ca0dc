package dev.moat.engine;

import static dev.moat.engine.ParseResults.parse;
import static dev.moat.engine.ParseResults.problems;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The forms of {@code on:} and their errors. */
class WorkflowTriggersTest {
  private static final String JOBS = "jobs: {a: {steps: [{run: make}]}}\n";

  private static Triggers on(String on) {
    return parse(on + "\n" + JOBS).on();
  }

  private static Triggers branches(String... globs) {
    return new Triggers(Optional.of(new Triggers.BranchFilter(List.of(globs))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"on: push", "on: [push]", "on: {push: }", "on:\n  push:", "on: {push: {}}",
      "on: {push: {branches: }}", "on: {push: {branches: []}}"})
  void acceptsEveryFormThatMeansEveryBranch(String on) {
    assertThat(on(on)).isEqualTo(branches());
  }

  @Test
  void readsBranchesAsAListOrASingleGlob() {
    assertThat(on("on: {push: {branches: main}}")).isEqualTo(branches("main"));
    assertThat(on("on:\n  push:\n    branches: [main, 'release/**', '!release/old']"))
        .isEqualTo(branches("main", "release/**", "!release/old"));
  }

  @Test
  void namesTheUnsupportedTrigger() {
    assertThat(problems("on: schedule\n" + JOBS)).containsExactly(
        "ci.yml:1:5: unsupported trigger 'schedule'; supported: push, pull_request");
    assertThat(problems("on: [push, schedule]\n" + JOBS)).containsExactly(
        "ci.yml:1:12: unsupported trigger 'schedule'; supported: push, pull_request");
    assertThat(problems("on:\n  push:\n  workflow_dispatch:\n" + JOBS)).containsExactly(
        "ci.yml:3:3: unsupported trigger 'workflow_dispatch'; supported: push, pull_request");
  }

  @Test
  void pullRequestsFilterOnTheBranchTheyMergeInto() {
    Triggers both = on("on: [push, pull_request]");
    assertThat(both.matchesPush("refs/heads/feature")).isTrue();
    assertThat(both.matchesPullRequest("refs/heads/anything")).isTrue();

    Triggers prOnly = on("on:\n  pull_request:\n    branches: [main, '!main-old']");
    assertThat(prOnly.matchesPush("refs/heads/main")).as("no push trigger").isFalse();
    assertThat(prOnly.matchesPullRequest("refs/heads/main")).isTrue();
    assertThat(prOnly.matchesPullRequest("refs/heads/develop")).isFalse();

    Triggers pushOnly = on("on: push");
    assertThat(pushOnly.matchesPullRequest("refs/heads/main")).as("a push workflow never runs a pull request").isFalse();
    assertThat(problems("on:\n  pull_request:\n    types: [opened]\n" + JOBS)).containsExactly(
        "ci.yml:3:5: unknown key 'types' in 'on.pull_request'; allowed: branches");
  }

  @Test
  void rejectsUnknownPushKeysAndBadBranches() {
    assertThat(problems("on:\n  push:\n    tags: [v*]\n" + JOBS)).containsExactly(
        "ci.yml:3:5: unknown key 'tags' in 'on.push'; allowed: branches");
    assertThat(problems("on: {push: {branches: {main: 1}}}\n" + JOBS)).containsExactly(
        "ci.yml:1:23: 'on.push.branches': expected a string or a list of strings, found a mapping");
    assertThat(problems("on: {push: {branches: [main, '!', '']}}\n" + JOBS)).containsExactly(
        "ci.yml:1:30: 'on.push.branches': a branch pattern must not be blank",
        "ci.yml:1:35: 'on.push.branches': a branch pattern must not be blank");
    assertThat(problems("on: {push: [main]}\n" + JOBS)).containsExactly(
        "ci.yml:1:12: 'on.push': expected a mapping, found a list");
  }

  @Test
  void rejectsAnOnThatNamesNoTrigger() {
    assertThat(problems("on: {}\n" + JOBS)).containsExactly(
        "ci.yml:1:5: 'on' names no trigger; supported: push, pull_request");
    assertThat(problems("on: []\n" + JOBS)).containsExactly(
        "ci.yml:1:5: 'on' names no trigger; supported: push, pull_request");
    assertThat(problems("on:\n" + JOBS)).singleElement().asString().endsWith(
        "'on': expected a trigger name, a list of them or a mapping, found nothing (null)");
  }

  @Test
  void readsOnAsAStringNotABoolean() {
    // YAML 1.1 would read the key `on` as true; snakeyaml-engine follows YAML 1.2.
    assertThat(parse("on: push\n" + JOBS).on().push()).isPresent();
  }
}
