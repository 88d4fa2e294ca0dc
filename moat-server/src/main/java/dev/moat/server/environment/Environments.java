package dev.moat.server.environment;

import dev.moat.common.Json;
import dev.moat.engine.trust.TrustTier;
import dev.moat.server.audit.Audit;
import dev.moat.server.audit.AuditAction;
import dev.moat.server.http.ApiException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import tools.jackson.core.type.TypeReference;

/**
 * The server's environments. Creating and removing one is audited in the same transaction. An
 * environment is looked up by name when a run is created (its rules gate the job) and again when a
 * job reads a secret (its scopes are what the job gets), so a removed environment grants nothing
 * at once. Thread-safe.
 */
public final class Environments {
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private final Jdbi jdbi;
  private final InstantSource clock;
  private final Audit audit;

  public Environments(Jdbi jdbi, InstantSource clock, Audit audit) {
    this.jdbi = jdbi;
    this.clock = clock;
    this.audit = audit;
  }

  /** Creates {@code env}; 409 if one of that name exists. */
  public Environment create(String actor, Environment env) {
    return jdbi.inTransaction(h -> {
      if (find(h, env.name()).isPresent()) throw ApiException.conflict("environment " + env.name() + " exists; remove it first");
      h.createUpdate("""
              INSERT INTO environments (name, scopes, branches, min_trust, reviewers, wait_ms, created_at, created_by)
              VALUES (:name, :scopes, :branches, :trust, :reviewers, :wait, :now, :by)""")
          .bind("name", env.name()).bind("scopes", Json.write(env.scopes())).bind("branches", Json.write(env.branches()))
          .bind("trust", env.minTrust().wire()).bind("reviewers", env.reviewers()).bind("wait", env.waitTimer().toMillis())
          .bind("now", clock.millis()).bind("by", actor).execute();
      audit.record(h, actor, AuditAction.ENVIRONMENT_CREATED, null, env.name(), detail(env));
      return env;
    });
  }

  /** Removes it; 404 if there is none. Jobs bound to it get no secrets any more. */
  public void remove(String actor, String name) {
    jdbi.useTransaction(h -> {
      Environment env = find(h, name).orElseThrow(() -> ApiException.notFound("no environment " + name));
      h.createUpdate("DELETE FROM environments WHERE name = :name").bind("name", name).execute();
      audit.record(h, actor, AuditAction.ENVIRONMENT_REMOVED, null, name, detail(env));
    });
  }

  public List<Environment> list() {
    return jdbi.withHandle(h -> h.createQuery("SELECT * FROM environments ORDER BY name").map((rs, c) -> row(rs)).list());
  }

  public Optional<Environment> find(String name) {
    return jdbi.withHandle(h -> find(h, name));
  }

  public Optional<Environment> find(Handle h, String name) {
    return h.createQuery("SELECT * FROM environments WHERE name = :name").bind("name", name).map((rs, c) -> row(rs)).findOne();
  }

  private static Environment row(ResultSet rs) throws SQLException {
    return new Environment(rs.getString("name"), Json.MAPPER.readValue(rs.getString("scopes"), STRINGS),
        Json.MAPPER.readValue(rs.getString("branches"), STRINGS), TrustTier.ofWire(rs.getString("min_trust")),
        rs.getInt("reviewers"), Duration.ofMillis(rs.getLong("wait_ms")));
  }

  static Map<String, Object> detail(Environment env) {
    var d = new LinkedHashMap<String, Object>();
    d.put("scopes", env.scopes());
    d.put("branches", env.branches());
    d.put("minTrust", env.minTrust().wire());
    d.put("reviewers", env.reviewers());
    d.put("waitMs", env.waitTimer().toMillis());
    return d;
  }
}
