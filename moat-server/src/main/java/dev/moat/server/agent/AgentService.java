package dev.moat.server.agent;

import dev.moat.server.metrics.Metrics;
import dev.moat.common.Json;
import dev.moat.common.Tokens;
import dev.moat.common.wire.Labels;
import dev.moat.common.wire.RegisterRequest;
import dev.moat.common.wire.RegisterResponse;
import dev.moat.engine.placement.IsolationTier;
import dev.moat.engine.placement.PlacementPolicy;
import dev.moat.engine.placement.PoolSpec;
import dev.moat.server.http.ApiException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.type.TypeReference;

/**
 * Agent identities (DESIGN I9): one-time registration tokens (hashed, with a TTL) traded for an
 * agent credential (hashed) bound to the token's pool and to labels it was granted. Under a
 * placement policy that declares pools, tokens are made and used only for those pools. The labels
 * an agent may serve must be within those its token names (if it names any) and within those its
 * policy pool lists (if it lists any); with neither (the default policy and a token without labels)
 * it serves what it asks for. An agent asking for a label it wasn't granted is refused and its
 * token stays unused. Claims read pool and labels
 * from the credential's row, never from the poll. Thread-safe.
 */
public final class AgentService {
  private final Metrics metrics;
  private static final Logger LOG = LoggerFactory.getLogger(AgentService.class);
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

  /** An authenticated agent. */
  public record Agent(String id, String name, String pool, List<String> labels) {}

  /** A new registration token, shown once; {@code labels} are those it grants (empty: no grant of its own). */
  public record RegistrationToken(String token, String pool, List<String> labels, Instant expiresAt) {
    @Override
    public String toString() {
      return "RegistrationToken[pool=" + pool + ", labels=" + labels + ", expiresAt=" + expiresAt + "]";
    }
  }

  private final Jdbi jdbi;
  private final InstantSource clock;
  private final PlacementPolicy policy;
  /** The weaker-than-declared tier each agent was last warned about, so that a poll loop logs it once. */
  private final Map<String, IsolationTier> warnedTier = new ConcurrentHashMap<>();

  public AgentService(Jdbi jdbi, InstantSource clock, PlacementPolicy policy) {
    this(jdbi, clock, policy, Metrics.unscraped());
  }

  /** @param metrics counts registrations, ok or refused */
  public AgentService(Jdbi jdbi, InstantSource clock, PlacementPolicy policy, Metrics metrics) {
    this.metrics = metrics;
    this.jdbi = jdbi;
    this.clock = clock;
    this.policy = policy;
  }

  public RegistrationToken createToken(String pool, Duration ttl) {
    return createToken(pool, List.of(), ttl);
  }

  /**
   * A token for one agent of {@code pool} granted {@code labels} (empty: the pool's labels under the
   * policy, else any). Granted labels must lie within the policy pool's own.
   */
  public RegistrationToken createToken(String pool, List<String> labels, Duration ttl) {
    if (pool == null || !PoolSpec.NAME.matcher(pool).matches()) throw ApiException.invalid("pool must match " + PoolSpec.NAME);
    if (!policy.acceptsPool(pool)) throw ApiException.invalid(notInPolicy(pool));
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(Duration.ofDays(7)) > 0) throw ApiException.invalid("ttl must be within 7 days");
    List<String> grant = List.copyOf(labels);
    try {
      Labels.check(grant);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(e.getMessage());
    }
    String beyondPool = notGranted(grant, poolGrant(pool));
    if (beyondPool != null) throw ApiException.invalid("pool " + pool + " " + beyondPool);
    String token = Tokens.random("moat_reg");
    long now = clock.millis();
    jdbi.useHandle(h -> h.createUpdate("""
            INSERT INTO registration_tokens (hash, pool, labels, created_at, expires_at)
            VALUES (:hash, :pool, :labels, :now, :exp)""")
        .bind("hash", Tokens.hash(token)).bind("pool", pool).bind("labels", grant.isEmpty() ? null : Json.write(grant))
        .bind("now", now).bind("exp", now + ttl.toMillis()).execute());
    return new RegistrationToken(token, pool, grant, Instant.ofEpochMilli(now + ttl.toMillis()));
  }

  /** The labels the policy lets agents of {@code pool} serve, or empty when it grants no limit. */
  private Optional<List<String>> poolGrant(String pool) {
    return policy.pool(pool).map(PoolSpec::labels).filter(l -> !l.isEmpty());
  }

  /** Why {@code asked} goes beyond {@code grant}, or null when it doesn't (or there is no grant). */
  private static String notGranted(List<String> asked, Optional<List<String>> grant) {
    if (grant.isEmpty()) return null;
    var beyond = asked.stream().filter(l -> !grant.get().contains(l)).toList();
    return beyond.isEmpty() ? null
        : "grants labels " + String.join(", ", grant.get()) + "; not " + String.join(", ", beyond);
  }

  /** Uses up a registration token and creates the agent; a used, expired or unknown token is refused. */
  /** Agents of {@code pool} seen (polling) within {@code within}: the {@code moat_agents_connected} gauge. */
  public long connectedIn(String pool, Duration within) {
    long since = clock.millis() - within.toMillis();
    return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM agents WHERE pool = :pool AND last_seen >= :since")
        .bind("pool", pool).bind("since", since).mapTo(Long.class).one());
  }

  public RegisterResponse register(RegisterRequest req) {
    try {
      RegisterResponse ok = registerOnce(req);
      metrics.registration(true);
      return ok;
    } catch (RuntimeException e) {
      metrics.registration(false);
      throw e;
    }
  }

  private RegisterResponse registerOnce(RegisterRequest req) {
    Labels.check(req.labels());
    if (!req.name().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) throw ApiException.invalid("bad agent name");
    long now = clock.millis();
    String agentId = "agt-" + UUID.randomUUID();
    String credential = Tokens.random("moat_agent");
    String pool = jdbi.inTransaction(h -> {
      int used = h.createUpdate("""
              UPDATE registration_tokens SET used_at = :now, used_by = :agent
              WHERE hash = :hash AND used_at IS NULL AND expires_at > :now""")
          .bind("now", now).bind("agent", agentId).bind("hash", Tokens.hash(req.token())).execute();
      if (used != 1) throw ApiException.unauthorized("registration token is unknown, expired or already used");
      record Grant(String pool, String labels) {}
      Grant grant = h.createQuery("SELECT pool, labels FROM registration_tokens WHERE hash = :hash")
          .bind("hash", Tokens.hash(req.token())).map((rs, c) -> new Grant(rs.getString(1), rs.getString(2))).one();
      String p = grant.pool();
      // A token made before the policy changed: refused, and (rolled back) still unused.
      if (!policy.acceptsPool(p)) throw ApiException.forbidden(notInPolicy(p));
      Optional<List<String>> tokenGrant = Optional.ofNullable(grant.labels()).map(j -> Json.MAPPER.readValue(j, STRINGS));
      // Both grants hold: the policy may have narrowed the pool since the token was made. Refused, and
      // (rolled back) the token is still unused.
      String beyondToken = notGranted(req.labels(), tokenGrant);
      if (beyondToken != null) throw ApiException.forbidden("the registration token " + beyondToken);
      String beyondPool = notGranted(req.labels(), poolGrant(p));
      if (beyondPool != null) throw ApiException.forbidden("pool " + p + " " + beyondPool);
      h.createUpdate("""
              INSERT INTO agents (id, name, pool, labels, credential_hash, created_at)
              VALUES (:id, :name, :pool, :labels, :cred, :now)""")
          .bind("id", agentId).bind("name", req.name()).bind("pool", p).bind("labels", Json.write(req.labels()))
          .bind("cred", Tokens.hash(credential)).bind("now", now).execute();
      return p;
    });
    LOG.atInfo().addKeyValue("agent", agentId).addKeyValue("pool", pool).addKeyValue("labels", req.labels())
        .log("agent registered");
    return new RegisterResponse(agentId, credential, pool, req.labels());
  }

  private String notInPolicy(String pool) {
    var names = policy.pools().orElseThrow().stream().map(PoolSpec::name).toList();
    return "pool '" + pool + "' is not in the server's placement policy; its pools: " + String.join(", ", names);
  }

  /**
   * Notes the sandbox tier an agent reported in a poll, and warns (once per change) when it is weaker
   * than the tier the policy declares for the agent's pool: claims then hand that agent nothing that
   * needs more than it reports, so the pool is misconfigured, not unsafe.
   */
  public void reportedTier(Agent agent, IsolationTier tier) {
    var declared = policy.pool(agent.pool()).map(PoolSpec::tier).filter(t -> !tier.atLeast(t));
    if (declared.isEmpty()) {
      warnedTier.remove(agent.id());
    } else if (warnedTier.put(agent.id(), tier) != tier) {
      LOG.atWarn().addKeyValue("agent", agent.id()).addKeyValue("pool", agent.pool())
          .addKeyValue("reported_tier", tier.wire()).addKeyValue("declared_tier", declared.get().wire())
          .log("agent runs a weaker sandbox tier than its pool declares; it gets only jobs its tier allows");
    }
  }

  /** The agent holding {@code credential}, or 401. Records when it was last seen. */
  public Agent authenticate(String credential) {
    String hash = Tokens.hash(credential);
    return jdbi.withHandle(h -> {
      Agent agent = h.createQuery("SELECT id, name, pool, labels FROM agents WHERE credential_hash = :hash")
          .bind("hash", hash)
          .map((rs, c) -> new Agent(rs.getString(1), rs.getString(2), rs.getString(3), Json.MAPPER.readValue(rs.getString(4), STRINGS)))
          .findOne()
          .orElseThrow(() -> ApiException.unauthorized("unknown agent credential"));
      h.createUpdate("UPDATE agents SET last_seen = :now WHERE id = :id").bind("now", clock.millis()).bind("id", agent.id()).execute();
      return agent;
    });
  }
}
