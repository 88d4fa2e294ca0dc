package dev.moat.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.server.db.Database;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log on real SQLite: what is stored and read back, and that nothing in Moat rewrites it. */
class AuditTest {
  @TempDir Path dir;

  @Test
  void eventsComeBackOldestFirstPerRunOrAsTheLatestOfAll() throws IOException {
    try (var db = Database.openSqlite(dir.resolve("moat.db"))) {
      var audit = new Audit(db.jdbi(), InstantSource.fixed(Instant.ofEpochMilli(1234)));
      audit.record("moat", AuditAction.RUN_HELD, 7L, null, Map.of("reason", "fork_pull_request"));
      audit.record("user:ann", AuditAction.USER_ADDED, null, "bob", Map.of("role", "viewer"));
      audit.record("github:9", AuditAction.APPROVAL_REFUSED, 7L, null, Map.of("status", 403));

      List<Audit.Event> run = audit.list(Optional.of(7L), 100);
      assertThat(run).extracting(Audit.Event::action).containsExactly("run_held", "approval_refused");
      assertThat(run.getFirst().at()).isEqualTo(1234);
      assertThat(run.getFirst().detail()).isEqualTo(Map.of("reason", "fork_pull_request"));
      assertThat(run.get(1).detail()).isEqualTo(Map.of("status", 403));
      List<Audit.Event> latest = audit.list(Optional.empty(), 2);
      assertThat(latest).extracting(Audit.Event::actor).containsExactly("user:ann", "github:9");
      assertThat(latest.getFirst().subject()).isEqualTo("bob");
      assertThat(latest.getFirst().runId()).isNull();
    }
  }

  /** The table is append-only by construction: no SQL in the server's code updates or deletes it. */
  @Test
  void noCodeUpdatesOrDeletesAuditEvents() throws IOException {
    Path main = Path.of("src/main");
    assertThat(main.resolve("java/dev/moat/server/audit/Audit.java")).as("run from the module directory").exists();
    var writes = Pattern.compile("(?is)(UPDATE|DELETE\\s+FROM|REPLACE\\s+INTO|DROP\\s+TABLE)\\s+audit_events");
    try (Stream<Path> files = Files.walk(main)) {
      List<String> offenders = files.filter(Files::isRegularFile)
          .filter(f -> f.toString().endsWith(".java") || f.toString().endsWith(".sql"))
          .filter(f -> {
            try {
              return writes.matcher(Files.readString(f)).find();
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          })
          .map(Path::toString).toList();
      assertThat(offenders).isEmpty();
    }
  }
}
