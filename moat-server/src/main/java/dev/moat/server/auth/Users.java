package dev.moat.server.auth;

import dev.moat.server.audit.Audit;
import dev.moat.server.audit.AuditAction;
import dev.moat.server.http.ApiException;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Moat users, their roles, their API tokens and their links to forge identities. A forge identity
 * is the forge's immutable numeric user id (the login is only shown), linked to at most one user.
 * Every change is audited in its own transaction. Thread-safe.
 */
public final class Users {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  private static final Pattern FORGE = Pattern.compile("[a-z][a-z0-9-]{0,31}");

  /** A user as the API shows it. */
  public record UserView(String name, String role, long createdAt, List<Identity> identities) {}

  /** A user with a token that was just minted: the only time the token is shown. */
  public record WithToken(String name, String role, String token) {}

  /** A link from a user to a forge identity. */
  public record Identity(String forge, long id, String login) {}

  private final Jdbi jdbi;
  private final InstantSource clock;
  private final ApiTokens tokens;
  private final Audit audit;

  public Users(Jdbi jdbi, InstantSource clock, ApiTokens tokens, Audit audit) {
    this.jdbi = jdbi;
    this.clock = clock;
    this.tokens = tokens;
    this.audit = audit;
  }

  /** Adds a user and mints their first token. */
  public WithToken add(String name, String roleName, Caller by) {
    if (name == null || !NAME.matcher(name).matches()) throw ApiException.invalid("user name must match " + NAME.pattern());
    Role role = role(roleName);
    return jdbi.inTransaction(h -> {
      if (find(h, name).isPresent()) throw ApiException.conflict("user " + name + " already exists");
      long id = h.createUpdate("INSERT INTO users (name, role, created_at) VALUES (:n, :r, :now)")
          .bind("n", name).bind("r", role.wire()).bind("now", clock.millis())
          .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
      audit.record(h, by.actor(), AuditAction.USER_ADDED, null, name, Map.of("role", role.wire()));
      String token = mintAudited(h, new Caller(id, name, role), by);
      return new WithToken(name, role.wire(), token);
    });
  }

  /** Mints another token for a user. */
  public WithToken mintToken(String name, Caller by) {
    return jdbi.inTransaction(h -> {
      Caller user = require(h, name);
      return new WithToken(user.name(), user.role().wire(), mintAudited(h, user, by));
    });
  }

  private String mintAudited(Handle h, Caller user, Caller by) {
    String token = tokens.mint(h, user.userId(), user.name(), user.role());
    audit.record(h, by.actor(), AuditAction.TOKEN_MINTED, null, user.name(), Map.of("role", user.role().wire()));
    return token;
  }

  /** Changes a user's role; it applies to their existing tokens at once. */
  public UserView setRole(String name, String roleName, Caller by) {
    Role role = role(roleName);
    jdbi.useTransaction(h -> {
      Caller user = require(h, name);
      if (user.role() == Role.ADMIN && role != Role.ADMIN
          && h.createQuery("SELECT count(*) FROM users WHERE role = 'admin'").mapTo(Integer.class).one() == 1) {
        throw ApiException.conflict(name + " is the last admin");
      }
      h.createUpdate("UPDATE users SET role = :r WHERE id = :id").bind("r", role.wire()).bind("id", user.userId()).execute();
      audit.record(h, by.actor(), AuditAction.ROLE_CHANGED, null, name, Map.of("from", user.role().wire(), "to", role.wire()));
    });
    return view(name);
  }

  /** Links a user to a forge identity (its numeric id); an id already linked to anyone is a conflict. */
  public UserView link(String name, String forge, Long forgeId, String login, Caller by) {
    if (forge == null || !FORGE.matcher(forge).matches()) throw ApiException.invalid("forge must match " + FORGE.pattern() + ", e.g. github");
    if (forgeId == null || forgeId <= 0) throw ApiException.invalid("the forge's numeric user id is required (a positive number)");
    jdbi.useTransaction(h -> {
      Caller user = require(h, name);
      var owner = userForForge(h, forge, forgeId);
      if (owner.isPresent()) throw ApiException.conflict(forge + " user " + forgeId + " is already linked to " + owner.get().name());
      h.createUpdate("""
              INSERT INTO forge_identities (forge, forge_id, user_id, login, created_at) VALUES (:f, :id, :u, :login, :now)""")
          .bind("f", forge).bind("id", forgeId).bind("u", user.userId()).bind("login", login).bind("now", clock.millis())
          .execute();
      var detail = new java.util.LinkedHashMap<String, Object>();
      detail.put("forge", forge);
      detail.put("id", forgeId);
      detail.put("login", login);
      audit.record(h, by.actor(), AuditAction.IDENTITY_LINKED, null, name, detail);
    });
    return view(name);
  }

  /** The Moat user a forge identity is linked to, with their current role. */
  public Optional<Caller> userForForge(String forge, long forgeId) {
    return jdbi.withHandle(h -> userForForge(h, forge, forgeId));
  }

  private static Optional<Caller> userForForge(Handle h, String forge, long forgeId) {
    return h.createQuery("""
            SELECT u.id, u.name, u.role FROM forge_identities f JOIN users u ON u.id = f.user_id
            WHERE f.forge = :f AND f.forge_id = :id""")
        .bind("f", forge).bind("id", forgeId)
        .map((rs, c) -> new Caller(rs.getLong(1), rs.getString(2), Role.ofWire(rs.getString(3))))
        .findOne();
  }

  /** The forge identities linked to a user. */
  public List<Identity> identities(long userId) {
    return jdbi.withHandle(h -> identities(h, userId));
  }

  private static List<Identity> identities(Handle h, long userId) {
    return h.createQuery("SELECT forge, forge_id, login FROM forge_identities WHERE user_id = :u ORDER BY forge, forge_id")
        .bind("u", userId).map((rs, c) -> new Identity(rs.getString(1), rs.getLong(2), rs.getString(3))).list();
  }

  public List<UserView> list() {
    return jdbi.withHandle(h -> h.createQuery("SELECT id, name, role, created_at FROM users ORDER BY name")
        .map((rs, c) -> new UserView(rs.getString(2), rs.getString(3), rs.getLong(4), identities(h, rs.getLong(1))))
        .list());
  }

  public UserView view(String name) {
    return list().stream().filter(u -> u.name().equals(name)).findFirst()
        .orElseThrow(() -> ApiException.notFound("no user " + name));
  }

  private static Optional<Caller> find(Handle h, String name) {
    return h.createQuery("SELECT id, name, role FROM users WHERE name = :n").bind("n", name)
        .map((rs, c) -> new Caller(rs.getLong(1), rs.getString(2), Role.ofWire(rs.getString(3))))
        .findOne();
  }

  private static Caller require(Handle h, String name) {
    return find(h, name).orElseThrow(() -> ApiException.notFound("no user " + name));
  }

  private static Role role(String roleName) {
    if (roleName == null) throw ApiException.invalid("role is required: admin, maintainer, developer or viewer");
    try {
      return Role.ofWire(roleName);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(e.getMessage());
    }
  }
}
