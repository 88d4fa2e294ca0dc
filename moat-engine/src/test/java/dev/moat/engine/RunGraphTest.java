package dev.moat.engine;

import static dev.moat.engine.JobState.CANCELLED;
import static dev.moat.engine.JobState.FAILED;
import static dev.moat.engine.JobState.PENDING;
import static dev.moat.engine.JobState.QUEUED;
import static dev.moat.engine.JobState.RUNNING;
import static dev.moat.engine.JobState.SKIPPED;
import static dev.moat.engine.JobState.SUCCEEDED;
import static dev.moat.engine.JobState.TIMED_OUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunGraphTest {
  /** {@code "b:a c:b"} means b needs a, c needs b; a bare id needs nothing. */
  private static RunGraph graph(String spec) {
    Map<String, List<String>> needs = new LinkedHashMap<>();
    for (String job : spec.split(" ")) {
      String[] parts = job.split(":");
      needs.put(parts[0], parts.length == 1 ? List.of() : List.of(parts[1].split(",")));
    }
    return new RunGraph(needs);
  }

  private static Map<String, JobState> states(Object... pairs) {
    Map<String, JobState> states = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) states.put((String) pairs[i], (JobState) pairs[i + 1]);
    return states;
  }

  private static RunGraph.Decisions decisions(List<String> toQueue, List<String> toSkip) {
    return new RunGraph.Decisions(toQueue, toSkip);
  }

  @Test
  void queuesEveryJobWithoutNeeds() {
    assertThat(graph("a b c:a").next(states("a", PENDING, "b", PENDING, "c", PENDING)))
        .isEqualTo(decisions(List.of("a", "b"), List.of()));
  }

  @Test
  void queuesAJobOnceAllItsNeedsSucceeded() {
    RunGraph chain = graph("a b:a c:b");

    assertThat(chain.next(states("a", RUNNING, "b", PENDING, "c", PENDING)))
        .isEqualTo(decisions(List.of(), List.of()));
    assertThat(chain.next(states("a", SUCCEEDED, "b", PENDING, "c", PENDING)))
        .isEqualTo(decisions(List.of("b"), List.of()));
    assertThat(chain.next(states("a", SUCCEEDED, "b", QUEUED, "c", PENDING)))
        .isEqualTo(decisions(List.of(), List.of()));
  }

  @Test
  void skipsAWholeChainInOneCallWhenItsFirstNeedFails() {
    RunGraph chain = graph("a b:a c:b d:c");

    assertThat(chain.next(states("a", FAILED, "b", PENDING, "c", PENDING, "d", PENDING)))
        .isEqualTo(decisions(List.of(), List.of("b", "c", "d")));
  }

  @Test
  void propagatesSkipsWhateverTheOrderOfTheMap() {
    RunGraph chain = graph("c:b b:a a");

    assertThat(chain.next(states("c", PENDING, "b", PENDING, "a", TIMED_OUT)))
        .isEqualTo(decisions(List.of(), List.of("b", "c")));
  }

  @Test
  void skipsAfterANeedThatWasCancelledOrSkipped() {
    RunGraph graph = graph("a b c:a d:b");

    assertThat(graph.next(states("a", CANCELLED, "b", SKIPPED, "c", PENDING, "d", PENDING)))
        .isEqualTo(decisions(List.of(), List.of("c", "d")));
  }

  @Test
  void runsADiamondInWaves() {
    RunGraph diamond = graph("top left:top right:top bottom:left,right");

    assertThat(diamond.next(states("top", PENDING, "left", PENDING, "right", PENDING, "bottom", PENDING)))
        .isEqualTo(decisions(List.of("top"), List.of()));
    assertThat(diamond.next(states("top", SUCCEEDED, "left", PENDING, "right", PENDING, "bottom", PENDING)))
        .isEqualTo(decisions(List.of("left", "right"), List.of()));
    assertThat(diamond.next(states("top", SUCCEEDED, "left", SUCCEEDED, "right", RUNNING, "bottom", PENDING)))
        .isEqualTo(decisions(List.of(), List.of()));
    assertThat(diamond.next(states("top", SUCCEEDED, "left", SUCCEEDED, "right", SUCCEEDED, "bottom", PENDING)))
        .isEqualTo(decisions(List.of("bottom"), List.of()));
  }

  @Test
  void skipsTheBottomOfADiamondWhenOneSideFailsEvenIfTheOtherIsStillRunning() {
    RunGraph diamond = graph("top left:top right:top bottom:left,right");

    assertThat(diamond.next(states("top", SUCCEEDED, "left", FAILED, "right", RUNNING, "bottom", PENDING)))
        .isEqualTo(decisions(List.of(), List.of("bottom")));
    assertThat(diamond.next(states("top", FAILED, "left", PENDING, "right", PENDING, "bottom", PENDING)))
        .isEqualTo(decisions(List.of(), List.of("left", "right", "bottom")));
  }

  @Test
  void buildsFromAParsedWorkflow() {
    Workflow workflow = ParseResults.parse("""
        on: push
        jobs:
          build: {steps: [{run: make}]}
          test: {needs: build, steps: [{run: make test}]}
        """);

    assertThat(RunGraph.of(workflow).next(states("build", SUCCEEDED, "test", PENDING)))
        .isEqualTo(decisions(List.of("test"), List.of()));
  }

  @Test
  void refusesUnknownNeedsAndCycles() {
    assertThatThrownBy(() -> graph("a:ghost"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("job 'a' needs unknown job 'ghost'");
    assertThatThrownBy(() -> graph("a:b b:a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("needs form a cycle: a -> b -> a");
    assertThatThrownBy(() -> graph("a:a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("needs form a cycle: a -> a");
  }

  @Test
  void refusesStatesThatLeaveAJobOut() {
    assertThatThrownBy(() -> graph("a b:a").next(states("b", PENDING)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no state for job 'a'");
  }

  @Test
  void handlesALongChainWithoutRecursion() {
    Map<String, List<String>> needs = new LinkedHashMap<>();
    Map<String, JobState> states = new LinkedHashMap<>();
    needs.put("j0", List.of());
    states.put("j0", FAILED);
    for (int i = 1; i < 50_000; i++) {
      needs.put("j" + i, List.of("j" + (i - 1)));
      states.put("j" + i, PENDING);
    }

    assertThat(new RunGraph(needs).next(states).toSkip()).hasSize(49_999);
  }
}
