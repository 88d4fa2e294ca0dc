package dev.moat.sandbox.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moat.sandbox.Availability;
import dev.moat.sandbox.HostProcesses;
import dev.moat.sandbox.OutputCapture;
import dev.moat.sandbox.Sandbox;
import dev.moat.sandbox.SandboxSpec;
import dev.moat.sandbox.image.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class OciConcurrencyTest {
  @Test
  void sandboxesOfOneTierRunSideBySideWithoutSeeingEachOther(@TempDir Path tempDir) throws Exception {
    try (OciFixture oci = new OciFixture(tempDir); ExecutorService pool = Executors.newFixedThreadPool(4)) {
      List<Future<String>> jobs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        int n = i;
        jobs.add(pool.submit((Callable<String>) () -> {
          Path ws = Files.createDirectory(tempDir.resolve("ws" + n));
          try (Sandbox sandbox = oci.tier.create(new SandboxSpec("par-" + n, ws))) {
            OutputCapture out = new OutputCapture();
            sandbox.exec(List.of("/bin/sh", "-c", "echo " + n + " > mine; ls /workspace; hostname"),
                OciFixture.BASIC_ENV, out, OciFixture.in(Duration.ofMinutes(1)));
            return out.text();
          }
        }));
      }
      for (int i = 0; i < 4; i++) assertThat(jobs.get(i).get()).isEqualTo("mine\nmoat-par-" + i + "\n");
      assertThat(oci.tier.containers()).noneMatch(id -> id.startsWith("moat-par-"));
    }
  }

  @Test
  void twentyJobsInARowLeaveNoContainerCgroupProcessOrBundle(@TempDir Path tempDir) throws Exception {
    try (OciFixture oci = new OciFixture(tempDir)) {
      String marker = HostProcesses.uniqueMarker();
      Path jobs = Files.createDirectory(tempDir.resolve("jobs"));
      for (int i = 0; i < 20; i++) {
        Path ws = Files.createDirectory(jobs.resolve("ws" + i));
        try (Sandbox sandbox = oci.tier.create(new SandboxSpec("row-" + i, ws))) {
          // A background process that would outlive the step if the pid namespace did not end it.
          sandbox.exec(List.of("/bin/sh", "-c", "sleep " + marker + " & echo started"), OciFixture.BASIC_ENV,
              new OutputCapture(), OciFixture.in(Duration.ofMinutes(1)));
        }
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> HostProcesses.withArgument(marker).isEmpty());
      assertThat(oci.tier.containers()).noneMatch(id -> id.startsWith("moat-row-"));
      assertThat(CgroupDirs.named("", "moat-oci-row-")).as("job cgroups, nested container ones too").isEmpty();
      try (var left = Files.list(tempDir)) {
        assertThat(left.map(p -> p.getFileName().toString()))
            .as("only the fixture's own bundle, its workspace and the job workspaces")
            .hasSize(3);
      }
    }
  }

  @Test
  void theProbeRunsARealContainer(@TempDir Path tempDir) throws Exception {
    try (OciFixture oci = new OciFixture(tempDir)) {
      Availability a = OciTier.probe(oci.settings, TestImages.store(), TestImages.bookworm().digest());
      assertThat(a.available()).as(a.reason()).isTrue();
    }
  }
}
