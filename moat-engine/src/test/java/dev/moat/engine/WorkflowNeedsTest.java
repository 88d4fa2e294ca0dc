package dev.moat.engine;

import static dev.moat.engine.ParseResults.parse;
import static dev.moat.engine.ParseResults.problems;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code needs:} across jobs: existence, self-reference, repetition and cycles. */
class WorkflowNeedsTest {
  @Test
  void rejectsANeedThatIsNotAJobAtTheEntry() {
    assertThat(problems("""
        on: push
        jobs:
          a:
            needs: [b, ghost]
            steps: [{run: x}]
          b:
            steps: [{run: y}]
        """)).containsExactly(
        "ci.yml:4:16: job 'a' needs 'ghost', which is not a job of this workflow");
  }

  @Test
  void rejectsAJobThatNeedsItselfOrTheSameJobTwice() {
    assertThat(problems("""
        on: push
        jobs:
          a:
            needs: [a]
            steps: [{run: x}]
          b:
            needs: [a, a]
            steps: [{run: y}]
        """)).containsExactly(
        "ci.yml:4:13: job 'a' needs itself",
        "ci.yml:7:16: job 'b' lists need 'a' more than once");
  }

  @Test
  void namesTheCycleAtTheFirstNeedOnIt() {
    assertThat(problems("""
        on: push
        jobs:
          a:
            needs: c
            steps: [{run: x}]
          b:
            needs: a
            steps: [{run: y}]
          c:
            needs: [b]
            steps: [{run: z}]
        """)).containsExactly("ci.yml:4:12: needs form a cycle: a -> c -> b -> a");
  }

  @Test
  void reportsSeparateCyclesSeparately() {
    assertThat(problems("""
        on: push
        jobs:
          a: {needs: b, steps: [{run: x}]}
          b: {needs: a, steps: [{run: x}]}
          c: {needs: d, steps: [{run: x}]}
          d: {needs: c, steps: [{run: x}]}
        """)).containsExactly(
        "ci.yml:3:14: needs form a cycle: a -> b -> a",
        "ci.yml:5:14: needs form a cycle: c -> d -> c");
  }

  @Test
  void aNeedOnAJobWithProblemsIsNotReportedAsMissing() {
    assertThat(problems("""
        on: push
        jobs:
          a: make
          b: {needs: a, steps: [{run: x}]}
        """)).containsExactly("ci.yml:3:6: 'jobs.a': expected a mapping, found a string");
  }

  @Test
  void acceptsADiamond() {
    Workflow workflow = parse("""
        on: push
        jobs:
          top: {steps: [{run: x}]}
          left: {needs: top, steps: [{run: x}]}
          right: {needs: [top], steps: [{run: x}]}
          bottom: {needs: [left, right], steps: [{run: x}]}
        """);

    assertThat(workflow.jobs().get(3).needs()).containsExactly("left", "right");
  }
}
