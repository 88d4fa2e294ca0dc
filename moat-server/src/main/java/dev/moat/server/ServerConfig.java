package dev.moat.server;

import dev.moat.common.secret.MasterKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How to run an orchestrator.
 *
 * @param dataDir where the database and the admin credentials live (created 0700)
 * @param host address to bind
 * @param port port to bind; 0 picks a free one
 * @param ackTimeout how long an agent has to acknowledge an assignment before it is queued again
 * @param leaseTtl how long a running job survives without its agent's heartbeat before it is lost
 * @param pollWait how long an agent's poll is held when there is nothing for it
 * @param reapInterval how often deadlines are enforced
 * @param hookCommand argv prefix that runs the Moat CLI from a git hook
 * @param holdTtl how long a held run waits for a decision before it expires (default 72 h)
 * @param allowSelfApproval whether the author of a held change may approve it (default false)
 * @param policyFile the placement policy (YAML, {@code dev.moat.engine.placement.PolicyParser}),
 *     read and validated at start; empty: the default policy ({@code PlacementPolicy.DEFAULT})
 * @param masterKeys the keys that seal secrets at rest (the highest version seals new values, the
 *     others only open; see {@code SecretStore}); empty: no secrets, and the secret routes answer 503
 */
public record ServerConfig(
    Path dataDir,
    String host,
    int port,
    Duration ackTimeout,
    Duration leaseTtl,
    Duration pollWait,
    Duration reapInterval,
    List<String> hookCommand,
    Duration holdTtl,
    boolean allowSelfApproval,
    Optional<Path> policyFile,
    List<MasterKey> masterKeys) {
  public ServerConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535");
    if (pollWait.compareTo(leaseTtl) >= 0) throw new IllegalArgumentException("pollWait must be shorter than leaseTtl");
    hookCommand = List.copyOf(hookCommand);
    if (hookCommand.isEmpty()) throw new IllegalArgumentException("hookCommand is empty");
    if (holdTtl == null || holdTtl.isNegative() || holdTtl.isZero()) throw new IllegalArgumentException("holdTtl must be positive");
    Objects.requireNonNull(policyFile, "policyFile");
    masterKeys = List.copyOf(masterKeys);
  }

  /** Without master keys. */
  public ServerConfig(Path dataDir, String host, int port, Duration ackTimeout, Duration leaseTtl, Duration pollWait,
      Duration reapInterval, List<String> hookCommand, Duration holdTtl, boolean allowSelfApproval, Optional<Path> policyFile) {
    this(dataDir, host, port, ackTimeout, leaseTtl, pollWait, reapInterval, hookCommand, holdTtl, allowSelfApproval,
        policyFile, List.of());
  }

  /** With the default placement policy. */
  public ServerConfig(Path dataDir, String host, int port, Duration ackTimeout, Duration leaseTtl, Duration pollWait,
      Duration reapInterval, List<String> hookCommand, Duration holdTtl, boolean allowSelfApproval) {
    this(dataDir, host, port, ackTimeout, leaseTtl, pollWait, reapInterval, hookCommand, holdTtl, allowSelfApproval,
        Optional.empty());
  }

  /** A hold waits this long for a decision unless configured otherwise. */
  public static final Duration DEFAULT_HOLD_TTL = Duration.ofHours(72);

  /** Production defaults: 10 s to acknowledge, 30 s leases, 10 s polls. */
  public static ServerConfig defaults(Path dataDir, int port) {
    return new ServerConfig(dataDir, "127.0.0.1", port, Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofSeconds(10), Duration.ofSeconds(1), currentJvmCli(), DEFAULT_HOLD_TTL, false);
  }

  public ServerConfig withTimings(Duration ackTimeout, Duration leaseTtl, Duration pollWait, Duration reapInterval) {
    return new ServerConfig(dataDir, host, port, ackTimeout, leaseTtl, pollWait, reapInterval, hookCommand, holdTtl, allowSelfApproval,
        policyFile, masterKeys);
  }

  public ServerConfig withAddress(String host, int port) {
    return new ServerConfig(dataDir, host, port, ackTimeout, leaseTtl, pollWait, reapInterval, hookCommand, holdTtl, allowSelfApproval,
        policyFile, masterKeys);
  }

  /** With the placement policy in {@code file}. */
  public ServerConfig withPolicy(Path file) {
    return new ServerConfig(dataDir, host, port, ackTimeout, leaseTtl, pollWait, reapInterval, hookCommand, holdTtl,
        allowSelfApproval, Optional.of(file), masterKeys);
  }

  /** With these master keys (see {@link #masterKeys()}). */
  public ServerConfig withMasterKeys(List<MasterKey> keys) {
    return new ServerConfig(dataDir, host, port, ackTimeout, leaseTtl, pollWait, reapInterval, hookCommand, holdTtl,
        allowSelfApproval, policyFile, keys);
  }

  public ServerConfig withHolds(Duration holdTtl, boolean allowSelfApproval) {
    return new ServerConfig(dataDir, host, port, ackTimeout, leaseTtl, pollWait, reapInterval, hookCommand, holdTtl, allowSelfApproval,
        policyFile, masterKeys);
  }

  /**
   * Runs the CLI with this very JVM and classpath: {@code $MOAT_LAUNCHER} when the launcher started us
   * (so hooks keep working across rebuilds), else {@code java -cp <classpath> dev.moat.cli.Moat}.
   */
  public static List<String> currentJvmCli() {
    String launcher = System.getenv("MOAT_LAUNCHER");
    if (launcher != null && !launcher.isBlank()) return List.of(launcher);
    String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    return List.of(java, "-cp", System.getProperty("java.class.path"), "dev.moat.cli.Moat");
  }
}
