package dev.moat.common.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyringTest {
  static final Secret VALUE = Secret.of("deploy-key-7f3a9c");
  final MasterKey v1 = MasterKey.generate(1);
  final MasterKey v2 = MasterKey.generate(2);

  @Test
  void aSealedValueOpensToTheSameSecretAndHoldsNoPlaintext() {
    Keyring ring = new Keyring(v1, List.of());
    SealedValue sealed = ring.seal("repo:demo", "DEPLOY_KEY", VALUE);

    assertThat(ring.open("repo:demo", "DEPLOY_KEY", sealed)).isEqualTo(VALUE);
    assertThat(new String(sealed.ciphertext(), StandardCharsets.ISO_8859_1)).doesNotContain("deploy-key");
    assertThat(sealed.iv()).hasSize(12);
    assertThat(sealed.keyVersion()).isEqualTo(1);
  }

  @Test
  void everySealUsesAFreshIv() {
    Keyring ring = new Keyring(v1, List.of());
    Set<String> ivs = new HashSet<>();
    for (int i = 0; i < 1000; i++) ivs.add(java.util.HexFormat.of().formatHex(ring.seal("g", "N", VALUE).iv()));
    assertThat(ivs).hasSize(1000);
  }

  @Test
  void ciphertextsSwappedBetweenNamesOrScopesFailToOpen() {
    Keyring ring = new Keyring(v1, List.of());
    SealedValue a = ring.seal("repo:demo", "A", Secret.of("value-of-a"));
    SealedValue b = ring.seal("repo:demo", "B", Secret.of("value-of-b"));

    assertThatThrownBy(() -> ring.open("repo:demo", "B", a)).isInstanceOf(SecretIntegrityException.class)
        .hasMessageContaining("repo:demo/B does not open");
    assertThatThrownBy(() -> ring.open("repo:demo", "A", b)).isInstanceOf(SecretIntegrityException.class);
    assertThatThrownBy(() -> ring.open("repo:other", "A", a)).isInstanceOf(SecretIntegrityException.class);
  }

  @Test
  void aTamperedCiphertextFailsToOpen() {
    Keyring ring = new Keyring(v1, List.of());
    SealedValue s = ring.seal("g", "N", VALUE);
    byte[] c = s.ciphertext();
    c[0] ^= 1;
    assertThatThrownBy(() -> ring.open("g", "N", new SealedValue(1, s.iv(), c))).isInstanceOf(SecretIntegrityException.class);
  }

  @Test
  void rotationReadsWithEitherKeyDuringTheMoveAndTheOldKeyCanThenGo() {
    SealedValue old = new Keyring(v1, List.of()).seal("g", "N", VALUE);
    Keyring moving = new Keyring(v2, List.of(v1));
    assertThat(moving.open("g", "N", old)).isEqualTo(VALUE);

    SealedValue moved = moving.reseal("g", "N", old);
    assertThat(moved.keyVersion()).isEqualTo(2);
    assertThat(moving.reseal("g", "N", moved)).isSameAs(moved);

    Keyring after = new Keyring(v2, List.of());
    assertThat(after.open("g", "N", moved)).isEqualTo(VALUE);
    assertThatThrownBy(() -> after.open("g", "N", old)).hasMessageContaining("no key of version 1");
  }

  @Test
  void theKeyVersionIsAuthenticatedToo() {
    // A v2 key that happens to have v1's bytes must not open a value sealed as v1.
    MasterKey sameBytes = new MasterKey(2, v1.key());
    SealedValue s = new Keyring(v1, List.of()).seal("g", "N", VALUE);
    SealedValue relabelled = new SealedValue(2, s.iv(), s.ciphertext());
    assertThatThrownBy(() -> new Keyring(sameBytes, List.of()).open("g", "N", relabelled))
        .isInstanceOf(SecretIntegrityException.class);
  }

  @Test
  void secretsAndKeysNeverPrint() {
    assertThat(VALUE).hasToString("Secret[***]");
    assertThat(String.valueOf(List.of(VALUE))).doesNotContain("deploy");
    assertThat(v1.toString()).isEqualTo("MasterKey[v1, ***]").doesNotContain(v1.format().substring(3));
  }

  @Test
  void keyFilesMustBeOwnerOnly(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("master.key");
    v1.writeNew(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(MasterKey.read(file).key().getEncoded()).isEqualTo(v1.key().getEncoded());
    assertThatThrownBy(() -> v1.writeNew(file)).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> MasterKey.read(file)).hasMessageContaining("mode 0600").hasMessageContaining("rw-r--r--");
    assertThatThrownBy(() -> MasterKey.parse("v1:abc")).hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> MasterKey.parse("key")).hasMessageContaining("v<version>:<base64");
  }
}
