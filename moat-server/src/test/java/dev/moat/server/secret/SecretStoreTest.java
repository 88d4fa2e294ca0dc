package dev.moat.server.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.common.Json;
import dev.moat.common.secret.Keyring;
import dev.moat.common.secret.MasterKey;
import dev.moat.common.secret.Secret;
import dev.moat.common.secret.SecretIntegrityException;
import dev.moat.server.http.ApiException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store at rest (must-show 5) on a real SQLite file: no plaintext in the database's bytes,
 * swapped ciphertexts refuse to open, rotation with reads throughout and a crash in the middle, the
 * refusal of a ring that lacks a key still in use, and 503 without any key.
 */
class SecretStoreTest {
  private static final String ACTOR = "user:admin";
  @TempDir Path dir;
  private SecretWorld w;

  @AfterEach
  void close() {
    if (w != null) w.close();
  }

  private static byte[] concat(Path dir) throws Exception {
    var out = new java.io.ByteArrayOutputStream();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) out.write(Files.readAllBytes(f));
    }
    return out.toByteArray();
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return true;
    }
    return false;
  }

  @Test
  void theDatabaseFilesHoldNoPlaintextAndListingShowsNoValue() throws Exception {
    w = new SecretWorld(dir.resolve("data"), List.of(SecretWorld.V1));
    List<String> values = List.of("hunter2-the-deploy-password", "line one of a key\nline two of a key", "AKIAEXAMPLEKEY1234");
    for (int i = 0; i < values.size(); i++) w.secrets.set(ACTOR, "env:production", "S" + i, Secret.of(values.get(i)));
    w.secrets.set(ACTOR, "global", "S0", Secret.of(values.get(0)));

    byte[] bytes = concat(dir.resolve("data"));
    assertThat(contains(bytes, "S1".getBytes(StandardCharsets.UTF_8))).as("the scan sees the stored names, so it reads the rows").isTrue();
    for (String v : values) {
      for (String part : v.split("\n")) {
        assertThat(contains(bytes, part.getBytes(StandardCharsets.UTF_8))).as("plaintext '%s' in the database files", part).isFalse();
      }
    }
    String listed = Json.write(w.secrets.list(Optional.empty()));
    assertThat(listed).contains("\"name\":\"S0\"", "\"scope\":\"global\"", "\"keyVersion\":1");
    values.forEach(v -> assertThat(listed).doesNotContain(v));
    assertThat(w.secrets.open("env:production", "S1").revealText()).isEqualTo(values.get(1));
    assertThat(w.actions()).containsOnly("secret_set");
    assertThat(Json.write(w.audit.list(Optional.empty(), 100))).doesNotContain(values.get(0));
  }

  @Test
  void twoCiphertextsSwappedBetweenNamesFailToOpenWithAClearError() throws Exception {
    w = new SecretWorld(dir, List.of(SecretWorld.V1));
    w.secrets.set(ACTOR, "env:production", "DEPLOY_KEY", Secret.of("the-deploy-key-value"));
    w.secrets.set(ACTOR, "env:production", "DB_PASSWORD", Secret.of("the-db-password"));
    w.db.jdbi().useTransaction(h -> {
      var rows = h.createQuery("SELECT name, iv, ciphertext FROM secrets ORDER BY name")
          .map((rs, c) -> new Object[] {rs.getString(1), rs.getBytes(2), rs.getBytes(3)}).list();
      for (int i = 0; i < 2; i++) {
        Object[] other = rows.get(1 - i);
        h.createUpdate("UPDATE secrets SET iv = :iv, ciphertext = :ct WHERE name = :name")
            .bind("iv", (byte[]) other[1]).bind("ct", (byte[]) other[2]).bind("name", (String) rows.get(i)[0]).execute();
      }
    });

    assertThatThrownBy(() -> w.secrets.open("env:production", "DEPLOY_KEY"))
        .isInstanceOf(SecretIntegrityException.class)
        .hasMessage("secret env:production/DEPLOY_KEY does not open: altered, moved or sealed with another key");
    assertThatThrownBy(() -> w.secrets.open("env:production", "DB_PASSWORD")).isInstanceOf(SecretIntegrityException.class);
  }

  @Test
  void aValueMovedToAnotherScopeFailsToOpen() throws Exception {
    w = new SecretWorld(dir, List.of(SecretWorld.V1));
    w.secrets.set(ACTOR, "env:staging", "TOKEN", Secret.of("staging-token-value"));
    w.db.jdbi().useHandle(h -> h.execute("UPDATE secrets SET scope = 'env:production'"));

    assertThatThrownBy(() -> w.secrets.open("env:production", "TOKEN"))
        .isInstanceOf(SecretIntegrityException.class).hasMessageContaining("does not open");
  }

  @Test
  void valuesUnderFourCharactersBadNamesAndBadScopesAreRefusedWithTheReason() throws Exception {
    w = new SecretWorld(dir, List.of(SecretWorld.V1));
    assertThatThrownBy(() -> w.secrets.set(ACTOR, "global", "PIN", Secret.of("123")))
        .isInstanceOf(ApiException.Invalid.class)
        .hasMessage("a secret value must have at least 4 characters: a shorter one could not be masked in logs without hiding ordinary text");
    assertThatThrownBy(() -> w.secrets.set(ACTOR, "global", "has-dash", Secret.of("long enough")))
        .isInstanceOf(ApiException.Invalid.class).hasMessageStartingWith("bad secret name 'has-dash'");
    assertThatThrownBy(() -> w.secrets.set(ACTOR, "team:x", "NAME", Secret.of("long enough")))
        .isInstanceOf(ApiException.Invalid.class).hasMessage("bad scope 'team:x': use global, repo:NAME or env:NAME");
    assertThat(w.secrets.list(Optional.empty())).isEmpty();
  }

  @Test
  void withoutAMasterKeySecretOperationsAnswer503AndTheRestWorks() throws Exception {
    w = new SecretWorld(dir, List.of());
    assertThat(w.secrets.configured()).isFalse();
    assertThatThrownBy(() -> w.secrets.set(ACTOR, "global", "NAME", Secret.of("a value")))
        .isInstanceOf(ApiException.Unavailable.class).hasMessageStartingWith("no master key configured");
    assertThatThrownBy(() -> w.secrets.list(Optional.empty())).isInstanceOf(ApiException.Unavailable.class);
    w.secrets.checkKeys();
    long run = w.push("app", "main", SecretWorld.TRUSTED, "on: [push]\njobs: {build: {runs-on: [linux], steps: [{run: 'true'}]}}\n");
    assertThat(w.secrets.valuesForJob(w.jobId(run, "build"))).isEmpty();
  }

  @Test
  void setReplacesAValueAndCountsItsVersion() throws Exception {
    w = new SecretWorld(dir, List.of(SecretWorld.V1));
    w.secrets.set(ACTOR, "global", "TOKEN", Secret.of("first value"));
    var info = w.secrets.set("user:mia", "global", "TOKEN", Secret.of("second value"));
    assertThat(info.version()).isEqualTo(2);
    assertThat(info.createdBy()).isEqualTo(ACTOR);
    assertThat(info.updatedBy()).isEqualTo("user:mia");
    assertThat(w.secrets.open("global", "TOKEN").revealText()).isEqualTo("second value");
    w.secrets.remove(ACTOR, "global", "TOKEN");
    assertThatThrownBy(() -> w.secrets.remove(ACTOR, "global", "TOKEN"))
        .isInstanceOf(ApiException.NotFound.class).hasMessage("no secret TOKEN in global");
    assertThat(w.actions()).containsExactly("secret_set", "secret_set", "secret_removed");
  }

  @Test
  void rotationReadsWithEitherKeySurvivesACrashMidwayAndThenTheOldKeyCanBeDropped() throws Exception {
    w = new SecretWorld(dir, List.of(SecretWorld.V1));
    int n = SecretStore.BATCH * 2 + 17;
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      names.add("S" + i);
      w.secrets.set(ACTOR, "global", "S" + i, Secret.of("value-number-" + i));
    }
    // The server restarts with both keys and re-seals one batch, then "crashes".
    SecretStore both = w.restart(List.of(SecretWorld.V2, SecretWorld.V1));
    assertThat(both.resealBatch(new Keyring(SecretWorld.V2, List.of(SecretWorld.V1)), SecretStore.BATCH)).isEqualTo(SecretStore.BATCH);
    assertThat(both.keyStatus().sealed()).containsEntry(1, n - SecretStore.BATCH).containsEntry(2, SecretStore.BATCH);
    for (int i = 0; i < n; i++) assertThat(both.open("global", "S" + i).revealText()).isEqualTo("value-number-" + i);

    // Dropping the old key now is refused: it still seals values.
    SecretStore newOnly = w.restart(List.of(SecretWorld.V2));
    assertThatThrownBy(newOnly::checkKeys).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("sealed with master key version(s) [1]").hasMessageContaining("given only [2]");

    // Restarted with both keys again, the rotation is finished.
    var done = w.restart(List.of(SecretWorld.V1, SecretWorld.V2)).resume("moat");
    assertThat(done.resealed()).isEqualTo(n - SecretStore.BATCH);
    assertThat(done.remaining()).isZero();

    // Now only the new key: the check passes and every value reads.
    SecretStore after = w.restart(List.of(SecretWorld.V2));
    after.checkKeys();
    assertThat(after.keyStatus().sealed()).containsExactly(java.util.Map.entry(2, n));
    for (int i = 0; i < n; i++) assertThat(after.open("global", "S" + i).revealText()).isEqualTo("value-number-" + i);
  }

  @Test
  void rotateAddsTheNewKeyAndReSealsEverythingWhileTheOldStillReads() throws Exception {
    w = new SecretWorld(dir, List.of(SecretWorld.V1));
    w.secrets.set(ACTOR, "global", "A", Secret.of("alpha-value"));
    w.secrets.set(ACTOR, "env:production", "B", Secret.of("bravo-value"));
    assertThatThrownBy(() -> w.secrets.rotate(ACTOR, MasterKey.generate(1)))
        .isInstanceOf(ApiException.Conflict.class).hasMessage("the new key must have a version above the current one (v1); it is v1");

    var r = w.secrets.rotate(ACTOR, SecretWorld.V2);
    assertThat(r).isEqualTo(new SecretStore.Rotation(2, 2, 0));
    assertThat(w.secrets.list(Optional.empty())).extracting(SecretStore.SecretInfo::keyVersion).containsOnly(2);
    String progress = w.db.jdbi().withHandle(h -> h.createQuery("SELECT resealed || '/' || (finished_at IS NOT NULL) FROM key_rotations")
        .mapTo(String.class).one());
    assertThat(progress).isEqualTo("2/1");
    assertThat(w.actions()).endsWith("key_rotated", "key_rotated");
    w.restart(List.of(SecretWorld.V2)).checkKeys();
    assertThat(w.secrets.open("env:production", "B").revealText()).isEqualTo("bravo-value");
  }
}
