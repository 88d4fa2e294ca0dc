package dev.moat.engine;

import java.util.List;
import java.util.Objects;

/**
 * One step: a shell script run with {@code /bin/sh -e -c}.
 *
 * @param name display name; defaults to the first line of {@code run}
 * @param run the script
 * @param secrets names of the secrets put in this step's environment only ({@code secrets:}),
 *     each a valid variable name, no repeats; empty for none
 */
public record StepSpec(String name, String run, List<String> secrets) {
  public StepSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(run, "run");
    secrets = List.copyOf(secrets);
  }

  public StepSpec(String name, String run) {
    this(name, run, List.of());
  }
}
