package dev.moat.engine;

import static dev.moat.engine.ParseResults.jobWith;
import static dev.moat.engine.ParseResults.parse;
import static dev.moat.engine.ParseResults.problems;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobTimeoutTest {
  private static Duration timeoutOf(String value) {
    return parse(jobWith("timeout: " + value, "steps: [{run: make}]")).jobs().get(0).timeout();
  }

  private static String problemOf(String value) {
    return problems(jobWith("timeout: " + value, "steps: [{run: make}]")).getFirst();
  }

  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource(delimiter = '|', textBlock = """
      90s      | PT1M30S
      15m      | PT15M
      1h       | PT1H
      1h30m    | PT1H30M
      2h0m5s   | PT2H5S
      90       | PT1H30M
      '\"45\"' | PT45M
      24h      | PT24H
      1440     | PT24H
      86400s   | PT24H
      """)
  void readsDurationsAndWholeMinutes(String value, Duration expected) {
    assertThat(timeoutOf(value)).isEqualTo(expected);
  }

  @Test
  void defaultsToOneHour() {
    assertThat(parse(jobWith("steps: [{run: make}]")).jobs().get(0).timeout())
        .isEqualTo(Duration.ofMinutes(60));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
      0            | must be more than 0, found '0'
      0m           | must be more than 0, found '0m'
      -5           | must be more than 0, found '-5'
      25h          | '25h' is more than the maximum of 24h
      1441         | '1441' is more than the maximum of 24h
      24h1s        | '24h1s' is more than the maximum of 24h
      99999999999m | '99999999999m' is more than the maximum of 24h
      15x          | invalid duration '15x'; use e.g. 90s, 15m, 1h30m or a number of minutes
      1.5          | invalid duration '1.5'; use e.g. 90s, 15m, 1h30m or a number of minutes
      30m1h        | invalid duration '30m1h'; use e.g. 90s, 15m, 1h30m or a number of minutes
      h            | invalid duration 'h'; use e.g. 90s, 15m, 1h30m or a number of minutes
      "''"         | invalid duration ''; use e.g. 90s, 15m, 1h30m or a number of minutes
      """)
  void refusesTimeoutsOutOfBoundsOrMalformed(String value, String message) {
    assertThat(problemOf(value)).isEqualTo("ci.yml:4:14: 'jobs.a.timeout': " + message);
  }

  @Test
  void refusesATimeoutThatIsNotAScalar() {
    assertThat(problemOf("[15m]")).isEqualTo("ci.yml:4:14: 'jobs.a.timeout': expected a string, found a list");
  }
}
