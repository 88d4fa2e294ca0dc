package dev.moat.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads {@code on:}. Accepted forms: {@code on: push}, {@code on: [push]}, and a mapping whose
 * {@code push} entry is empty or holds {@code branches} (one glob or a list; {@code !glob}
 * excludes). Any other event is refused by name, so that a file written for a trigger Moat doesn't
 * have yet fails loudly instead of never running. Stateless.
 */
final class TriggerSchema {
  static final List<String> EVENTS = List.of("push");
  static final List<String> PUSH_KEYS = List.of("branches");

  private TriggerSchema() {}

  /** The triggers, or empty when {@code on} has problems (reported to {@code problems}). */
  static Optional<Triggers> read(Node on, ProblemList problems) {
    Optional<List<String>> push = switch (on) {
      case MappingNode m -> fromMapping(YamlMapping.of(m, problems), problems);
      case SequenceNode s -> fromNames(on, problems);
      default -> YamlValues.isText(on) ? fromNames(on, problems) : invalid(on, problems);
    };
    return push.map(branches -> new Triggers(Optional.of(new Triggers.BranchFilter(branches))));
  }

  private static Optional<List<String>> invalid(Node on, ProblemList problems) {
    problems.add(on, YamlValues.expected("on", "a trigger name, a list of them or a mapping", on));
    return Optional.empty();
  }

  /** {@code on: push} or {@code on: [push]}: every branch. */
  private static Optional<List<String>> fromNames(Node on, ProblemList problems) {
    List<YamlValues.Item> names = YamlValues.strings(on, "on", problems).orElse(List.of());
    if (on instanceof SequenceNode s && s.getValue().isEmpty()) problems.add(on, noTrigger());
    boolean ok = !names.isEmpty();
    for (YamlValues.Item name : names) ok &= supported(name.value(), name.node(), problems);
    return ok ? Optional.of(List.of()) : Optional.empty();
  }

  private static Optional<List<String>> fromMapping(YamlMapping events, ProblemList problems) {
    boolean ok = !events.isEmpty();
    if (events.isEmpty()) problems.add(events.node(), noTrigger());
    List<String> branches = List.of();
    for (YamlMapping.Entry event : events.entries()) {
      if (!supported(event.key(), event.keyNode(), problems)) {
        ok = false;
        continue;
      }
      Optional<List<String>> read = pushBranches(event.value(), problems);
      ok &= read.isPresent();
      branches = read.orElse(List.of());
    }
    return ok ? Optional.of(branches) : Optional.empty();
  }

  /** The value of {@code on.push}: nothing (every branch) or a mapping with {@code branches}. */
  private static Optional<List<String>> pushBranches(Node value, ProblemList problems) {
    if (YamlValues.isNull(value)) return Optional.of(List.of());
    Optional<YamlMapping> push = YamlValues.mapping(value, "on.push", problems);
    if (push.isEmpty()) return Optional.empty();
    push.get().allowOnly(PUSH_KEYS, "on.push", problems);
    Optional<YamlMapping.Entry> entry = push.get().get("branches");
    if (entry.isEmpty()) return Optional.of(List.of());
    if (YamlValues.isNull(entry.get().value())) return Optional.of(List.of());
    var items = YamlValues.strings(entry.get().value(), "on.push.branches", problems);
    if (items.isEmpty()) return Optional.empty();
    List<String> branches = new ArrayList<>();
    boolean ok = true;
    for (YamlValues.Item item : items.get()) {
      String glob = item.value().startsWith("!") ? item.value().substring(1) : item.value();
      if (glob.isBlank()) {
        problems.add(item.node(), "'on.push.branches': a branch pattern must not be blank");
        ok = false;
      }
      branches.add(item.value());
    }
    return ok ? Optional.of(branches) : Optional.empty();
  }

  private static boolean supported(String event, Node at, ProblemList problems) {
    if (EVENTS.contains(event)) return true;
    problems.add(at, "unsupported trigger '" + event + "'; supported: " + String.join(", ", EVENTS));
    return false;
  }

  private static String noTrigger() {
    return "'on' names no trigger; supported: " + String.join(", ", EVENTS);
  }
}
