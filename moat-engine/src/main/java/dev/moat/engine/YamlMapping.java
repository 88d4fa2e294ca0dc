package dev.moat.engine;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * A YAML mapping read strictly: keys are strings, no key repeats, and merge keys ({@code <<}) are
 * refused. Each violation is reported and the offending entry dropped, so reading can go on and
 * find further problems. Entries keep file order. Immutable after construction.
 */
public final class YamlMapping {
  /** One entry; {@code keyNode} gives the key's position for errors about it. */
  public record Entry(String key, Node keyNode, Node value) {}

  static final String MERGE_REFUSED =
      "merge keys ('<<') are not supported; write the keys out, or put an anchor on the whole value";

  private final MappingNode node;
  private final Map<String, Entry> entries;

  private YamlMapping(MappingNode node, Map<String, Entry> entries) {
    this.node = node;
    this.entries = entries;
  }

  /** Reads {@code node}, reporting non-string, duplicate and merge keys to {@code problems}. */
  public static YamlMapping of(MappingNode node, ProblemList problems) {
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (NodeTuple tuple : node.getValue()) {
      Node keyNode = tuple.getKeyNode();
      if (!(keyNode instanceof ScalarNode scalar)) {
        problems.add(keyNode, "mapping keys must be strings, found " + YamlValues.describe(keyNode));
        continue;
      }
      if (isMergeKey(scalar)) {
        problems.add(keyNode, MERGE_REFUSED);
        continue;
      }
      String key = scalar.getValue();
      Entry first = entries.get(key);
      if (first != null) {
        var mark = first.keyNode().getStartMark();
        String where = mark.map(m -> " (first at " + (m.getLine() + 1) + ":" + (m.getColumn() + 1) + ")")
            .orElse("");
        problems.add(keyNode, "duplicate key '" + key + "'" + where);
        continue;
      }
      entries.put(key, new Entry(key, keyNode, tuple.getValueNode()));
    }
    return new YamlMapping(node, entries);
  }

  private static boolean isMergeKey(ScalarNode key) {
    // A quoted "<<" is an ordinary string key; only the plain form (or an explicit !!merge) merges.
    return Tag.MERGE.equals(key.getTag()) || (key.isPlain() && "<<".equals(key.getValue()));
  }

  public MappingNode node() {
    return node;
  }

  public Optional<Entry> get(String key) {
    return Optional.ofNullable(entries.get(key));
  }

  public Collection<Entry> entries() {
    return entries.values();
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /**
   * Reports every key not in {@code allowed}.
   *
   * @param path where this mapping is, e.g. {@code jobs.build}; empty for the top level
   */
  public void allowOnly(List<String> allowed, String path, ProblemList problems) {
    for (Entry entry : entries.values()) {
      if (!allowed.contains(entry.key())) {
        String where = path.isEmpty() ? "" : " in '" + path + "'";
        problems.add(entry.keyNode(),
            "unknown key '" + entry.key() + "'" + where + "; allowed: " + String.join(", ", allowed));
      }
    }
  }

  /** The value of a key that must be present; reports its absence at the mapping's start. */
  public Optional<Entry> required(String key, String path, ProblemList problems) {
    Optional<Entry> entry = get(key);
    if (entry.isEmpty()) {
      String where = path.isEmpty() ? "" : " in '" + path + "'";
      problems.add(node, "missing required key '" + key + "'" + where);
    }
    return entry;
  }
}
