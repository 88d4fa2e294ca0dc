package dev.moat.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads {@code on:}. Accepted forms: {@code on: push}, {@code on: [push, pull_request]}, and a
 * mapping whose {@code push} and {@code pull_request} entries are empty or hold {@code branches}
 * (one glob or a list; {@code !glob} excludes; for a pull request they filter its base branch). Any
 * other event is refused by name, so that a file written for a trigger Moat doesn't have yet fails
 * loudly instead of never running. Stateless.
 */
final class TriggerSchema {
  static final List<String> EVENTS = List.of("push", "pull_request");
  static final List<String> PUSH_KEYS = List.of("branches");

  private TriggerSchema() {}

  /** The triggers, or empty when {@code on} has problems (reported to {@code problems}). */
  static Optional<Triggers> read(Node on, ProblemList problems) {
    Optional<Map<String, List<String>>> events = switch (on) {
      case MappingNode m -> fromMapping(YamlMapping.of(m, problems), problems);
      case SequenceNode s -> fromNames(on, problems);
      default -> YamlValues.isText(on) ? fromNames(on, problems) : invalid(on, problems);
    };
    return events.map(e -> new Triggers(filter(e, "push"), filter(e, "pull_request")));
  }

  private static Optional<Triggers.BranchFilter> filter(Map<String, List<String>> events, String event) {
    return Optional.ofNullable(events.get(event)).map(Triggers.BranchFilter::new);
  }

  private static Optional<Map<String, List<String>>> invalid(Node on, ProblemList problems) {
    problems.add(on, YamlValues.expected("on", "a trigger name, a list of them or a mapping", on));
    return Optional.empty();
  }

  /** {@code on: push} or {@code on: [push, pull_request]}: every branch. */
  private static Optional<Map<String, List<String>>> fromNames(Node on, ProblemList problems) {
    List<YamlValues.Item> names = YamlValues.strings(on, "on", problems).orElse(List.of());
    if (on instanceof SequenceNode s && s.getValue().isEmpty()) problems.add(on, noTrigger());
    boolean ok = !names.isEmpty();
    Map<String, List<String>> events = new LinkedHashMap<>();
    for (YamlValues.Item name : names) {
      ok &= supported(name.value(), name.node(), problems);
      events.put(name.value(), List.of());
    }
    return ok ? Optional.of(events) : Optional.empty();
  }

  private static Optional<Map<String, List<String>>> fromMapping(YamlMapping events, ProblemList problems) {
    boolean ok = !events.isEmpty();
    if (events.isEmpty()) problems.add(events.node(), noTrigger());
    Map<String, List<String>> read = new LinkedHashMap<>();
    for (YamlMapping.Entry event : events.entries()) {
      if (!supported(event.key(), event.keyNode(), problems)) {
        ok = false;
        continue;
      }
      Optional<List<String>> branches = branches(event.key(), event.value(), problems);
      ok &= branches.isPresent();
      branches.ifPresent(b -> read.put(event.key(), b));
    }
    return ok ? Optional.of(read) : Optional.empty();
  }

  /** The value of {@code on.<event>}: nothing (every branch) or a mapping with {@code branches}. */
  private static Optional<List<String>> branches(String event, Node value, ProblemList problems) {
    if (YamlValues.isNull(value)) return Optional.of(List.of());
    String key = "on." + event;
    Optional<YamlMapping> filter = YamlValues.mapping(value, key, problems);
    if (filter.isEmpty()) return Optional.empty();
    filter.get().allowOnly(PUSH_KEYS, key, problems);
    Optional<YamlMapping.Entry> entry = filter.get().get("branches");
    if (entry.isEmpty()) return Optional.of(List.of());
    if (YamlValues.isNull(entry.get().value())) return Optional.of(List.of());
    var items = YamlValues.strings(entry.get().value(), key + ".branches", problems);
    if (items.isEmpty()) return Optional.empty();
    List<String> branches = new ArrayList<>();
    boolean ok = true;
    for (YamlValues.Item item : items.get()) {
      String glob = item.value().startsWith("!") ? item.value().substring(1) : item.value();
      if (glob.isBlank()) {
        problems.add(item.node(), "'" + key + ".branches': a branch pattern must not be blank");
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
