package dev.moat.engine;

import dev.moat.engine.WorkflowException.Problem;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Collects every problem found in one workflow file, so that a person sees all of them at once
 * rather than fixing one per push. Positions are converted from snakeyaml's 0-based marks to the
 * 1-based {@code line:col} people and editors use. Not thread-safe: one instance per parse.
 */
public final class ProblemList {
  private final String file;
  private final List<Problem> problems = new ArrayList<>();

  public ProblemList(String file) {
    this.file = file;
  }

  /** Records a problem at the start of {@code node}. */
  public void add(Node node, String message) {
    add(node.getStartMark(), message);
  }

  /** Records a problem at {@code mark}, or at 1:1 when the mark is unknown. */
  public void add(Optional<Mark> mark, String message) {
    add(mark.map(Mark::getLine).orElse(0) + 1, mark.map(Mark::getColumn).orElse(0) + 1, message);
  }

  /** Records a problem at a 1-based position. */
  public void add(int line, int column, String message) {
    problems.add(new Problem(file, line, column, message));
  }

  public boolean isEmpty() {
    return problems.isEmpty();
  }

  /** Throws the collected problems, in file order, if there are any. */
  public void throwIfAny() {
    if (!problems.isEmpty()) throw exception();
  }

  public WorkflowException exception() {
    List<Problem> sorted = new ArrayList<>(problems);
    // Stable sort: problems at one position keep the order in which they were found.
    sorted.sort(Comparator.comparingInt(Problem::line).thenComparingInt(Problem::column));
    return new WorkflowException(sorted);
  }

  /** A single problem as an exception, for failures that stop parsing at once. */
  public static WorkflowException single(String file, int line, int column, String message) {
    ProblemList list = new ProblemList(file);
    list.add(line, column, message);
    return list.exception();
  }
}
