package dev.moat.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A fake internet for end-to-end egress tests through an agent (DESIGN section 4), made only of
 * names of its own, so that no job packet can reach a real network. The sandbox module's
 * {@code NetworkLab} does the same per job interface; an agent's job networks are not visible to a
 * test, so this lab catches them by their source instead: {@code ip rule from <job pool>} sends
 * everything the jobs send, default route included, into netns {@code <prefix>net} (what the host
 * itself sends from a job gateway address, {@code iif lo}, is routed as usual), where
 * {@link #ALLOWED} and {@link #OTHER} answer {@code hello <address>:<port>} on port 443 and the
 * counter {@code leaked} counts every packet for any other destination (a private or metadata
 * address that Moat's table failed to refuse). The link is a /30 in 192.0.2.0/24 chosen by pid.
 * Not thread-safe; close removes everything.
 */
final class FakeInternet implements AutoCloseable {
  static final String ALLOWED = "203.0.113.10";
  static final String OTHER = "203.0.113.20";
  private static final String IP = "/usr/sbin/ip";
  private static final String PYTHON = "/usr/bin/python3";
  private static final String LISTENER = """
      import socket, sys, threading
      def serve(s, address):
          while True:
              c, _ = s.accept()
              c.sendall(("hello %s:443\\n" % address).encode())
              c.close()
      for address in sys.argv[1:]:
          s = socket.socket()
          s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
          s.bind((address, 443))
          s.listen(64)
          threading.Thread(target=serve, args=(s, address), daemon=True).start()
      print("READY", flush=True)
      threading.Event().wait()
      """;

  private final String netns;
  private final String veth;
  private final String jobPool;
  private final int table;
  private final int linkBase;
  private Process listener;

  private FakeInternet(String prefix, String jobPool) {
    long pid = ProcessHandle.current().pid();
    this.netns = prefix + "net";
    this.veth = prefix + "h";
    this.jobPool = jobPool;
    this.table = 40000 + (int) (pid % 10000);
    this.linkBase = (int) (4 * (pid % 62 + 1));
  }

  /** Builds the lab for jobs whose addresses come from {@code jobPool}; on failure removes what it built. */
  static FakeInternet start(String prefix, String jobPool) throws IOException {
    var lab = new FakeInternet(prefix, jobPool);
    try {
      lab.build();
      return lab;
    } catch (IOException | RuntimeException e) {
      try {
        lab.close();
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private void build() throws IOException {
    String host = "192.0.2." + (linkBase + 1);
    String lab = "192.0.2." + (linkBase + 2);
    HostSnapshot.run(List.of(IP, "-batch", "-"), String.join("\n",
        "netns add " + netns,
        "link add " + veth + " type veth peer name eth0 netns " + netns,
        "addr add " + host + "/30 dev " + veth,
        "link set " + veth + " up",
        "route add default via " + lab + " dev " + veth + " table " + table,
        // What the host itself sends from a job gateway address (a reset for another checkout's job
        // that attacked this address, say) must go where it would without the lab.
        "rule add from " + jobPool + " iif lo lookup main pref 90",
        "rule add from " + jobPool + " lookup " + table + " pref 91") + "\n");
    Files.writeString(Path.of("/proc/sys/net/ipv4/conf/" + veth + "/forwarding"), "1");
    HostSnapshot.run(List.of(IP, "netns", "exec", netns, IP, "-batch", "-"), String.join("\n",
        "link set lo up", "addr add " + ALLOWED + "/32 dev lo", "addr add " + OTHER + "/32 dev lo",
        "addr add " + lab + "/30 dev eth0", "link set eth0 up", "route add unreachable default") + "\n");
    HostSnapshot.run(List.of(IP, "netns", "exec", netns, "/usr/sbin/nft", "-f", "-"), String.join("\n",
        "table inet lab {",
        "  counter leaked {",
        "  }",
        "  set flows {",
        "    type ipv4_addr . ipv4_addr . inet_proto; size 1024; flags dynamic;",
        "  }",
        "  chain prerouting {",
        "    type filter hook prerouting priority raw - 10; policy accept;",
        "    meta nfproto ipv4 ip daddr != { 203.0.113.0/24, 192.0.2." + linkBase + "/30, 224.0.0.0/24 } counter name \"leaked\""
            + " add @flows { ip saddr . ip daddr . meta l4proto }",
        "  }",
        "}") + "\n");
    listener = new ProcessBuilder(IP, "netns", "exec", netns, PYTHON, "-c", LISTENER, ALLOWED, OTHER).redirectErrorStream(true).start();
    var out = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8));
    try {
      String line = CompletableFuture.supplyAsync(() -> {
        try {
          return out.readLine();
        } catch (IOException e) {
          return "unreadable: " + e;
        }
      }, Thread::startVirtualThread).get(20, TimeUnit.SECONDS);
      if (!"READY".equals(line)) throw new IOException("lab listener did not start: " + line);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IOException("lab listener did not start", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the lab listener started", e);
    }
  }

  /** Whether this host can build the lab: {@code ip}, {@code nft} and python. */
  static String missing() {
    for (String tool : List.of(IP, "/usr/sbin/nft", PYTHON)) {
      if (!Files.isExecutable(Path.of(tool))) return "no " + tool;
    }
    return null;
  }

  /** Packets that reached the lab for a destination outside it. */
  long leaks() throws IOException {
    String counter = HostSnapshot.run(List.of(IP, "netns", "exec", netns, "/usr/sbin/nft", "list", "counter", "inet", "lab", "leaked"), "");
    var m = java.util.regex.Pattern.compile("packets (\\d+)").matcher(counter);
    if (!m.find()) throw new IOException("no packet count in: " + counter);
    return Long.parseLong(m.group(1));
  }

  /** The source, destination and protocol of what leaked, as nft lists them. */
  String leakedFlows() throws IOException {
    return HostSnapshot.run(List.of(IP, "netns", "exec", netns, "/usr/sbin/nft", "list", "set", "inet", "lab", "flows"), "");
  }

  @Override
  public void close() throws IOException {
    if (listener != null) {
      listener.destroyForcibly();
      try {
        listener.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      HostSnapshot.run(List.of(IP, "-force", "-batch", "-"), "rule del from " + jobPool + " lookup " + table + " pref 91\n"
          + "rule del from " + jobPool + " iif lo lookup main pref 90\n"
          + "route flush table " + table + "\nlink del " + veth + "\nnetns del " + netns + "\n");
    } catch (IOException e) {
      // Parts that were never built are missing: only complain if something is still there.
      if (Files.exists(Path.of("/run/netns", netns))) throw e;
    }
  }
}
