package dev.moat.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.engine.trust.HoldState;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RunStatusTest {
  @ParameterizedTest(name = "[{0}] -> {1}")
  @CsvSource(delimiter = '|', textBlock = """
      ''                         | QUEUED
      PENDING                    | QUEUED
      PENDING,QUEUED             | QUEUED
      QUEUED,DISPATCHED          | RUNNING
      RUNNING,PENDING            | RUNNING
      SUCCEEDED,PENDING          | RUNNING
      SKIPPED,QUEUED             | RUNNING
      CANCELLED,PENDING          | RUNNING
      FAILED,RUNNING             | RUNNING
      SUCCEEDED,SUCCEEDED        | SUCCEEDED
      SUCCEEDED,SKIPPED          | SUCCEEDED
      SKIPPED                    | SUCCEEDED
      FAILED,SKIPPED             | FAILED
      TIMED_OUT,SUCCEEDED        | FAILED
      LOST                       | FAILED
      CANCELLED,FAILED           | FAILED
      CANCELLED,SUCCEEDED        | CANCELLED
      CANCELLED,SKIPPED          | CANCELLED
      UNSCHEDULABLE              | UNSCHEDULABLE
      UNSCHEDULABLE,SKIPPED      | UNSCHEDULABLE
      UNSCHEDULABLE,SUCCEEDED    | UNSCHEDULABLE
      UNSCHEDULABLE,CANCELLED    | UNSCHEDULABLE
      UNSCHEDULABLE,FAILED       | FAILED
      UNSCHEDULABLE,QUEUED       | QUEUED
      UNSCHEDULABLE,RUNNING      | RUNNING
      """)
  void derivesTheRunStatusFromItsJobs(String jobs, RunStatus expected) {
    List<JobState> states = jobs.isEmpty()
        ? List.of()
        : Arrays.stream(jobs.split(",")).map(JobState::valueOf).toList();

    assertThat(RunStatus.of(states)).isEqualTo(expected);
    assertThat(RunStatus.of(states, HoldState.APPROVED)).as("an approved hold leaves it to the jobs").isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{0}] hold {1} -> {2}")
  @CsvSource(delimiter = '|', textBlock = """
      PENDING,PENDING     | PENDING  | HELD
      ''                  | PENDING  | HELD
      CANCELLED,CANCELLED | REJECTED | REJECTED
      CANCELLED           | EXPIRED  | EXPIRED
      QUEUED,PENDING      | APPROVED | QUEUED
      SUCCEEDED           | APPROVED | SUCCEEDED
      """)
  void aHoldDecidesTheStatusUntilItIsApproved(String jobs, HoldState hold, RunStatus expected) {
    List<JobState> states = jobs.isEmpty()
        ? List.of()
        : Arrays.stream(jobs.split(",")).map(JobState::valueOf).toList();

    assertThat(RunStatus.of(states, hold)).isEqualTo(expected);
  }

  @org.junit.jupiter.api.Test
  void heldIsNotTerminalButRejectedAndExpiredAre() {
    assertThat(RunStatus.HELD.terminal()).isFalse();
    assertThat(RunStatus.REJECTED.terminal()).isTrue();
    assertThat(RunStatus.EXPIRED.terminal()).isTrue();
  }
}
