package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.cli.CliException;
import dev.moat.server.ServerConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
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
}
