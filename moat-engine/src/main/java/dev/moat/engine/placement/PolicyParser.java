package dev.moat.engine.placement;

import dev.moat.engine.ProblemList;
import dev.moat.engine.WorkflowException;
import dev.moat.engine.WorkflowParser;
import dev.moat.engine.YamlComposer;
import dev.moat.engine.YamlMapping;
import dev.moat.engine.YamlValues;
import dev.moat.engine.trust.TrustTier;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads the server's placement policy file as data, with the workflow parser's limits (size,
 * aliases, nesting; no object construction) and its strictness (no unknown, duplicate or merge
 * keys). Every problem is reported with {@code file:line:col} and the key it is about:
 *
 * <pre>
 * trust:                 # required; all three tiers
 *   trusted: bwrap       # bwrap | oci | microvm: the weakest sandbox tier each may use
 *   known: oci
 *   unknown: oci         # never weaker than a more trusted tier's
 * pools:                 # required; at least one
 *   - name: fast         # required, [a-z0-9][a-z0-9-]{0,31}, unique
 *     tier: bwrap        # required
 *     labels: [linux]    # default: none
 *     admits: [trusted]  # default: every trust tier
 * </pre>
 *
 * Stateless and thread-safe.
 */
public final class PolicyParser {
  /** Policy files larger than this are refused before parsing. */
  public static final int MAX_BYTES = 64 * 1024;

  static final List<String> TOP_KEYS = List.of("trust", "pools");
  static final List<String> POOL_KEYS = List.of("name", "tier", "labels", "admits");

  private PolicyParser() {}

  /**
   * Parses and validates a policy.
   *
   * @param file the file's name, used in error positions
   * @throws PolicyException with every problem found
   */
  public static PlacementPolicy parse(String file, String text) {
    try {
      return read(file, text);
    } catch (WorkflowException e) {
      throw new PolicyException(e.problems());
    }
  }

  private static PlacementPolicy read(String file, String text) {
    long bytes = WorkflowParser.utf8Length(text);
    if (bytes > MAX_BYTES) {
      throw ProblemList.single(file, 1, 1, "the file is " + bytes + " bytes; the limit is " + MAX_BYTES + " bytes");
    }
    ProblemList problems = new ProblemList(file);
    Optional<Node> root = YamlComposer.compose(file, text);
    if (root.isEmpty()) throw ProblemList.single(file, 1, 1, "the policy is empty; it needs 'trust' and 'pools'");
    Optional<YamlMapping> top = YamlValues.mapping(root.get(), "policy", problems);
    if (top.isEmpty()) throw problems.exception();
    top.get().allowOnly(TOP_KEYS, "", problems);
    Map<TrustTier, IsolationTier> weakest = top.get().required("trust", "", problems)
        .map(e -> trust(e.value(), problems))
        .orElse(Map.of());
    List<PoolSpec> pools = top.get().required("pools", "", problems)
        .map(e -> pools(e.value(), problems))
        .orElse(List.of());
    problems.throwIfAny();
    return new PlacementPolicy(weakest, Optional.of(pools));
  }

  private static Map<TrustTier, IsolationTier> trust(Node node, ProblemList problems) {
    Optional<YamlMapping> mapping = YamlValues.mapping(node, "trust", problems);
    if (mapping.isEmpty()) return Map.of();
    var names = List.of(TrustTier.values()).stream().map(TrustTier::wire).toList();
    mapping.get().allowOnly(names, "trust", problems);
    Map<TrustTier, IsolationTier> weakest = new EnumMap<>(TrustTier.class);
    Map<TrustTier, Node> nodes = new EnumMap<>(TrustTier.class);
    for (TrustTier trust : TrustTier.values()) {
      String path = "trust." + trust.wire();
      mapping.get().required(trust.wire(), "trust", problems)
          .flatMap(e -> tier(e.value(), path, problems).map(t -> {
            nodes.put(trust, e.value());
            return t;
          }))
          .ifPresent(t -> weakest.put(trust, t));
    }
    // Less trusted never weaker: checked here too, to report it at the value that is wrong.
    TrustTier previous = null;
    for (TrustTier trust : TrustTier.values()) {
      if (!weakest.containsKey(trust)) continue;
      if (previous != null && !weakest.get(trust).atLeast(weakest.get(previous))) {
        problems.add(nodes.get(trust), "'trust." + trust.wire() + "': "
            + PlacementPolicy.lessTrustedWeaker(trust, weakest.get(trust), previous, weakest.get(previous)));
      }
      previous = trust;
    }
    return weakest;
  }

  private static List<PoolSpec> pools(Node node, ProblemList problems) {
    Optional<List<Node>> list = YamlValues.list(node, "pools", problems);
    if (list.isEmpty()) return List.of();
    if (list.get().isEmpty()) problems.add(node, "'pools' must declare at least one pool");
    List<PoolSpec> pools = new ArrayList<>();
    Map<String, Node> seen = new HashMap<>();
    for (int i = 0; i < list.get().size(); i++) {
      Node entry = list.get().get(i);
      pool(entry, "pools[" + i + "]", problems).ifPresent(p -> {
        Node first = seen.putIfAbsent(p.name(), entry);
        if (first != null) {
          int line = first.getStartMark().map(m -> m.getLine() + 1).orElse(0);
          problems.add(entry, "pool '" + p.name() + "' is declared twice (first at line " + line + ")");
        } else {
          pools.add(p);
        }
      });
    }
    return pools;
  }

  private static Optional<PoolSpec> pool(Node node, String path, ProblemList problems) {
    Optional<YamlMapping> found = YamlValues.mapping(node, path, problems);
    if (found.isEmpty()) return Optional.empty();
    YamlMapping pool = found.get();
    pool.allowOnly(POOL_KEYS, path, problems);
    Optional<String> name = pool.required("name", path, problems)
        .flatMap(e -> YamlValues.string(e.value(), path + ".name", problems).filter(n -> {
          if (PoolSpec.NAME.matcher(n).matches()) return true;
          problems.add(e.value(), "'" + path + ".name': '" + n + "' is not a pool name: use lower-case letters, "
              + "digits and '-', at most 32, starting with a letter or digit");
          return false;
        }));
    String where = name.map(n -> path + " (" + n + ")").orElse(path);
    Optional<IsolationTier> tier = pool.required("tier", where, problems)
        .flatMap(e -> tier(e.value(), path + ".tier", problems));
    List<String> labels = pool.get("labels")
        .map(e -> YamlValues.labels(e.value(), path + ".labels", problems).stream().distinct().toList())
        .orElse(List.of());
    Optional<Set<TrustTier>> admits = pool.get("admits").flatMap(e -> admits(e.value(), path + ".admits", problems));
    if (name.isEmpty() || tier.isEmpty() || (pool.get("admits").isPresent() && admits.isEmpty())) return Optional.empty();
    return Optional.of(new PoolSpec(name.get(), tier.get(), labels, admits.orElse(EnumSet.allOf(TrustTier.class))));
  }

  private static Optional<IsolationTier> tier(Node node, String path, ProblemList problems) {
    return YamlValues.string(node, path, problems).flatMap(s -> {
      try {
        return Optional.of(IsolationTier.ofWire(s));
      } catch (IllegalArgumentException e) {
        problems.add(node, "'" + path + "': " + e.getMessage());
        return Optional.empty();
      }
    });
  }


  /** The trust tiers a pool admits; empty (reported) when any entry is bad or none is given. */
  private static Optional<Set<TrustTier>> admits(Node node, String path, ProblemList problems) {
    Optional<List<YamlValues.Item>> items = YamlValues.strings(node, path, problems);
    if (items.isEmpty()) return Optional.empty();
    if (items.get().isEmpty()) {
      problems.add(node, "'" + path + "' must name at least one trust tier; leave it out to admit every tier");
      return Optional.empty();
    }
    Set<TrustTier> admits = EnumSet.noneOf(TrustTier.class);
    boolean ok = true;
    for (YamlValues.Item item : items.get()) {
      try {
        if (!admits.add(TrustTier.ofWire(item.value()))) {
          problems.add(item.node(), "'" + path + "': '" + item.value() + "' is listed twice");
          ok = false;
        }
      } catch (IllegalArgumentException e) {
        problems.add(item.node(), "'" + path + "': " + e.getMessage());
        ok = false;
      }
    }
    return ok ? Optional.of(admits) : Optional.empty();
  }
}
