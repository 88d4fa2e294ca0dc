package dev.moat.sandbox.net;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake internet for egress tests, built only from namespaces and names of its own (feasibility
 * note §4), so that no test packet can ever reach a real network:
 * <ul>
 *   <li>netns {@code <prefix>-net} holds {@link #ALLOWED} and {@link #OTHER} on its loopback, each
 *       with TCP listeners on 80 and 443 that answer {@code hello <address>:<port>} and close; it
 *       is linked to the host by the veth {@code <prefix>0h} (a /30 in 198.51.100.0/24), which
 *       forwards and so plays the host's uplink. It has an {@code unreachable} default route.
 *   <li>{@link #capture(JobNetwork)} adds {@code ip rule iif <job veth> lookup <table>}, where the
 *       lab's own routing table sends <em>everything</em>, default included, into the lab. Even
 *       with a broken policy a job packet can never reach the host's real uplink.
 *   <li>A counter {@code leaked} in the lab's prerouting counts every packet for a destination
 *       outside the lab (its addresses, its link, and link-local multicast and IPv6 neighbour
 *       traffic that the kernel itself sends). Tests assert {@link #leaks()} stays 0: private and
 *       metadata targets must be refused by Moat's table before the catch-all matters.
 *   <li>A TCP listener in the host's own namespace, on every host address, to attack:
 *       {@link #hostPort()} and {@link #hostAccepts()}.
 * </ul>
 * The prefix must not be an egress prefix's start (Moat's rules match job interfaces by wildcard).
 * Close tears everything down. Not thread-safe for capture/release from several threads at once.
 */
public final class NetworkLab implements AutoCloseable {
  public static final String ALLOWED = "203.0.113.10";
  public static final String OTHER = "203.0.113.20";
  static final String PYTHON = "/usr/bin/python3";
  static final int RULE_PREF = 90;
  static final String LISTENER = """
      import socket, sys, threading
      def serve(s, address, port):
          while True:
              c, _ = s.accept()
              c.sendall(("hello %s:%d\\n" % (address, port)).encode())
              c.close()
      for address in sys.argv[1:]:
          for port in (80, 443):
              s = socket.socket()
              s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
              s.bind((address, port))
              s.listen(64)
              threading.Thread(target=serve, args=(s, address, port), daemon=True).start()
      print("READY", flush=True)
      threading.Event().wait()
      """;

  private final String netns;
  private final String veth;
  private final int table;
  private final int linkBase;
  private final Set<String> captured = new LinkedHashSet<>();
  private final AtomicInteger hostAccepts = new AtomicInteger();
  private ServerSocket hostListener;
  private Process listener;

  private NetworkLab(String prefix) {
    if (!prefix.matches("[a-z][a-z0-9]{1,9}")) throw new IllegalArgumentException("bad lab prefix: " + prefix);
    long pid = ProcessHandle.current().pid();
    this.netns = prefix + "-net";
    this.veth = prefix + "0h";
    this.table = 30000 + (int) (pid % 10000);
    this.linkBase = (int) (4 * (pid % 62 + 1));
  }

  /** Builds the lab; on failure removes what it built. */
  public static NetworkLab start(String prefix) throws IOException {
    NetworkLab lab = new NetworkLab(prefix);
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
    String host = "198.51.100." + (linkBase + 1);
    String lab = "198.51.100." + (linkBase + 2);
    ip("netns add " + netns,
        "link add " + veth + " type veth peer name eth0 netns " + netns,
        "addr add " + host + "/30 dev " + veth,
        "link set " + veth + " up",
        "route add default via " + lab + " dev " + veth + " table " + table);
    Files.writeString(Path.of("/proc/sys/net/ipv4/conf/" + veth + "/forwarding"), "1");
    inLab(NetCommand.IP, "-batch", "-").input(String.join("\n",
        "link set lo up", "addr add " + ALLOWED + "/32 dev lo", "addr add " + OTHER + "/32 dev lo",
        "addr add " + lab + "/30 dev eth0", "link set eth0 up", "route add unreachable default") + "\n").run();
    inLab(NetCommand.NFT, "-f", "-").input(String.join("\n",
        "table inet lab {",
        "  counter leaked {",
        "  }",
        "  chain prerouting {",
        "    type filter hook prerouting priority raw - 10; policy accept;",
        "    meta nfproto ipv4 ip daddr != { 203.0.113.0/24, 198.51.100." + linkBase + "/30, 224.0.0.0/24 } counter name \"leaked\"",
        "    meta nfproto ipv6 ip6 daddr != { fe80::/10, ff02::/16 } counter name \"leaked\"",
        "  }",
        "}") + "\n").run();
    startListener();
    hostListener = new ServerSocket();
    hostListener.bind(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0));
    Thread.ofVirtual().name("lab-host-listener").start(this::acceptOnHost);
  }

  private void startListener() throws IOException {
    List<String> argv = new ArrayList<>(List.of(NetCommand.IP, "netns", "exec", netns, PYTHON, "-c", LISTENER, ALLOWED, OTHER));
    listener = new ProcessBuilder(argv).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, Thread::startVirtualThread);
    try {
      String line = ready.get(20, TimeUnit.SECONDS);
      if (!"READY".equals(line)) throw new IOException("lab listener did not start: " + line);
    } catch (Exception e) {
      throw new IOException("lab listener did not start", e);
    }
  }

  private void acceptOnHost() {
    while (!hostListener.isClosed()) {
      try (Socket s = hostListener.accept()) {
        hostAccepts.incrementAndGet();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /** Routes everything the job sends into the lab. Call before the job runs anything. */
  public void capture(JobNetwork job) throws IOException {
    if (job.hostInterface().isEmpty()) return;
    String iface = job.hostInterface().get();
    ip("rule add iif " + iface + " lookup " + table + " pref " + RULE_PREF);
    captured.add(iface);
  }

  /** Removes the job's catch-all rule; call after the job network was closed or before. */
  public void release(JobNetwork job) throws IOException {
    if (job.hostInterface().isEmpty() || !captured.remove(job.hostInterface().get())) return;
    ip("rule del iif " + job.hostInterface().get() + " lookup " + table + " pref " + RULE_PREF);
  }

  /** Packets that reached the lab for a destination outside it. */
  public long leaks() throws IOException {
    return JobNetwork.packets(inLab(NetCommand.NFT, "list", "counter", "inet", "lab", "leaked").run());
  }

  /** The port of the TCP listener in the host's namespace (on every host address). */
  public int hostPort() {
    return hostListener.getLocalPort();
  }

  /** Connections the host listener accepted. */
  public int hostAccepts() {
    return hostAccepts.get();
  }

  /** The IPv4 addresses of the host's interfaces, loopback included, as dotted quads. */
  public static List<String> hostAddresses() throws IOException {
    List<String> addresses = new ArrayList<>();
    for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress a : Collections.list(nif.getInetAddresses())) {
        if (a instanceof Inet4Address) addresses.add(a.getHostAddress());
      }
    }
    return addresses;
  }

  /** The {@code ip rule} lines that mention the lab's table: none once every capture was released. */
  public List<String> rules() throws IOException {
    return new NetCommand(List.of(NetCommand.IP, "rule", "show"), "").run().lines()
        .filter(l -> l.contains("lookup " + table)).toList();
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (String iface : List.copyOf(captured)) {
      try {
        ip("rule del iif " + iface + " lookup " + table + " pref " + RULE_PREF);
      } catch (IOException e) {
        failure = add(failure, e);
      }
    }
    captured.clear();
    if (hostListener != null) hostListener.close();
    if (listener != null) {
      listener.destroyForcibly();
      try {
        listener.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      new NetCommand(List.of(NetCommand.IP, "-force", "-batch", "-"),
          "route flush table " + table + "\nlink del " + veth + "\nnetns del " + netns + "\n").run();
    } catch (IOException e) {
      // Parts that were never built are missing: only complain if something is still there.
      if (Files.exists(JobSlot.NETNS_DIR.resolve(netns))) failure = add(failure, e);
    }
    if (failure != null) throw failure;
  }

  private static IOException add(IOException failure, IOException e) {
    if (failure == null) return e;
    failure.addSuppressed(e);
    return failure;
  }

  private static void ip(String... lines) throws IOException {
    NetCommand.ipBatch(String.join("\n", lines) + "\n").run();
  }

  private LabCommand inLab(String... argv) {
    return new LabCommand(netns, List.of(argv), "");
  }

  /** A command run in the lab's namespace. */
  private record LabCommand(String netns, List<String> argv, String input) {
    LabCommand input(String text) {
      return new LabCommand(netns, argv, text);
    }

    String run() throws IOException {
      List<String> full = new ArrayList<>(List.of(NetCommand.IP, "netns", "exec", netns));
      full.addAll(argv);
      return new NetCommand(full, input).run();
    }
  }
}
