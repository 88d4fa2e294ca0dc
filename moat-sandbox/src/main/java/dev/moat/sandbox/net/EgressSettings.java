package dev.moat.sandbox.net;

import java.util.Objects;

/**
 * How an {@link Egress} names what it creates on the host, and where job addresses come from.
 *
 * <p>Every host resource is named from {@code prefix}: job slot {@code n} gets the veth
 * {@code <prefix><n>h} on the host (its peer is {@code eth0} in the job), the network namespace
 * {@code moat-<prefix><n>}, and the nft counter {@code <prefix><n>h}. The nft rules match job
 * interfaces by the wildcard {@code "<prefix>*"}, so <b>no other interface on the host may start with
 * the prefix</b>, and {@link Egress#removeLeftovers()} deletes whatever does.
 *
 * <p>Invariants: the table is a lowercase nft identifier; the prefix is 2–8 lowercase letters and
 * digits starting with a letter; the pool is /14 to /29, split into /30 slots. So the longest
 * interface name, 8 characters of prefix, 5 digits of slot and {@code h}, fits Linux's 15. Immutable.
 *
 * @param table the name of Moat's own nftables table, in family {@code inet}
 * @param prefix the prefix of every interface, namespace and counter name
 * @param pool the addresses handed out, one /30 per job
 */
public record EgressSettings(String table, String prefix, Ipv4Cidr pool) {
  public static final String DEFAULT_TABLE = "moat";
  public static final String DEFAULT_PREFIX = "moatj";
  public static final Ipv4Cidr DEFAULT_POOL = Ipv4Cidr.parse("10.231.0.0/16");

  public EgressSettings {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(pool, "pool");
    if (!table.matches("[a-z][a-z0-9_]{0,31}")) throw new IllegalArgumentException("bad nft table name: " + table);
    if (!prefix.matches("[a-z][a-z0-9]{1,7}")) throw new IllegalArgumentException("bad name prefix: " + prefix);
    if (pool.length() < 14 || pool.length() > 29) throw new IllegalArgumentException("pool must be /14 to /29: " + pool);
  }

  /** Table {@code moat}, prefix {@code moatj} (long enough that no other interface of a host starts with it), pool {@code 10.231.0.0/16}. */
  public static EgressSettings defaults() {
    return new EgressSettings(DEFAULT_TABLE, DEFAULT_PREFIX, DEFAULT_POOL);
  }

  /** The number of jobs that can hold a network at once. */
  public int slots() {
    return (int) (pool.size() / 4);
  }
}
