package dev.moat.engine;

import java.util.Objects;

/**
 * One step: a shell script run with {@code /bin/sh -e -c}.
 *
 * @param name display name; defaults to the first line of {@code run}
 * @param run the script
 */
public record StepSpec(String name, String run) {
  public StepSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(run, "run");
  }
}
