package dev.moat.sandbox;

import static dev.moat.sandbox.BwrapFixture.BASIC_ENV;
import static dev.moat.sandbox.BwrapFixture.in;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many quiet sandboxes at once, driven from virtual threads as the agent does, must not starve the
 * JVM's other virtual threads (the agent's polls and heartbeats): a blocking FIFO read pins its
 * carrier, so output pumps must not run on virtual threads.
 */
class BwrapConcurrencyTest {
  @TempDir Path tempDir;
  BwrapFixture fx;
  final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  final List<Sandbox> sandboxes = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    fx = new BwrapFixture(tempDir);
  }

  @AfterEach
  void tearDown() {
    sandboxes.forEach(Sandbox::close);
    if (fx != null) fx.close();
    threads.shutdownNow();
  }

  @Test
  @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void quietSandboxesOnEveryCarrierLeaveOtherVirtualThreadsRunning() throws Exception {
    int count = Runtime.getRuntime().availableProcessors() * 2 + 1;
    List<CompletableFuture<ExecResult>> runs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Path workspace = Files.createDirectory(tempDir.resolve("ws-" + i));
      Sandbox sandbox = fx.tier.create(new SandboxSpec("conc-" + i, workspace));
      sandboxes.add(sandbox);
      runs.add(CompletableFuture.supplyAsync(() -> {
        try {
          return sandbox.exec(List.of("/bin/sh", "-c", "sleep 3; echo done"), BASIC_ENV, new OutputCapture(), in(Duration.ofMinutes(1)));
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, threads));
    }
    // While every sandbox sleeps, a fresh virtual thread must still get a carrier.
    assertThat(CompletableFuture.supplyAsync(() -> "alive", threads).get(2, TimeUnit.SECONDS)).isEqualTo("alive");
    for (var run : runs) assertThat(run.get(60, TimeUnit.SECONDS).succeeded()).isTrue();
  }
}
