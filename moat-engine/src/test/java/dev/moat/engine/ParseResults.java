package dev.moat.engine;

import static org.assertj.core.api.Assertions.fail;

import java.util.List;

/** Parses test documents as {@code ci.yml} and returns either the workflow or its problem lines. */
final class ParseResults {
  static final String FILE = "ci.yml";

  private ParseResults() {}

  static Workflow parse(String yaml) {
    return WorkflowParser.parse(FILE, yaml);
  }

  /** Every problem as {@code file:line:col: message}, in the order the exception lists them. */
  static List<String> problems(String yaml) {
    try {
      WorkflowParser.parse(FILE, yaml);
    } catch (WorkflowException e) {
      return e.problems().stream().map(WorkflowException.Problem::toString).toList();
    }
    return fail("expected a WorkflowException for:%n%s", yaml);
  }

  /** A minimal valid workflow whose single job {@code a} has the given extra lines (4 spaces in). */
  static String jobWith(String... lines) {
    StringBuilder yaml = new StringBuilder("on: push\njobs:\n  a:\n");
    for (String line : lines) yaml.append("    ").append(line).append('\n');
    return yaml.toString();
  }
}
