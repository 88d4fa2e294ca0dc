package dev.moat.server.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWK;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The issuer's key file and its rotation, on a real data directory and a clock the test moves. */
class SigningKeysTest {
  private static final Duration GRACE = Duration.ofMinutes(30);
  @TempDir Path dir;
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-02T12:00:00Z"));
  private final InstantSource clock = () -> now.get();

  @Test
  void aRetiredKeyIsPublishedForTheGraceAndThenNoMore() throws Exception {
    var keys = SigningKeys.open(dir, clock, GRACE);
    String first = keys.current().getKeyID();
    assertThat(kids(keys)).hasSize(2).contains(first);
    String next = kids(keys).stream().filter(k -> !k.equals(first)).findFirst().orElseThrow();

    assertThat(keys.rotate()).isEqualTo(next);
    assertThat(keys.current().getKeyID()).isEqualTo(next);
    assertThat(kids(keys)).as("retired, current, new next").hasSize(3).contains(first, next);

    now.set(now.get().plus(GRACE).minusSeconds(1));
    assertThat(kids(keys)).contains(first);
    now.set(now.get().plusSeconds(1));
    assertThat(kids(keys)).as("past the grace").hasSize(2).doesNotContain(first).contains(next);

    keys.rotate();
    assertThat(Files.readString(dir.resolve(SigningKeys.FILE))).as("dropped from the file at the next rotation")
        .doesNotContain(first);
    assertThat(SigningKeys.open(dir, clock, GRACE).current().getKeyID()).as("reloaded").isEqualTo(keys.current().getKeyID());
  }

  @Test
  void theKeyFileIsPrivateAndOnlyPublicHalvesArePublished() throws Exception {
    var keys = SigningKeys.open(dir, clock, GRACE);
    Path file = dir.resolve(SigningKeys.FILE);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(keys.current().isPrivate()).isTrue();
    assertThat(keys.publicJwks().getKeys()).noneMatch(JWK::isPrivate);
    assertThat(keys.publicJwks().toString()).doesNotContain("\"d\"");
  }

  @Test
  void aKeyFileOthersCanReadIsRefused() throws Exception {
    SigningKeys.open(dir, clock, GRACE);
    Path file = dir.resolve(SigningKeys.FILE);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> SigningKeys.open(dir, clock, GRACE))
        .isInstanceOf(IOException.class)
        .hasMessage(file + " holds the OIDC signing keys and must be mode 0600, not rw-r--r--");
  }

  @Test
  void aGraceShorterThanAnIdTokenLivesIsRefused() {
    assertThatThrownBy(() -> SigningKeys.open(dir, clock, Duration.ofMinutes(5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("the grace must outlast every ID token");
  }

  private static java.util.List<String> kids(SigningKeys keys) {
    return keys.publicJwks().getKeys().stream().map(JWK::getKeyID).toList();
  }
}
