package dev.moat.server.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/**
 * The embedded SQLite database: one 0600 file in the data directory, migrated with Flyway on open.
 * One pooled connection serialises writers (SQLite allows one at a time anyway); WAL lets readers
 * proceed, and {@code busy_timeout} absorbs short contention. Thread-safe.
 */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final Jdbi jdbi;
  /** The newest migration this build ships, applied on open; the schema {@link #ready()} expects. */
  private final String schemaVersion;

  private Database(HikariDataSource dataSource, String schemaVersion) {
    this.dataSource = dataSource;
    this.jdbi = Jdbi.create(dataSource);
    this.schemaVersion = schemaVersion;
  }

  /** Opens (creating if needed) {@code file} and applies pending migrations. */
  public static Database openSqlite(Path file) throws java.io.IOException {
    if (!Files.exists(file)) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    var config = new HikariConfig();
    config.setJdbcUrl("jdbc:sqlite:" + file.toAbsolutePath());
    config.setMaximumPoolSize(1);
    config.setPoolName("moat-sqlite");
    config.setConnectionInitSql("PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL");
    config.addDataSourceProperty("journal_mode", "WAL");
    var dataSource = new HikariDataSource(config);
    try {
      Flyway flyway = Flyway.configure()
          .dataSource(dataSource)
          .locations("classpath:db/migration/sqlite")
          .load();
      flyway.migrate();
      return new Database(dataSource, flyway.info().current().getVersion().getVersion());
    } catch (RuntimeException e) {
      dataSource.close();
      throw e;
    }
  }

  public Jdbi jdbi() {
    return jdbi;
  }

  /** True when the database answers and its schema is the one this build migrates to. */
  public boolean ready() {
    return migrations().equals("ok");
  }

  /**
   * The schema's state for {@code /readyz}: {@code ok} (current), {@code failed} (a migration failed),
   * {@code at V<n>, this build needs V<m>}, or {@code database down} when it does not answer.
   */
  public String migrations() {
    try {
      return jdbi.withHandle(h -> {
        if (h.createQuery("SELECT COUNT(*) FROM flyway_schema_history WHERE success = 0").mapTo(Integer.class).one() > 0) {
          return "failed";
        }
        String at = h.createQuery("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1")
            .mapTo(String.class).findOne().orElse("none");
        return at.equals(schemaVersion) ? "ok" : "at V" + at + ", this build needs V" + schemaVersion;
      });
    } catch (RuntimeException e) {
      return "database down";
    }
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
