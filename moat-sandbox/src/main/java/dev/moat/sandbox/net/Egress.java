package dev.moat.sandbox.net;

import dev.moat.sandbox.Availability;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The host side of per-job egress (DESIGN I4), created once per agent: owns Moat's nftables table
 * ({@link EgressRuleset}) and hands out one {@link JobNetwork} per job from the address pool.
 *
 * <p>Forwarding is switched on per job interface, never globally. <b>In production the uplink must
 * forward too</b> ({@code net.ipv4.conf.<uplink>.forwarding=1}), because replies to the jobs'
 * connections come in on it; in tests the network lab's veth plays the uplink and forwards.
 *
 * <p>Invariants: one Egress per table and prefix on a host (it takes the table over at start);
 * a slot is in use from {@link #open} until its teardown succeeded; a slot whose teardown failed
 * stays reserved until {@link #removeLeftovers()} has deleted what it left. Thread-safe.
 */
public final class Egress implements AutoCloseable {
  private final EgressSettings settings;
  private final HostResolver resolver;
  private final ReentrantLock lock = new ReentrantLock();
  private final BitSet inUse = new BitSet();
  private final BitSet broken = new BitSet();
  private final List<JobNetwork> open = new ArrayList<>();
  private boolean closed;

  private Egress(EgressSettings settings, HostResolver resolver) {
    this.settings = settings;
    this.resolver = resolver;
  }

  /** Starts with {@code settings}, resolving allowed names with the JDK's resolver. */
  public static Egress start(EgressSettings settings) throws IOException {
    return start(settings, HostResolver.jdk());
  }

  /**
   * Reads the host's addresses and loads Moat's table, replacing an older one atomically (which
   * drops the nft state a crashed agent left). Call {@link #removeLeftovers()} before the first job.
   */
  public static Egress start(EgressSettings settings, HostResolver resolver) throws IOException {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(resolver, "resolver");
    NetCommand.nft(new EgressRuleset(settings, HostAddresses.current(settings.prefix())).text()).run();
    return new Egress(settings, resolver);
  }

  /** Whether egress filtering can work here: root, and {@code ip}, {@code nft} and {@code nsenter} present. */
  public static Availability probe() {
    boolean root = ProcessHandle.current().info().user().map("root"::equals).orElse(false);
    for (String tool : List.of(NetCommand.IP, NetCommand.NFT, NetnsEnter.NSENTER)) {
      if (!Files.isExecutable(Path.of(tool))) return Availability.no("no " + tool);
    }
    return root ? Availability.yes("root with ip, nft and nsenter") : Availability.no("not root: can't create namespaces or nft rules");
  }

  public EgressSettings settings() {
    return settings;
  }

  /**
   * Creates the network of one job: a fresh namespace with {@code lo}, and for a filtered policy a
   * veth, a /30, a default route via the host, and the job's allowlist in the table, with its
   * names resolved here. On failure whatever was created is removed again.
   *
   * @throws IOException also when an allowed name has no IPv4 address, or the pool is exhausted
   */
  public JobNetwork open(EgressPolicy policy) throws IOException {
    Objects.requireNonNull(policy, "policy");
    Allowlist allow = switch (policy) {
      case EgressPolicy.None _ -> new Allowlist(List.of(), List.of());
      case EgressPolicy.Filtered f -> Allowlist.resolve(f, resolver);
    };
    boolean veth = policy instanceof EgressPolicy.Filtered;
    JobSlot slot = allocate();
    try {
      build(slot, veth, allow);
    } catch (IOException | RuntimeException e) {
      try {
        tearDown(slot, veth, allow);
        settle(slot, true);
      } catch (IOException | RuntimeException cleanup) {
        settle(slot, false);
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    JobNetwork job = new JobNetwork(this, slot, policy, allow);
    register(job);
    return job;
  }

  private void build(JobSlot slot, boolean veth, Allowlist allow) throws IOException {
    // The nft entries go in alongside the links: until both are there the table's wildcard
    // refuses the interface everything, and nothing of the job runs before open returns.
    CompletableFuture<String> policyAdded = veth
        ? CompletableFuture.supplyAsync(() -> runUnchecked(JobNetCommands.addPolicy(slot, allow)), Thread::startVirtualThread)
        : CompletableFuture.completedFuture("");
    try {
      JobNetCommands.hostSetUp(slot, veth).run();
      if (veth) {
        writeSysctl("ipv6/conf/" + slot.hostInterface() + "/disable_ipv6");
        writeSysctl("ipv4/conf/" + slot.hostInterface() + "/forwarding");
      }
      JobNetCommands.jobSetUp(slot, veth).run();
    } catch (IOException | RuntimeException e) {
      try {
        await(policyAdded); // before the rollback deletes what it adds
      } catch (IOException | RuntimeException alsoFailed) {
        e.addSuppressed(alsoFailed);
      }
      throw e;
    }
    await(policyAdded);
  }

  /**
   * Deletes the namespaces, veths and nft entries named with this Egress's prefix that belong to
   * no job network in use: those of a crashed agent (call once at start, before any job), and
   * those of a teardown that failed.
   *
   * @return what was deleted, e.g. {@code netns moat-mj3}, {@code link mj3h}, {@code nft mj3h}
   */
  public List<String> removeLeftovers() throws IOException {
    lock.lock();
    try {
      List<String> removed = Leftovers.remove(settings, i -> inUse.get(i) && !broken.get(i));
      inUse.andNot(broken);
      broken.clear();
      return removed;
    } finally {
      lock.unlock();
    }
  }

  /** Closes every job network still open, then deletes the table. */
  @Override
  public void close() throws IOException {
    List<JobNetwork> jobs;
    lock.lock();
    try {
      if (closed) return;
      closed = true;
      jobs = List.copyOf(open);
    } finally {
      lock.unlock();
    }
    IOException failure = null;
    for (JobNetwork job : jobs) {
      try {
        job.close();
      } catch (IOException e) {
        if (failure == null) failure = e; else failure.addSuppressed(e);
      }
    }
    try {
      NetCommand.nft(new EgressRuleset(settings, List.of()).deletion()).run();
    } catch (IOException e) {
      if (failure == null) failure = e; else failure.addSuppressed(e);
    }
    if (failure != null) throw failure;
  }

  /**
   * Deletes a job network's veth, namespace and nft entries and returns its final denial count;
   * frees the slot only when everything went.
   */
  long release(JobNetwork job, JobSlot slot, boolean veth, Allowlist allow) throws IOException {
    lock.lock();
    try {
      open.remove(job);
    } finally {
      lock.unlock();
    }
    try {
      long denials = tearDown(slot, veth, allow);
      settle(slot, true);
      return denials;
    } catch (IOException | RuntimeException e) {
      settle(slot, false);
      throw e;
    }
  }

  /** Frees a slot whose teardown succeeded, or keeps it reserved for {@link #removeLeftovers()}. */
  private void settle(JobSlot slot, boolean gone) {
    lock.lock();
    try {
      if (gone) inUse.clear(slot.index()); else broken.set(slot.index());
    } finally {
      lock.unlock();
    }
  }

  private long tearDown(JobSlot slot, boolean veth, Allowlist allow) throws IOException {
    IOException failure = null;
    long denials = 0;
    try {
      JobNetCommands.hostTearDown(slot, veth).run();
    } catch (IOException e) {
      failure = e;
    }
    if (veth) {
      try {
        denials = JobNetwork.packets(JobNetCommands.readCounter(slot).run());
        JobNetCommands.removePolicy(slot, allow).run();
      } catch (IOException e) {
        if (failure == null) failure = e; else failure.addSuppressed(e);
      }
    }
    if (failure != null) throw failure;
    return denials;
  }

  private JobSlot allocate() throws IOException {
    lock.lock();
    try {
      if (closed) throw new IllegalStateException("egress is closed");
      int index = inUse.nextClearBit(0);
      if (index >= settings.slots()) throw new IOException("no free job network in " + settings.pool());
      inUse.set(index);
      return new JobSlot(settings, index);
    } finally {
      lock.unlock();
    }
  }

  private void register(JobNetwork job) {
    lock.lock();
    try {
      open.add(job);
    } finally {
      lock.unlock();
    }
  }

  private static String runUnchecked(NetCommand command) {
    try {
      return command.run();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits for {@code future}, rethrowing its IOException as such. */
  private static void await(CompletableFuture<String> future) throws IOException {
    try {
      future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof UncheckedIOException u) throw u.getCause();
      throw e;
    }
  }

  private static void writeSysctl(String key) throws IOException {
    Files.writeString(Path.of("/proc/sys/net").resolve(key), "1");
  }
}
