package dev.moat.agent;

import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.cgroup.Limits;
import dev.moat.sandbox.net.AllowedHost;
import dev.moat.sandbox.net.EgressPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Reads an agent's pool file:
 * <pre>
 * tier: oci                   # bwrap (default) | oci
 * image: debian-bookworm      # oci only: a name in the agent's image store, pinned to its digest at start
 * limits:
 *   memory: 2GiB              # B, KiB, MiB, GiB
 *   pids: 512
 *   cpu: 2000m                # millicores, or whole CPUs ("2")
 *   disk: 10GiB               # workspace cap; absent: no cap
 * egress:                     # absent: loopback only, in a new empty namespace (either tier)
 *   mode: filtered            # none | filtered
 *   allow: [deb.debian.org, "example.com:443"]   # names resolved by the agent; ports default 80, 443
 * </pre>
 * Unknown keys and bad values are refused with the key's name, so that a typo never silently gives
 * a job more than the operator meant. Stateless.
 */
public final class PoolFile {
  private static final List<String> TOP = List.of("tier", "image", "limits", "egress");
  private static final List<String> EGRESS = List.of("mode", "allow");
  private static final List<String> LIMITS = List.of("memory", "pids", "cpu", "disk");
  private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|TiB)?");
  private static final Pattern CPU = Pattern.compile("(\\d+)(m?)");

  private PoolFile() {}

  /** The settings in {@code file}; an {@link IllegalArgumentException} says what is wrong and where. */
  public static PoolSettings read(Path file) throws IOException {
    try {
      return parse(Files.readString(file));
    } catch (IllegalArgumentException | YamlEngineException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  static PoolSettings parse(String yaml) {
    var settings = LoadSettings.builder().setAllowDuplicateKeys(false).setMaxAliasesForCollections(10)
        .setCodePointLimit(64 * 1024).build();
    Map<String, Object> top = mapping(new Load(settings).loadFromString(yaml), "the pool file", TOP);
    var tier = PoolSettings.Tier.of(string(top.getOrDefault("tier", "bwrap"), "tier"));
    Optional<String> image = Optional.ofNullable(top.get("image")).map(v -> string(v, "image"));
    Map<String, Object> limits = mapping(top.getOrDefault("limits", Map.of()), "limits", LIMITS);
    Limits defaults = BwrapSettings.DEFAULT_LIMITS;
    long memory = limits.containsKey("memory") ? bytes(limits.get("memory"), "limits.memory") : defaults.memoryBytes();
    int pids = limits.containsKey("pids") ? Math.toIntExact(number(limits.get("pids"), "limits.pids")) : defaults.pidsMax();
    int cpu = limits.containsKey("cpu") ? millicores(limits.get("cpu")) : defaults.cpuMillicores();
    Optional<Long> disk = Optional.ofNullable(limits.get("disk")).map(v -> bytes(v, "limits.disk"));
    Optional<EgressPolicy> egress = Optional.ofNullable(top.get("egress")).map(PoolFile::egress);
    return new PoolSettings(tier, image, new Limits(memory, pids, cpu), disk, egress);
  }

  private static EgressPolicy egress(Object node) {
    Map<String, Object> egress = mapping(node, "egress", EGRESS);
    String mode = string(egress.getOrDefault("mode", "none"), "egress.mode");
    Object allow = egress.getOrDefault("allow", List.of());
    if (!(allow instanceof List<?> list)) throw new IllegalArgumentException("'egress.allow' must be a list");
    return switch (mode) {
      case "none" -> {
        if (!list.isEmpty()) throw new IllegalArgumentException("'egress.allow' needs mode: filtered");
        yield EgressPolicy.none();
      }
      case "filtered" -> EgressPolicy.filtered(list.stream().map(PoolFile::allowedHost).toArray(AllowedHost[]::new));
      default -> throw new IllegalArgumentException("unknown egress mode '" + mode + "': use none or filtered");
    };
  }

  private static AllowedHost allowedHost(Object entry) {
    String text = string(entry, "egress.allow[]");
    int colon = text.indexOf(':');
    if (colon < 0) return new AllowedHost(text);
    List<Integer> ports = new java.util.ArrayList<>();
    for (String p : text.substring(colon + 1).split(",")) {
      try {
        ports.add(Integer.parseInt(p.strip()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'egress.allow': bad port '" + p + "' in '" + text + "'");
      }
    }
    return new AllowedHost(text.substring(0, colon), ports);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> mapping(Object node, String what, List<String> allowed) {
    if (node == null) return Map.of();
    if (!(node instanceof Map<?, ?> map)) throw new IllegalArgumentException(what + " must be a mapping");
    for (Object key : map.keySet()) {
      if (!allowed.contains(String.valueOf(key))) {
        throw new IllegalArgumentException("unknown key '" + key + "' in " + what + "; allowed: " + String.join(", ", allowed));
      }
    }
    return (Map<String, Object>) map;
  }

  private static String string(Object value, String key) {
    if (!(value instanceof String s) || s.isBlank()) throw new IllegalArgumentException("'" + key + "' must be a non-empty string");
    return s;
  }

  private static long number(Object value, String key) {
    if (value instanceof Integer || value instanceof Long) return ((Number) value).longValue();
    throw new IllegalArgumentException("'" + key + "' must be a whole number, not '" + value + "'");
  }

  static long bytes(Object value, String key) {
    Matcher m = BYTES.matcher(String.valueOf(value).strip());
    if (!m.matches()) throw new IllegalArgumentException("'" + key + "' must be a size like 512MiB or 2GiB, not '" + value + "'");
    int shift = switch (m.group(2) == null ? "B" : m.group(2)) {
      case "KiB" -> 10;
      case "MiB" -> 20;
      case "GiB" -> 30;
      case "TiB" -> 40;
      default -> 0;
    };
    long n = Long.parseLong(m.group(1));
    if (n > (Long.MAX_VALUE >> shift)) throw new IllegalArgumentException("'" + key + "' is too large: " + value);
    return n << shift;
  }

  private static int millicores(Object value) {
    Matcher m = CPU.matcher(String.valueOf(value).strip());
    if (!m.matches()) throw new IllegalArgumentException("'limits.cpu' must be millicores like 500m or whole CPUs like 2, not '" + value + "'");
    long n = Long.parseLong(m.group(1)) * (m.group(2).isEmpty() ? 1000 : 1);
    return Math.toIntExact(Math.min(n, Integer.MAX_VALUE));
  }
}
