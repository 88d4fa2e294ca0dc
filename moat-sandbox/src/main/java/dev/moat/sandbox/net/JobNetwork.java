package dev.moat.sandbox.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One job's network, from {@link Egress#open}: a network namespace that every process of the job
 * joins ({@link #netnsPath()} for runc's {@code linux.namespaces} network path, {@link #enter()} as
 * a command prefix for bwrap), and for a filtered policy a veth to the host whose traffic Moat's
 * table filters and counts.
 *
 * <p>Tiers also add {@link #hostsEntries()} to the sandbox's {@code /etc/hosts}: the job has no DNS
 * server, so allowed names resolve from there.
 *
 * <p>{@link #close()} deletes the veth first, so the job is cut off before its nft entries go. It
 * takes tens of milliseconds (veth deletion waits for the kernel), so call it off the job's critical
 * path, e.g. {@link #closeInBackground()} after the result was reported. After close,
 * {@link #denials()} returns the final count. Thread-safe; close runs once: a failed close is not retried
 * here (its slot may be handed out again after {@link Egress#removeLeftovers()}).
 */
public final class JobNetwork implements AutoCloseable {
  private static final Pattern PACKETS = Pattern.compile("packets ([0-9]+)");

  private final Egress egress;
  private final JobSlot slot;
  private final EgressPolicy policy;
  private final Allowlist allow;
  private final ReentrantLock lock = new ReentrantLock();
  private boolean closed;
  private Long finalDenials;

  JobNetwork(Egress egress, JobSlot slot, EgressPolicy policy, Allowlist allow) {
    this.egress = egress;
    this.slot = slot;
    this.policy = policy;
    this.allow = allow;
  }

  public EgressPolicy policy() {
    return policy;
  }

  /** The namespace file, {@code /run/netns/moat-<prefix><n>}. */
  public Path netnsPath() {
    return slot.netnsPath();
  }

  /** The prefix that runs a command in this namespace; it must run as root, before setpriv. */
  public NetnsEnter enter() {
    return new NetnsEnter(slot.netnsPath());
  }

  /** The host side of the job's veth ({@code <prefix><n>h}); empty for {@link EgressPolicy.None}. */
  public Optional<String> hostInterface() {
    return hasVeth() ? Optional.of(slot.hostInterface()) : Optional.empty();
  }

  /** The job's gateway, the host side of its /30; empty for {@link EgressPolicy.None}. */
  public Optional<Inet4Address> gateway() {
    return hasVeth() ? Optional.of(inet(slot.gateway())) : Optional.empty();
  }

  /** The job's own address on {@code eth0}; empty for {@link EgressPolicy.None}. */
  public Optional<Inet4Address> address() {
    return hasVeth() ? Optional.of(inet(slot.jobAddress())) : Optional.empty();
  }

  /**
   * {@code /etc/hosts} lines for the allowed names as the gateway resolved them
   * ({@code "203.0.113.10 allowed.example\n"}); empty when the policy names none.
   */
  public String hostsEntries() {
    return allow.hostsFragment();
  }

  /**
   * How many packets of the job were refused (each refused connect counts once); always 0 for
   * {@link EgressPolicy.None}, whose connects never leave the namespace.
   */
  public long denials() throws IOException {
    lock.lock();
    try {
      if (closed) {
        // After a failed teardown the slot may already serve another job: never read it again.
        if (finalDenials == null) throw new IOException(this + " failed to close; its count is lost");
        return finalDenials;
      }
      return hasVeth() ? packets(JobNetCommands.readCounter(slot).run()) : 0;
    } finally {
      lock.unlock();
    }
  }

  /** Deletes the veth, the namespace and the job's nft entries. Processes of the job should be gone. */
  @Override
  public void close() throws IOException {
    lock.lock();
    try {
      if (closed) return;
      closed = true;
      finalDenials = egress.release(this, slot, hasVeth(), allow);
    } finally {
      lock.unlock();
    }
  }

  /** {@link #close()} on a virtual thread; the future fails with the close's exception. */
  public CompletableFuture<Void> closeInBackground() {
    return CompletableFuture.runAsync(() -> {
      try {
        close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, Thread::startVirtualThread);
  }

  @Override
  public String toString() {
    return "JobNetwork[" + slot.netnsName() + ", " + policy.getClass().getSimpleName() + "]";
  }

  /** The packet count in {@code nft list counter} output. */
  static long packets(String listing) throws IOException {
    Matcher m = PACKETS.matcher(listing);
    if (!m.find()) throw new IOException("no packet count in: " + listing.strip());
    return Long.parseLong(m.group(1));
  }

  private boolean hasVeth() {
    return policy instanceof EgressPolicy.Filtered;
  }

  private static Inet4Address inet(int address) {
    try {
      return (Inet4Address) InetAddress.getByName(Ipv4Cidr.format(address));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("a dotted quad always parses", e);
    }
  }
}
