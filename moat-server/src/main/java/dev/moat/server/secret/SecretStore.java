package dev.moat.server.secret;

import dev.moat.common.log.LogFields;
import dev.moat.common.mask.SecretForms;
import dev.moat.common.secret.Keyring;
import dev.moat.common.secret.MasterKey;
import dev.moat.common.secret.SealedValue;
import dev.moat.common.secret.Secret;
import dev.moat.engine.JobState;
import dev.moat.engine.trust.TrustTier;
import dev.moat.server.audit.Audit;
import dev.moat.server.audit.AuditAction;
import dev.moat.server.environment.Environment;
import dev.moat.server.environment.Environments;
import dev.moat.server.http.ApiException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encrypted secret store (invariant I7). Values are sealed with {@link Keyring} (AES-256-GCM,
 * fresh IV, AAD = scope, name and key version) and only the sealed form reaches the database.
 * Nobody reads a value over the API: the only ways out are {@link #forJob} (a running job, through
 * its environment binding, audited) and {@link #valuesForJob} (the server's log mask).
 *
 * <p>Which job reads what: a job reads only the scopes its environment grants it
 * ({@link Environment#scopesFor}): its own {@code env:NAME}, the {@code env:} scopes it binds, and
 * {@code repo:<the job's repo>} and {@code global} if it binds them. A job without an environment
 * reads nothing. The environment's branch and trust rules are checked again at every read, so a
 * tightened or removed environment takes effect at once.
 *
 * <p>Keys: the ring holds every master key the server was given; the highest version seals. With
 * none, every secret operation is a 503 and the rest of the server works. {@link #rotate} adds a
 * new current key and re-seals every value in batches of {@link #BATCH}, each batch its own short
 * transaction with a compare-and-set per row, so reads (with either key) go on throughout and a
 * crash leaves a mix that still reads; {@link #resume} finishes it on the next start.
 * {@link #checkKeys} refuses a ring that lacks a key some value is still sealed with.
 *
 * <p>Thread-safe: the ring is swapped atomically; rotations are serialised.
 */
public final class SecretStore {
  private static final Logger LOG = LoggerFactory.getLogger(SecretStore.class);
  /** Values re-sealed per transaction during a rotation. */
  static final int BATCH = 100;
  /** The largest value accepted. */
  public static final int MAX_VALUE_BYTES = 64 * 1024;
  public static final String NO_KEY = "no master key configured: start the server with --master-key FILE or MOAT_MASTER_KEY "
      + "(moat up writes one to <data dir>/master.key)";

  /** A stored secret as listed: never the value. */
  public record SecretInfo(String scope, String name, int version, int keyVersion, long createdAt, String createdBy,
      long updatedAt, String updatedBy) {}

  /** The keys in use: the sealing version, the versions in the ring, and how many values each stored version seals. */
  public record KeyStatus(int current, List<Integer> versions, Map<Integer, Integer> sealed) {}

  /** A rotation's outcome. */
  public record Rotation(int toVersion, int resealed, int remaining) {}

  /** Who is reading: the job and the context that decides what it may read. */
  private record JobContext(long jobId, long runId, String jobName, JobState state, String environment, String repo,
      String ref, TrustTier tier) {}

  private final Jdbi jdbi;
  private final InstantSource clock;
  private final Audit audit;
  private final Environments environments;
  private volatile List<MasterKey> keys;
  private volatile Keyring ring;

  /** @param keys the master keys (any order; the highest version seals); empty: no secrets (503) */
  public SecretStore(Jdbi jdbi, InstantSource clock, Audit audit, Environments environments, List<MasterKey> keys) {
    this.jdbi = jdbi;
    this.clock = clock;
    this.audit = audit;
    this.environments = environments;
    useKeys(keys);
  }

  private void useKeys(List<MasterKey> given) {
    List<MasterKey> sorted = given.stream().sorted(Comparator.comparingInt(MasterKey::version).reversed()).toList();
    this.ring = sorted.isEmpty() ? null : new Keyring(sorted.getFirst(), sorted.subList(1, sorted.size()));
    this.keys = sorted;
  }

  public boolean configured() {
    return ring != null;
  }

  private Keyring ring() {
    Keyring r = ring;
    if (r == null) throw ApiException.unavailable(NO_KEY);
    return r;
  }

  /**
   * Refuses to run with a ring that can't open every stored value: names the missing key versions
   * and how to finish a rotation. Without any key, nothing is checked (secret routes are 503).
   */
  public void checkKeys() {
    if (ring == null) return;
    var have = keys.stream().map(MasterKey::version).toList();
    var missing = new TreeMap<Integer, Integer>(sealedByVersion());
    missing.keySet().removeAll(have);
    if (!missing.isEmpty()) {
      throw new IllegalStateException("secrets are sealed with master key version(s) " + missing.keySet() + " (" + missing
          + " values by version) but the server was given only " + have + ": give the old key too (--master-key OLD "
          + "--master-key NEW) until a rotation has re-sealed every value with the new one, then drop the old key");
    }
  }

  public KeyStatus keyStatus() {
    Keyring r = ring();
    return new KeyStatus(r.currentVersion(), keys.stream().map(MasterKey::version).toList(), sealedByVersion());
  }

  private Map<Integer, Integer> sealedByVersion() {
    return jdbi.withHandle(h -> {
      var out = new TreeMap<Integer, Integer>();
      h.createQuery("SELECT key_version, count(*) AS n FROM secrets GROUP BY key_version")
          .map((rs, c) -> out.put(rs.getInt(1), rs.getInt(2))).list();
      return out;
    });
  }

  /** Creates or replaces a value; audited (scope, name, version; never the value). */
  public SecretInfo set(String actor, String scope, String name, Secret value) {
    Keyring r = ring();
    check(scope, name);
    if (value.length() > MAX_VALUE_BYTES) throw ApiException.tooLarge("a secret value may have at most " + MAX_VALUE_BYTES + " bytes");
    if (value.revealText().length() < SecretForms.MIN_VALUE) {
      throw ApiException.invalid("a secret value must have at least " + SecretForms.MIN_VALUE
          + " characters: a shorter one could not be masked in logs without hiding ordinary text");
    }
    SealedValue sealed = r.seal(scope, name, value);
    long now = clock.millis();
    return jdbi.inTransaction(h -> {
      int updated = h.createUpdate("""
              UPDATE secrets SET key_version = :kv, iv = :iv, ciphertext = :ct, version = version + 1, updated_at = :now,
                updated_by = :by WHERE scope = :scope AND name = :name""")
          .bind("kv", sealed.keyVersion()).bind("iv", sealed.iv()).bind("ct", sealed.ciphertext()).bind("now", now)
          .bind("by", actor).bind("scope", scope).bind("name", name).execute();
      if (updated == 0) {
        h.createUpdate("""
                INSERT INTO secrets (scope, name, key_version, iv, ciphertext, version, created_at, created_by, updated_at, updated_by)
                VALUES (:scope, :name, :kv, :iv, :ct, 1, :now, :by, :now, :by)""")
            .bind("kv", sealed.keyVersion()).bind("iv", sealed.iv()).bind("ct", sealed.ciphertext()).bind("now", now)
            .bind("by", actor).bind("scope", scope).bind("name", name).execute();
      }
      SecretInfo info = info(h, scope, name).orElseThrow();
      audit.record(h, actor, AuditAction.SECRET_SET, null, scope + "/" + name,
          Map.of("scope", scope, "name", name, "version", info.version(), "keyVersion", info.keyVersion()));
      return info;
    });
  }

  /** Names, scopes, versions and times, never values: of one scope, or of all. */
  public List<SecretInfo> list(Optional<String> scope) {
    ring();
    scope.ifPresent(SecretStore::checkScope);
    return jdbi.withHandle(h -> (scope.isPresent()
            ? h.createQuery(INFO + " WHERE scope = :scope ORDER BY scope, name").bind("scope", scope.get())
            : h.createQuery(INFO + " ORDER BY scope, name"))
        .map((rs, c) -> info(rs)).list());
  }

  private static final String INFO =
      "SELECT scope, name, version, key_version, created_at, created_by, updated_at, updated_by FROM secrets";

  private static Optional<SecretInfo> info(Handle h, String scope, String name) {
    return h.createQuery(INFO + " WHERE scope = :scope AND name = :name").bind("scope", scope).bind("name", name)
        .map((rs, c) -> info(rs)).findOne();
  }

  private static SecretInfo info(java.sql.ResultSet rs) throws java.sql.SQLException {
    return new SecretInfo(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4), rs.getLong(5), rs.getString(6),
        rs.getLong(7), rs.getString(8));
  }

  /** Removes a value; 404 if there is none; audited. */
  public void remove(String actor, String scope, String name) {
    ring();
    check(scope, name);
    jdbi.useTransaction(h -> {
      if (h.createUpdate("DELETE FROM secrets WHERE scope = :scope AND name = :name").bind("scope", scope).bind("name", name)
          .execute() == 0) {
        throw ApiException.notFound("no secret " + name + " in " + scope);
      }
      audit.record(h, actor, AuditAction.SECRET_REMOVED, null, scope + "/" + name, Map.of("scope", scope, "name", name));
    });
  }

  /** {@link #forJob(long, String, String)} without a step. */
  public Secret forJob(long jobId, String name) {
    return forJob(jobId, name, null);
  }

  /**
   * The value of {@code name} for a job that is dispatched or running, from the first scope its
   * environment grants that holds the name. Audited as {@code secret_read} (job, step, scope,
   * name; never the value). Refused with a 403 and an audited {@code secret_denied} when the job
   * has no environment, its environment is gone or no longer admits it, it is not running, or no
   * granted scope holds the name. 503 without a master key; 404 if there is no such job.
   *
   * @param step the step asking, when known (null otherwise)
   */
  public Secret forJob(long jobId, String name, String step) {
    Keyring r = ring();
    JobContext job = job(jobId);
    String why = null;
    Environment env = null;
    if (job.state() != JobState.DISPATCHED && job.state() != JobState.RUNNING) {
      why = "job " + jobId + " is " + job.state().wire() + ", not running";
    } else if (job.environment() == null) {
      why = "job " + jobId + " (" + job.jobName() + ") has no environment: binding; only a job bound to an environment "
          + "gets secrets, from the scopes that environment grants";
    } else if ((env = environments.find(job.environment()).orElse(null)) == null) {
      why = "job " + jobId + "'s environment " + job.environment() + " does not exist";
    } else {
      why = env.refusal(job.ref(), job.tier());
    }
    if (why == null && !Scopes.validName(name)) why = "that is not a secret name (letters, digits and '_', at most 128)";
    if (why != null) throw deny(job, name, step, why);
    List<String> scopes = env.scopesFor(job.repo());
    for (String scope : scopes) {
      Optional<SealedValue> sealed = jdbi.withHandle(h -> sealed(h, scope, name));
      if (sealed.isEmpty()) continue;
      Secret value = r.open(scope, name, sealed.get());
      var detail = new LinkedHashMap<String, Object>();
      detail.put("job", jobId);
      if (step != null) detail.put("step", step);
      detail.put("scope", scope);
      detail.put("name", name);
      detail.put("environment", env.name());
      audit.record(actor(jobId), AuditAction.SECRET_READ, job.runId(), name, detail);
      LOG.atInfo().addKeyValue(LogFields.JOB_ID, jobId).addKeyValue(LogFields.RUN_ID, job.runId())
          .addKeyValue(LogFields.SECRETS, List.of(name)).addKeyValue("scope", scope).addKeyValue("environment", env.name())
          .log("secret read");
      return value;
    }
    throw deny(job, name, step, "no secret " + name + " in the scopes environment " + env.name() + " grants to this job ("
        + String.join(", ", scopes) + ")");
  }

  /**
   * Every value the job could read, for masking its log on the server. Empty for a job without
   * an environment, or without a master key (then no job can have read any). Not audited: nothing
   * leaves the server.
   */
  public List<Secret> valuesForJob(long jobId) {
    Keyring r = ring;
    if (r == null) return List.of();
    JobContext job = job(jobId);
    if (job.environment() == null) return List.of();
    Optional<Environment> env = environments.find(job.environment());
    if (env.isEmpty()) return List.of();
    List<Secret> out = new ArrayList<>();
    jdbi.useHandle(h -> {
      for (String scope : env.get().scopesFor(job.repo())) {
        h.createQuery("SELECT name, key_version, iv, ciphertext FROM secrets WHERE scope = :scope").bind("scope", scope)
            .map((rs, c) -> out.add(r.open(scope, rs.getString(1), new SealedValue(rs.getInt(2), rs.getBytes(3), rs.getBytes(4)))))
            .list();
      }
    });
    return List.copyOf(out);
  }

  private ApiException deny(JobContext job, String rawName, String step, String why) {
    // The name comes from the job: cut it so a job can't stuff the audit log.
    String name = rawName == null ? "null" : rawName.length() > 128 ? rawName.substring(0, 128) + "..." : rawName;
    var detail = new LinkedHashMap<String, Object>();
    detail.put("job", job.jobId());
    if (step != null) detail.put("step", step);
    detail.put("name", name);
    if (job.environment() != null) detail.put("environment", job.environment());
    detail.put("why", why);
    audit.record(actor(job.jobId()), AuditAction.SECRET_DENIED, job.runId(), name, detail);
    LOG.atInfo().addKeyValue(LogFields.JOB_ID, job.jobId()).addKeyValue(LogFields.RUN_ID, job.runId())
        .addKeyValue(LogFields.SECRETS, List.of(name)).addKeyValue("why", why).log("secret denied");
    return ApiException.forbidden("secret " + name + " denied: " + why);
  }

  private static String actor(long jobId) {
    return "job:" + jobId;
  }

  private JobContext job(long jobId) {
    return jdbi.withHandle(h -> h.createQuery("""
            SELECT j.id, j.run_id, j.name, j.state, j.environment, r.repo, r.ref, r.trust_tier
            FROM jobs j JOIN runs r ON r.id = j.run_id WHERE j.id = :id""")
        .bind("id", jobId)
        .map((rs, c) -> new JobContext(rs.getLong(1), rs.getLong(2), rs.getString(3), JobState.ofWire(rs.getString(4)),
            rs.getString(5), rs.getString(6), rs.getString(7),
            rs.getString(8) == null ? TrustTier.UNKNOWN : TrustTier.ofWire(rs.getString(8))))
        .findOne())
        .orElseThrow(() -> ApiException.notFound("no job " + jobId));
  }

  private static Optional<SealedValue> sealed(Handle h, String scope, String name) {
    return h.createQuery("SELECT key_version, iv, ciphertext FROM secrets WHERE scope = :scope AND name = :name")
        .bind("scope", scope).bind("name", name)
        .map((rs, c) -> new SealedValue(rs.getInt(1), rs.getBytes(2), rs.getBytes(3)))
        .findOne();
  }

  /** Opens one stored value (for operators' checks and tests); 404 if absent. Never exposed over the API. */
  Secret open(String scope, String name) {
    Keyring r = ring();
    return r.open(scope, name, jdbi.withHandle(h -> sealed(h, scope, name))
        .orElseThrow(() -> ApiException.notFound("no secret " + name + " in " + scope)));
  }

  /**
   * Makes {@code next} the sealing key (the old ones stay in the ring, so every value keeps
   * reading) and re-seals every value with it, recording progress. {@code next} must be newer than
   * every key in the ring. After it returns, the old keys seal nothing: restart the server with
   * only the new key, and the old key file can be deleted.
   */
  public synchronized Rotation rotate(String actor, MasterKey next) {
    Keyring r = ring();
    if (next.version() <= r.currentVersion()) {
      throw ApiException.conflict("the new key must have a version above the current one (v" + r.currentVersion()
          + "); it is v" + next.version());
    }
    List<MasterKey> all = new ArrayList<>(keys);
    all.add(next);
    useKeys(all);
    jdbi.useTransaction(h -> {
      h.createUpdate("INSERT INTO key_rotations (to_version, started_at, started_by) VALUES (:v, :now, :by)")
          .bind("v", next.version()).bind("now", clock.millis()).bind("by", actor).execute();
      audit.record(h, actor, AuditAction.KEY_ROTATED, null, "v" + next.version(), Map.of("toVersion", next.version(), "state", "started"));
    });
    return resume(actor);
  }

  /**
   * Re-seals, in batches, every value not sealed with the current key, and closes the open
   * rotation when none is left (the server calls this at start, finishing an interrupted one).
   */
  public synchronized Rotation resume(String actor) {
    Keyring r = ring();
    int resealed = 0;
    int n;
    while ((n = resealBatch(r, BATCH)) > 0) resealed += n;
    int total = resealed;
    int remaining = jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM secrets WHERE key_version <> :v")
        .bind("v", r.currentVersion()).mapTo(Integer.class).one());
    if (remaining == 0) {
      jdbi.useTransaction(h -> {
        int closed = h.createUpdate("UPDATE key_rotations SET finished_at = :now WHERE finished_at IS NULL AND to_version = :v")
            .bind("now", clock.millis()).bind("v", r.currentVersion()).execute();
        if (closed > 0) {
          audit.record(h, actor, AuditAction.KEY_ROTATED, null, "v" + r.currentVersion(),
              Map.of("toVersion", r.currentVersion(), "state", "finished", "resealed", total));
        }
      });
    }
    if (total > 0) LOG.atInfo().addKeyValue("to_version", r.currentVersion()).addKeyValue("resealed", total).log("secrets re-sealed");
    return new Rotation(r.currentVersion(), total, remaining);
  }

  /**
   * Re-seals up to {@code limit} values sealed with another key than the current, in one
   * transaction; a row changed meanwhile (a new set) is left as it is. Returns how many moved.
   */
  int resealBatch(Keyring r, int limit) {
    return jdbi.inTransaction(h -> {
      record Row(String scope, String name, int version, SealedValue sealed) {}
      List<Row> rows = h.createQuery("""
              SELECT scope, name, version, key_version, iv, ciphertext FROM secrets WHERE key_version <> :v
              ORDER BY scope, name LIMIT :limit""")
          .bind("v", r.currentVersion()).bind("limit", limit)
          .map((rs, c) -> new Row(rs.getString(1), rs.getString(2), rs.getInt(3),
              new SealedValue(rs.getInt(4), rs.getBytes(5), rs.getBytes(6))))
          .list();
      int moved = 0;
      for (Row row : rows) {
        SealedValue next = r.reseal(row.scope(), row.name(), row.sealed());
        moved += h.createUpdate("""
                UPDATE secrets SET key_version = :kv, iv = :iv, ciphertext = :ct
                WHERE scope = :scope AND name = :name AND version = :version AND key_version = :old""")
            .bind("kv", next.keyVersion()).bind("iv", next.iv()).bind("ct", next.ciphertext()).bind("scope", row.scope())
            .bind("name", row.name()).bind("version", row.version()).bind("old", row.sealed().keyVersion()).execute();
      }
      h.createUpdate("UPDATE key_rotations SET resealed = resealed + :n WHERE finished_at IS NULL AND to_version = :v")
          .bind("n", moved).bind("v", r.currentVersion()).execute();
      return moved;
    });
  }

  private static void check(String scope, String name) {
    checkScope(scope);
    try {
      Scopes.checkName(name);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(e.getMessage());
    }
  }

  private static void checkScope(String scope) {
    try {
      Scopes.check(scope);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(e.getMessage());
    }
  }
}
