package dev.moat.sandbox.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds and deletes what job networks of one {@link EgressSettings} left behind: namespaces
 * {@code moat-<prefix><n>}, veths {@code <prefix><n>h}, and the nft counter and elements of
 * {@code <prefix><n>h}, except for slots that are in use. Stateless.
 */
final class Leftovers {
  private Leftovers() {}

  /**
   * Deletes the leftovers of every slot for which {@code inUse} is false.
   *
   * @return what was deleted, as {@code netns NAME}, {@code link NAME} and {@code nft NAME}
   */
  static List<String> remove(EgressSettings settings, IntPredicate inUse) throws IOException {
    Pattern netns = Pattern.compile("moat-" + settings.prefix() + "([0-9]{1,5})");
    Pattern link = Pattern.compile(settings.prefix() + "([0-9]{1,5})h");
    List<String> removed = new ArrayList<>();
    List<String> batch = new ArrayList<>();
    for (String name : HostAddresses.interfaceNames()) {
      if (stale(link, name, inUse)) {
        batch.add("link del " + name);
        removed.add("link " + name);
      }
    }
    for (String name : netnsNames()) {
      if (stale(netns, name, inUse)) {
        batch.add("netns del " + name);
        removed.add("netns " + name);
      }
    }
    // -force: one name that vanished meanwhile must not keep the others.
    if (!batch.isEmpty()) new NetCommand(List.of(NetCommand.IP, "-force", "-batch", "-"), String.join("\n", batch) + "\n").run();
    String nft = nftDeletions(settings, link, inUse, removed);
    if (!nft.isEmpty()) NetCommand.nft(nft).run();
    return List.copyOf(removed);
  }

  /** The delete commands for stale counters and elements of the table, recording their names. */
  private static String nftDeletions(EgressSettings settings, Pattern link, IntPredicate inUse, List<String> removed)
      throws IOException {
    String t = "inet " + settings.table();
    // One listing of the whole table: several list commands in one nft batch break on nft 1.0.6.
    String listing = new NetCommand(List.of(NetCommand.NFT, "list", "table", t.split(" ")[0], settings.table()), "").run();
    Set<String> names = new TreeSet<>();
    StringBuilder out = new StringBuilder();
    Matcher element = Pattern.compile("\"(" + link.pattern() + ")\" \\. ([0-9.]+) \\. ([0-9]+)").matcher(listing);
    while (element.find()) {
      if (!stale(link, element.group(1), inUse)) continue;
      out.append("delete element ").append(t).append(' ').append(EgressRuleset.ALLOW_SET).append(" { ")
          .append(element.group()).append(" }\n");
      names.add(element.group(1));
    }
    Matcher mapped = Pattern.compile("\"(" + link.pattern() + ")\" : ").matcher(listing);
    while (mapped.find()) {
      if (!stale(link, mapped.group(1), inUse)) continue;
      out.append("delete element ").append(t).append(' ').append(EgressRuleset.DENIED_MAP).append(" { \"")
          .append(mapped.group(1)).append("\" }\n");
      names.add(mapped.group(1));
    }
    Matcher counter = Pattern.compile("counter (" + link.pattern() + ") \\{").matcher(listing);
    while (counter.find()) {
      if (!stale(link, counter.group(1), inUse)) continue;
      out.append("delete counter ").append(t).append(' ').append(counter.group(1)).append('\n');
      names.add(counter.group(1));
    }
    names.forEach(n -> removed.add("nft " + n));
    return out.toString();
  }

  private static boolean stale(Pattern pattern, String name, IntPredicate inUse) {
    Matcher m = pattern.matcher(name);
    return m.matches() && !inUse.test(Integer.parseInt(m.group(1)));
  }

  private static List<String> netnsNames() throws IOException {
    if (!Files.isDirectory(JobSlot.NETNS_DIR)) return List.of();
    try (Stream<Path> files = Files.list(JobSlot.NETNS_DIR)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
