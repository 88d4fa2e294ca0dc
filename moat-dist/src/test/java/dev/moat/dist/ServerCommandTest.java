package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.cli.CliException;
import dev.moat.common.secret.MasterKey;
import dev.moat.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code moat server}'s options become the server's configuration. */
class ServerCommandTest {
  private static ServerConfig parse(String... args) {
    var command = new ServerCommand();
    new CommandLine(command).parseArgs(args);
    return command.config();
  }

  @Test
  void holdsWaitSeventyTwoHoursAndSelfApprovalIsOffByDefault() {
    ServerConfig config = parse();
    assertThat(config.holdTtl()).isEqualTo(Duration.ofHours(72));
    assertThat(config.allowSelfApproval()).isFalse();
    assertThat(config.port()).isEqualTo(8480);
  }

  @Test
  void holdTtlAndSelfApprovalAreServerSettings() {
    ServerConfig config = parse("--hold-ttl", "PT24H", "--allow-self-approval", "--port", "0", "--host", "127.0.0.2");
    assertThat(config.holdTtl()).isEqualTo(Duration.ofHours(24));
    assertThat(config.allowSelfApproval()).isTrue();
    assertThat(config.host()).isEqualTo("127.0.0.2");
  }

  @Test
  void aHoldTtlThatIsNotPositiveIsAUsageError() {
    var command = new ServerCommand();
    new CommandLine(command).parseArgs("--hold-ttl", "PT0S");
    assertThatThrownBy(command::config)
        .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(CliException.USAGE))
        .hasMessage("holdTtl must be positive");
  }

  @TempDir Path dir;

  @Test
  void masterKeyFilesAreReadAndRepeatableForARotation() throws Exception {
    MasterKey.generate(1).writeNew(dir.resolve("v1.key"));
    MasterKey.generate(2).writeNew(dir.resolve("v2.key"));
    ServerConfig config = parse("--master-key", dir.resolve("v1.key").toString(), "--master-key", dir.resolve("v2.key").toString());
    assertThat(config.masterKeys()).extracting(MasterKey::version).containsExactly(1, 2);
    assertThat(config.toString()).as("the config never prints a key").doesNotContain(config.masterKeys().getFirst().format());
  }

  @Test
  void aKeyFileOthersCanReadIsAUsageError() throws Exception {
    Path f = dir.resolve("open.key");
    Files.writeString(f, MasterKey.generate(1).format());
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    var command = new ServerCommand();
    new CommandLine(command).parseArgs("--master-key", f.toString());
    assertThatThrownBy(command::config)
        .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(CliException.USAGE))
        .hasMessage("master key file " + f + " must be readable by its owner only (mode 0600), not rw-r--r--");
  }

  @Test
  void moatMasterKeyHoldsOneOrSeveralKeys() {
    String both = MasterKey.generate(1).format() + "," + MasterKey.generate(2).format();
    assertThat(ServerCommand.masterKeys(List.of(), both)).extracting(MasterKey::version).containsExactly(1, 2);
    assertThat(ServerCommand.masterKeys(List.of(), null)).isEmpty();
    assertThatThrownBy(() -> ServerCommand.masterKeys(List.of(), "hunter2"))
        .hasMessage("MOAT_MASTER_KEY: a master key is written v<version>:<base64 of 32 bytes>");
  }

  @Test
  void moatUpGeneratesAPrivateKeyFileOnceAndNeverReplacesIt() throws Exception {
    Path f = UpCommand.masterKey(dir);
    assertThat(f).isEqualTo(dir.resolve("master.key"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
    String first = Files.readString(f);
    assertThat(MasterKey.read(f).version()).isEqualTo(1);
    assertThat(UpCommand.masterKey(dir)).isEqualTo(f);
    assertThat(Files.readString(f)).isEqualTo(first);
  }
}
