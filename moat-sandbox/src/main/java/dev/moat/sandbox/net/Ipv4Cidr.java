package dev.moat.sandbox.net;

import java.util.Objects;

/**
 * An IPv4 network in CIDR form, such as {@code 10.231.0.0/16}.
 *
 * <p>Invariants: the prefix length is 0–32 and {@code base} has no bits set beyond it. Immutable.
 *
 * @param base the network address as an unsigned 32-bit value in an int
 * @param length the prefix length
 */
public record Ipv4Cidr(int base, int length) {
  public Ipv4Cidr {
    if (length < 0 || length > 32) throw new IllegalArgumentException("bad prefix length: " + length);
    if ((base & ~mask(length)) != 0) throw new IllegalArgumentException("host bits set in " + format(base) + "/" + length);
  }

  /** Parses {@code a.b.c.d/n}. */
  public static Ipv4Cidr parse(String cidr) {
    Objects.requireNonNull(cidr, "cidr");
    int slash = cidr.indexOf('/');
    if (slash < 0 || !cidr.substring(slash + 1).matches("[0-9]{1,2}")) throw new IllegalArgumentException("not a CIDR: " + cidr);
    return new Ipv4Cidr(address(cidr.substring(0, slash)), Integer.parseInt(cidr.substring(slash + 1)));
  }

  /** The number of addresses in this network. */
  public long size() {
    return 1L << (32 - length);
  }

  /** The address {@code offset} places after {@link #base()}. */
  int at(long offset) {
    if (offset < 0 || offset >= size()) throw new IllegalArgumentException("offset " + offset + " outside " + this);
    return (int) (Integer.toUnsignedLong(base) + offset);
  }

  @Override
  public String toString() {
    return format(base) + "/" + length;
  }

  /** Parses a dotted-quad address strictly (never resolves a name). */
  static int address(String dotted) {
    if (!AllowedHost.isIpv4Literal(dotted)) throw new IllegalArgumentException("not an IPv4 address: " + dotted);
    int value = 0;
    for (String part : dotted.split("\\.")) value = (value << 8) | Integer.parseInt(part);
    return value;
  }

  static String format(int address) {
    return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
  }

  private static int mask(int length) {
    return length == 0 ? 0 : -1 << (32 - length);
  }
}
