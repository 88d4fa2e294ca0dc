package dev.moat.engine.placement;

import dev.moat.engine.WorkflowException.Problem;
import java.util.List;

/**
 * A placement policy file that can't be used. {@link #getMessage()} lists every problem as
 * {@code file:line:col: message}, one per line, each naming the key at fault.
 */
public final class PolicyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient List<Problem> problems;

  PolicyException(List<Problem> problems) {
    super(String.join("\n", problems.stream().map(Problem::toString).toList()));
    this.problems = List.copyOf(problems);
  }

  /** One problem with the whole file (at 1:1), e.g. its size. */
  public static PolicyException of(String file, String message) {
    return new PolicyException(List.of(new Problem(file, 1, 1, message)));
  }

  public List<Problem> problems() {
    return problems;
  }
}
