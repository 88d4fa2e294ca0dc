package dev.moat.server.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.moat.common.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The OIDC issuer's ES256 signing keys, kept in one 0600 file in the data directory (the issuer's
 * own file: the secret store's master key is not involved). There is always a <b>current</b> key,
 * which signs, and a <b>next</b> key, published ahead so that relying parties have it cached before
 * it signs. {@link #rotate()} makes next current, makes a new next, and retires the old current:
 * a retired key stays published for {@code grace} (at least the longest ID token life), so tokens
 * it signed keep verifying until they expire. A file that isn't 0600 is refused, as is a file
 * without exactly one current and one next key. Thread-safe: a lock orders rotations and file
 * writes; readers see an immutable snapshot.
 */
public final class SigningKeys {
  /** Where in the data directory the keys live. */
  public static final String FILE = "oidc-keys.json";
  /** How long a retired key stays published: well past the longest ID token life. */
  public static final Duration GRACE = Duration.ofHours(1);
  private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");

  /** One key as stored: its private JWK (JSON), its role, and when it was retired (epoch millis). */
  record Stored(String jwk, String role, Long retiredAt) {}

  /** A public key and when it was retired (null: current or next). */
  private record Published(ECKey key, Long retiredAt) {}

  /** The keys at one moment: the signing key, the public keys, and the file's content. */
  private record Snapshot(ECKey current, List<Published> published, List<Stored> stored) {}

  private final Path file;
  private final InstantSource clock;
  private final Duration grace;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile Snapshot snapshot;

  private SigningKeys(Path file, InstantSource clock, Duration grace, Snapshot snapshot) {
    this.file = file;
    this.clock = clock;
    this.grace = grace;
    this.snapshot = snapshot;
  }

  /** Loads the keys from {@code dataDir}, creating a current and a next key on first start. */
  public static SigningKeys open(Path dataDir, InstantSource clock, Duration grace) throws IOException {
    if (grace.compareTo(IdTokens.MAX_TTL) < 0) throw new IllegalArgumentException("the grace must outlast every ID token");
    Path file = dataDir.resolve(FILE);
    if (!Files.exists(file)) {
      var stored = List.of(new Stored(generate().toJSONString(), "current", null), new Stored(generate().toJSONString(), "next", null));
      write(file, stored);
    }
    if (!Files.getPosixFilePermissions(file).equals(OWNER_RW)) {
      throw new IOException(file + " holds the OIDC signing keys and must be mode 0600, not "
          + PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }
    List<Stored> stored = List.of(Json.read(Files.readString(file), Stored[].class));
    return new SigningKeys(file, clock, grace, snapshot(file, stored));
  }

  /** The key that signs ID tokens now. */
  public ECKey current() {
    return snapshot.current();
  }

  /** The public keys relying parties may meet: current, next, and those retired within the grace. */
  public JWKSet publicJwks() {
    long now = clock.millis();
    return new JWKSet(snapshot.published().stream()
        .filter(p -> p.retiredAt() == null || p.retiredAt() + grace.toMillis() > now)
        .<JWK>map(Published::key).toList());
  }

  /**
   * Next becomes current, a new next is made, the old current is retired (still published for the
   * grace), and keys retired longer ago than the grace are dropped. Returns the new current key id.
   */
  public String rotate() {
    lock.lock();
    try {
      long now = clock.millis();
      List<Stored> out = new ArrayList<>();
      for (Stored s : snapshot.stored()) {
        switch (s.role()) {
          case "current" -> out.add(new Stored(s.jwk(), "retired", now));
          case "next" -> out.add(new Stored(s.jwk(), "current", null));
          default -> {
            if (s.retiredAt() + grace.toMillis() > now) out.add(s);
          }
        }
      }
      out.add(new Stored(generate().toJSONString(), "next", null));
      write(file, out);
      snapshot = snapshot(file, out);
      return snapshot.current().getKeyID();
    } catch (IOException e) {
      throw new UncheckedIOException("could not write " + file, e);
    } finally {
      lock.unlock();
    }
  }

  private static Snapshot snapshot(Path file, List<Stored> stored) throws IOException {
    ECKey current = null;
    int nexts = 0;
    List<Published> published = new ArrayList<>();
    for (Stored s : stored) {
      ECKey key;
      try {
        key = ECKey.parse(s.jwk());
      } catch (ParseException e) {
        throw new IOException(file + " holds a key that is not an EC JWK: " + e.getMessage(), e);
      }
      switch (s.role()) {
        case "current" -> {
          if (current != null) throw new IOException(file + " has more than one current key");
          current = key;
        }
        case "next" -> nexts++;
        case "retired" -> {
          if (s.retiredAt() == null) throw new IOException(file + " has a retired key without retiredAt");
        }
        default -> throw new IOException(file + " has a key with unknown role '" + s.role() + "'");
      }
      published.add(new Published(key.toPublicJWK(), s.retiredAt()));
    }
    if (current == null || nexts != 1) throw new IOException(file + " must hold one current and one next key");
    return new Snapshot(current, List.copyOf(published), List.copyOf(stored));
  }

  private static ECKey generate() {
    try {
      return new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
          .keyID(UUID.randomUUID().toString()).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("P-256 key generation is always available", e);
    }
  }

  private static void write(Path file, List<Stored> stored) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), "oidc-keys", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_RW));
    Files.writeString(tmp, Json.write(stored));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
