package dev.moat.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Typed reads of YAML nodes. Each read either returns the value or reports "expected X, found Y"
 * at the node and returns empty. Paths in messages are dotted, e.g. {@code jobs.build.runs-on}.
 *
 * <p>Strings are taken as written: {@code 1.10} stays {@code "1.10"} because we never construct
 * YAML floats, which is what people mean in a CI file. Stateless.
 */
public final class YamlValues {
  /** Scalars that read as text. Anything else (null, custom tags, binary) is refused. */
  private static final Set<Tag> TEXT_TAGS = Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL);

  /** A string with the node it came from, for positions in later checks. */
  public record Item(String value, Node node) {}

  private YamlValues() {}

  /** A phrase for what a node is, for "found ..." in messages. */
  public static String describe(Node node) {
    return switch (node) {
      case MappingNode m -> "a mapping";
      case SequenceNode s -> "a list";
      case ScalarNode s when Tag.NULL.equals(s.getTag()) -> "nothing (null)";
      case ScalarNode s when Tag.BOOL.equals(s.getTag()) -> "a boolean";
      case ScalarNode s when Tag.INT.equals(s.getTag()) || Tag.FLOAT.equals(s.getTag()) -> "a number";
      case ScalarNode s when Tag.STR.equals(s.getTag()) -> "a string";
      default -> "a value tagged '" + shortTag(node.getTag()) + "'";
    };
  }

  /** {@code tag:yaml.org,2002:binary} as people write it: {@code !!binary}. */
  private static String shortTag(Tag tag) {
    String value = tag.getValue();
    return value.startsWith(Tag.PREFIX) ? "!!" + value.substring(Tag.PREFIX.length()) : value;
  }

  public static boolean isNull(Node node) {
    return node instanceof ScalarNode s && Tag.NULL.equals(s.getTag());
  }

  /** Whether the node is a scalar that reads as text (string, number or boolean). */
  public static boolean isText(Node node) {
    return node instanceof ScalarNode s && TEXT_TAGS.contains(s.getTag());
  }

  public static Optional<YamlMapping> mapping(Node node, String path, ProblemList problems) {
    if (node instanceof MappingNode m) return Optional.of(YamlMapping.of(m, problems));
    problems.add(node, expected(path, "a mapping", node));
    return Optional.empty();
  }

  public static Optional<List<Node>> list(Node node, String path, ProblemList problems) {
    if (node instanceof SequenceNode s) return Optional.of(s.getValue());
    problems.add(node, expected(path, "a list", node));
    return Optional.empty();
  }

  public static Optional<String> string(Node node, String path, ProblemList problems) {
    if (isText(node)) return Optional.of(((ScalarNode) node).getValue());
    problems.add(node, expected(path, "a string", node));
    return Optional.empty();
  }

  /** A string that isn't blank. */
  public static Optional<String> nonBlank(Node node, String path, ProblemList problems) {
    Optional<String> text = string(node, path, problems);
    if (text.isPresent() && text.get().isBlank()) {
      problems.add(node, "'" + path + "' must not be blank");
      return Optional.empty();
    }
    return text;
  }

  /**
   * A single string or a list of strings, as a list. Bad entries are reported and left out; the
   * list is empty (not absent) when only some entries were bad.
   */
  public static Optional<List<Item>> strings(Node node, String path, ProblemList problems) {
    if (isText(node)) return Optional.of(List.of(new Item(((ScalarNode) node).getValue(), node)));
    if (!(node instanceof SequenceNode sequence)) {
      problems.add(node, expected(path, "a string or a list of strings", node));
      return Optional.empty();
    }
    List<Item> items = new ArrayList<>();
    List<Node> entries = sequence.getValue();
    for (int i = 0; i < entries.size(); i++) {
      Node entry = entries.get(i);
      if (isText(entry)) {
        items.add(new Item(((ScalarNode) entry).getValue(), entry));
      } else {
        problems.add(entry, expected(path + "[" + i + "]", "a string", entry));
      }
    }
    return Optional.of(items);
  }

  /** A label or a list of labels; blank ones are reported and left out. */
  public static List<String> labels(Node node, String path, ProblemList problems) {
    List<String> labels = new ArrayList<>();
    for (YamlValues.Item item : YamlValues.strings(node, path, problems).orElse(List.of())) {
      if (item.value().isBlank()) {
        problems.add(item.node(), "'" + path + "': a label must not be blank");
      } else {
        labels.add(item.value());
      }
    }
    return labels;
  }
  public static String expected(String path, String what, Node found) {
    return "'" + path + "': expected " + what + ", found " + describe(found);
  }
}
