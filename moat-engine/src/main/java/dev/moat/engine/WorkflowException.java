package dev.moat.engine;

import java.util.List;

/**
 * A workflow file that can't be used. {@link #getMessage()} lists every problem as
 * {@code file:line:col: message}, one per line, so that a person can act on it.
 */
public final class WorkflowException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** One problem at a position (line and column are 1-based). */
  public record Problem(String file, int line, int column, String message) {
    @Override
    public String toString() {
      return file + ":" + line + ":" + column + ": " + message;
    }
  }

  private final transient List<Problem> problems;

  public WorkflowException(List<Problem> problems) {
    super(String.join("\n", problems.stream().map(Problem::toString).toList()));
    if (problems.isEmpty()) throw new IllegalArgumentException("no problems");
    this.problems = List.copyOf(problems);
  }

  public List<Problem> problems() {
    return problems;
  }
}
