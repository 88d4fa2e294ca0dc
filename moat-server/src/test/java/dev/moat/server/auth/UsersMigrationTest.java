package dev.moat.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.moat.common.Tokens;
import dev.moat.server.db.Database;
import java.nio.file.Path;
import java.time.InstantSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database from before users existed (migrations V1 and V2, one admin token) keeps working after
 * V3: its admin token belongs to the new {@code admin} user, and no second admin is bootstrapped.
 */
class UsersMigrationTest {
  @TempDir Path dir;

  @Test
  void anAdminTokenFromBeforeUsersBecomesTheAdminUsersToken() throws Exception {
    Path file = dir.resolve("moat.db");
    String old = Tokens.random("moat_admin");
    try (var ds = new HikariDataSource()) {
      ds.setJdbcUrl("jdbc:sqlite:" + file);
      Flyway.configure().dataSource(ds).locations("classpath:db/migration/sqlite").target("2").load().migrate();
      Jdbi.create(ds).useHandle(h -> h.createUpdate(
              "INSERT INTO api_tokens (hash, name, role, created_at) VALUES (:hash, 'admin', 'admin', 1)")
          .bind("hash", Tokens.hash(old)).execute());
    }

    try (var db = Database.openSqlite(file)) {
      var tokens = new ApiTokens(db.jdbi(), InstantSource.system());
      assertThat(tokens.bootstrapAdmin()).as("the old admin is the first admin user").isEmpty();
      assertThat(tokens.caller(old)).hasValueSatisfying(c -> {
        assertThat(c.name()).isEqualTo("admin");
        assertThat(c.role()).isEqualTo(Role.ADMIN);
      });
      assertThat(tokens.caller("moat_admin_forged")).isEmpty();
    }
  }
}
