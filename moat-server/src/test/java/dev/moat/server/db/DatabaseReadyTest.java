package dev.moat.server.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /readyz}'s database check: the database answers and holds exactly this build's schema. */
class DatabaseReadyTest {
  @TempDir Path dir;

  @Test
  void aFreshlyMigratedDatabaseIsReady() throws Exception {
    try (Database db = Database.openSqlite(dir.resolve("moat.db"))) {
      assertThat(db.ready()).isTrue();
    }
  }

  @Test
  void aSchemaANewerServerMigratedIsNotReady() throws Exception {
    try (Database db = Database.openSqlite(dir.resolve("moat.db"))) {
      db.jdbi().useHandle(h -> h.execute("""
          INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
          VALUES ((SELECT MAX(installed_rank) + 1 FROM flyway_schema_history), '999', 'from a newer server', 'SQL', 'V999__newer.sql', 0, 'test', 0, 1)
          """));
      assertThat(db.ready()).isFalse();
      assertThat(db.migrations()).matches("at V999, this build needs V[0-9]+");
    }
  }

  @Test
  void aFailedMigrationIsNotReady() throws Exception {
    try (Database db = Database.openSqlite(dir.resolve("moat.db"))) {
      db.jdbi().useHandle(h -> h.execute("UPDATE flyway_schema_history SET success = 0 WHERE installed_rank = 1"));
      assertThat(db.ready()).isFalse();
      assertThat(db.migrations()).isEqualTo("failed");
    }
  }

  @Test
  void aClosedDatabaseIsNotReady() throws Exception {
    Database db = Database.openSqlite(dir.resolve("moat.db"));
    db.close();
    assertThat(db.ready()).isFalse();
    assertThat(db.migrations()).isEqualTo("database down");
  }
}
