package dev.moat.engine;

import java.util.Optional;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.Parser;

/**
 * The YAML event stream between snakeyaml's parser and its composer, refusing what the composer
 * would mishandle, and remembering where the last event started.
 *
 * <ul>
 *   <li>Nesting deeper than a limit: the parser is iterative but the composer recurses once per
 *       level, so {@code [[[[...} overflows the stack long before the size limit is reached, and
 *       LoadSettings has no depth option. Counting here stops before the composer descends.
 *   <li>An explicit {@code !!merge} tag: the composer applies such a merge silently, whatever the
 *       schema, so the node tree would never show it.
 *   <li>The last event's mark gives a position to errors that snakeyaml raises without one (the
 *       alias limit).
 * </ul>
 *
 * Not thread-safe: one instance per parse.
 */
final class GuardedParser implements Parser {
  private static final String MERGE = Tag.MERGE.getValue();

  private final Parser delegate;
  private final String file;
  private final int maxDepth;
  private int depth;
  private Optional<Mark> lastMark = Optional.empty();

  GuardedParser(Parser delegate, String file, int maxDepth) {
    this.delegate = delegate;
    this.file = file;
    this.maxDepth = maxDepth;
  }

  /** Where the most recently consumed event started, if any event was consumed. */
  Optional<Mark> lastMark() {
    return lastMark;
  }

  @Override
  public boolean checkEvent(Event.ID id) {
    return delegate.checkEvent(id);
  }

  @Override
  public Event peekEvent() {
    return delegate.peekEvent();
  }

  @Override
  public boolean hasNext() {
    return delegate.hasNext();
  }

  @Override
  public Event next() {
    Event event = delegate.next();
    lastMark = event.getStartMark();
    Event.ID id = event.getEventId();
    if (event instanceof ScalarEvent scalar && scalar.getTag().filter(MERGE::equals).isPresent()) {
      throw refuse(YamlMapping.MERGE_REFUSED);
    }
    if (id == Event.ID.MappingStart || id == Event.ID.SequenceStart) {
      depth++;
      if (depth > maxDepth) {
        throw refuse("lists and mappings are nested more than " + maxDepth + " levels deep");
      }
    } else if (id == Event.ID.MappingEnd || id == Event.ID.SequenceEnd) {
      depth--;
    }
    return event;
  }

  private WorkflowException refuse(String message) {
    ProblemList problems = new ProblemList(file);
    problems.add(lastMark, message);
    return problems.exception();
  }
}
