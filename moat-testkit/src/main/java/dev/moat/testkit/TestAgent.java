package dev.moat.testkit;

import dev.moat.agent.Agent;
import dev.moat.agent.AgentConfig;
import dev.moat.sandbox.BwrapSettings;
import dev.moat.sandbox.BwrapTier;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/** Real agents for tests: in this JVM, or as a separate {@code moat agent} process (for kill -9). */
public final class TestAgent {
  private TestAgent() {}

  /** Skips the calling test, with the reason, when bwrap sandboxes can't run on this host. */
  public static void assumeSandbox() {
    var available = BwrapTier.probe(BwrapSettings.defaults());
    Assumptions.assumeTrue(available.available(), "bwrap sandbox unavailable: " + available.reason());
  }

  /**
   * An agent in this JVM with its state in {@code dataDir} and workspaces under {@code workRoot}
   * (whose parent the sandbox uid must be able to traverse).
   */
  public static Agent inProcess(TestServer server, Path dataDir, Path workRoot, int capacity) throws IOException {
    return inProcess(server, dataDir, workRoot, capacity, "default", List.of("linux"));
  }

  /** As {@link #inProcess(TestServer, Path, Path, int)}, registered to {@code pool} with {@code labels}. */
  public static Agent inProcess(TestServer server, Path dataDir, Path workRoot, int capacity, String pool,
      List<String> labels) throws IOException {
    var config = new AgentConfig(URI.create(server.url()), dataDir, workRoot, "test-agent",
        labels, capacity, Optional.of(server.registrationToken(pool)), Duration.ofSeconds(1));
    return Agent.start(config, new BwrapTier(BwrapSettings.defaults()));
  }

  /**
   * Starts {@code mainClass agent ...} in a new JVM with this JVM's classpath and {@code extraEnv}
   * added to a minimal environment. Output goes to {@code dataDir/agent.log}.
   */
  public static Process forked(TestServer server, Path dataDir, Path workRoot, String mainClass, Map<String, String> extraEnv)
      throws IOException {
    Files.createDirectories(dataDir);
    // Its sandbox scratch goes under the test's directory too, so a kill -9 leaves nothing in /tmp.
    Path tmp = Files.createDirectories(workRoot.resolveSibling(workRoot.getFileName() + "-tmp"));
    Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    List<String> argv = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
        "-Djava.io.tmpdir=" + tmp,
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), mainClass,
        "agent", "--server", server.url(), "--token", server.registrationToken("default"),
        "--name", "forked", "--data-dir", dataDir.toString(), "--work-dir", workRoot.toString()));
    var pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(dataDir.resolve("agent.log").toFile());
    pb.environment().putAll(extraEnv);
    pb.environment().put("MOAT_DATA_DIR", dataDir.toString());
    return pb.start();
  }

  public static String output(Path dataDir) throws IOException {
    return Files.readString(dataDir.resolve("agent.log"), StandardCharsets.UTF_8);
  }
}
