package dev.moat.agent;

import dev.moat.common.wire.ImageNames;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How to run an agent.
 *
 * @param server the orchestrator's base URL
 * @param dataDir the agent's private state (its credential), created 0700
 * @param workRoot where job workspaces are made; must be traversable by the sandbox uid
 * @param name the agent's name as shown to people
 * @param labels labels the agent serves
 * @param capacity jobs run at once
 * @param registrationToken a one-time token, needed only when the agent has no credential yet
 * @param pollWait how long the server may hold a poll
 * @param image the name of the image the agent's sandboxes run (oci pools); the server hands the
 *     agent only jobs that name no image or this one. Empty for pools over the host's {@code /usr}
 * @param workspaceDiskBytes the disk cap of each job's workspace (a volume of that size), or empty
 */
public record AgentConfig(
    URI server,
    Path dataDir,
    Path workRoot,
    String name,
    List<String> labels,
    int capacity,
    Optional<String> registrationToken,
    Duration pollWait,
    Optional<String> image,
    Optional<Long> workspaceDiskBytes) {
  public AgentConfig {
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(workRoot, "workRoot");
    Objects.requireNonNull(name, "name");
    labels = List.copyOf(labels);
    if (capacity < 1 || capacity > 64) throw new IllegalArgumentException("capacity must be 1..64");
    Objects.requireNonNull(registrationToken, "registrationToken");
    image.ifPresent(ImageNames::check);
    Objects.requireNonNull(workspaceDiskBytes, "workspaceDiskBytes");
  }

  /** An agent whose pool runs no image. */
  public AgentConfig(URI server, Path dataDir, Path workRoot, String name, List<String> labels, int capacity,
      Optional<String> registrationToken, Duration pollWait) {
    this(server, dataDir, workRoot, name, labels, capacity, registrationToken, pollWait, Optional.empty(), Optional.empty());
  }

  /**
   * The default workspace root: under the system temp directory (which every uid can traverse),
   * one per agent user and data directory.
   */
  public static Path defaultWorkRoot(Path dataDir) throws java.io.IOException {
    String tag = Integer.toHexString(dataDir.toAbsolutePath().normalize().toString().hashCode());
    return Path.of(System.getProperty("java.io.tmpdir"), "moat-work-" + Workspaces.currentUid() + "-" + tag);
  }

  @Override
  public String toString() {
    return "AgentConfig[server=" + server + ", dataDir=" + dataDir + ", name=" + name + ", labels=" + labels + "]";
  }
}
