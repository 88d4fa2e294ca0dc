package dev.moat.server.github;

import dev.moat.engine.trust.TrustTier;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Contributor tiers resolved from GitHub, per repository and numeric user id, for {@link #ttl}.
 * In memory on purpose: an entry is only a saving of one API call, so losing it on restart costs
 * nothing, and a cache that can't outlive the process can't keep a revoked permission alive past a
 * restart either. Membership events ({@code member}, {@code membership}, {@code organization},
 * {@code team}) drop entries at once; the TTL bounds staleness when such an event is missed (with
 * several servers, each has its own cache and the TTL is the bound). Only answers are cached:
 * a failed lookup is never stored, so the next event asks again. Thread-safe.
 */
public final class PermissionCache {
  /** Default lifetime of an entry. */
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);

  private record Key(String repo, long userId) {}

  private record Entry(TrustTier tier, Instant expires) {}

  private final ConcurrentHashMap<Key, Entry> entries = new ConcurrentHashMap<>();
  private final InstantSource clock;
  private final Duration ttl;

  public PermissionCache(InstantSource clock, Duration ttl) {
    if (ttl.isNegative()) throw new IllegalArgumentException("ttl must not be negative");
    this.clock = clock;
    this.ttl = ttl;
  }

  /** The cached tier of {@code userId} on the Moat repository {@code repo}, if fresh. */
  public Optional<TrustTier> get(String repo, long userId) {
    Key key = new Key(repo, userId);
    Entry e = entries.get(key);
    if (e == null) return Optional.empty();
    if (!clock.instant().isBefore(e.expires())) {
      entries.remove(key, e);
      return Optional.empty();
    }
    return Optional.of(e.tier());
  }

  public void put(String repo, long userId, TrustTier tier) {
    entries.put(new Key(repo, userId), new Entry(tier, clock.instant().plus(ttl)));
  }

  /** Drops what is known about {@code userId} on every repository (a member was added, removed or changed). */
  public void invalidateUser(long userId) {
    entries.keySet().removeIf(k -> k.userId() == userId);
  }

  /** Drops everything known about {@code repo} (a team's access to it changed). */
  public void invalidateRepo(String repo) {
    entries.keySet().removeIf(k -> k.repo().equals(repo));
  }

  public void invalidateAll() {
    entries.clear();
  }

  public int size() {
    return entries.size();
  }
}
