package dev.moat.engine;

import static dev.moat.engine.JobState.CANCELLED;
import static dev.moat.engine.JobState.DISPATCHED;
import static dev.moat.engine.JobState.FAILED;
import static dev.moat.engine.JobState.LOST;
import static dev.moat.engine.JobState.PENDING;
import static dev.moat.engine.JobState.QUEUED;
import static dev.moat.engine.JobState.RUNNING;
import static dev.moat.engine.JobState.SKIPPED;
import static dev.moat.engine.JobState.SUCCEEDED;
import static dev.moat.engine.JobState.TIMED_OUT;
import static dev.moat.engine.JobState.UNSCHEDULABLE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JobStateTest {
  /** The diagram in JobState's Javadoc, as a table: every allowed move and nothing else. */
  private static final Map<JobState, Set<JobState>> ALLOWED = Map.ofEntries(
      Map.entry(PENDING, EnumSet.of(QUEUED, SKIPPED, CANCELLED, UNSCHEDULABLE)),
      Map.entry(QUEUED, EnumSet.of(DISPATCHED, CANCELLED)),
      Map.entry(DISPATCHED, EnumSet.of(RUNNING, QUEUED, LOST, CANCELLED)),
      Map.entry(RUNNING, EnumSet.of(SUCCEEDED, FAILED, TIMED_OUT, LOST, CANCELLED)),
      Map.entry(SUCCEEDED, EnumSet.noneOf(JobState.class)),
      Map.entry(FAILED, EnumSet.noneOf(JobState.class)),
      Map.entry(CANCELLED, EnumSet.noneOf(JobState.class)),
      Map.entry(TIMED_OUT, EnumSet.noneOf(JobState.class)),
      Map.entry(LOST, EnumSet.noneOf(JobState.class)),
      Map.entry(SKIPPED, EnumSet.noneOf(JobState.class)),
      Map.entry(UNSCHEDULABLE, EnumSet.noneOf(JobState.class)));

  @Test
  void allowsExactlyTheMovesOfTheDiagram() {
    List<String> wrong = new ArrayList<>();
    for (JobState from : JobState.values()) {
      for (JobState to : JobState.values()) {
        boolean expected = ALLOWED.get(from).contains(to);
        if (from.canMoveTo(to) != expected) wrong.add(from + " -> " + to + " should be " + expected);
      }
    }
    assertThat(wrong).isEmpty();
  }

  @Test
  void terminalStatesAreExactlyThoseWithNoWayOut() {
    assertThat(EnumSet.allOf(JobState.class).stream().filter(JobState::terminal))
        .containsExactlyInAnyOrder(SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, LOST, SKIPPED, UNSCHEDULABLE);
    for (JobState state : JobState.values()) {
      assertThat(state.terminal()).as("%s", state).isEqualTo(ALLOWED.get(state).isEmpty());
    }
  }

  @Test
  void everyNonTerminalStateCanBeCancelled() {
    for (JobState state : JobState.values()) {
      assertThat(state.canMoveTo(CANCELLED)).as("%s", state).isEqualTo(!state.terminal());
    }
  }

  @Test
  void wireNamesRoundTrip() {
    assertThat(TIMED_OUT.wire()).isEqualTo("timed_out");
    for (JobState state : JobState.values()) assertThat(JobState.ofWire(state.wire())).isEqualTo(state);
  }
}
