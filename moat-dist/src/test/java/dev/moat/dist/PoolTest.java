package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.agent.PoolSettings;
import dev.moat.agent.PoolSettings.Tier;
import dev.moat.sandbox.cgroup.Limits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Pool settings end to end: a real server, an agent whose pool sets the tier, image, limits and
 * disk cap, and jobs that run into each. Needs root (cgroups, loop mounts, runc).
 */
class PoolTest {
  static final Path IMAGES = Path.of("/var/tmp/moat-test-images");
  @TempDir Path dir;

  @BeforeEach
  void needsRoot() {
    Scenario.assumeRoot("pool tests", "cgroups, loop mounts and runc");
  }

  @Test
  void aMemoryBombFailsTheJobAndTheUserSeesOutOfMemory() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent(new PoolSettings(Tier.BWRAP, Optional.empty(), new Limits(96L << 20, 128, 1000), Optional.empty()));
      long run = s.pushOne("""
          on: push
          jobs:
            bomb:
              steps:
                - run: x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo SURVIVED_$((1+1))
          """);
      JsonNode job = Scenario.job(s.awaitRunEnded(run), "bomb");
      assertThat(job.path("status").asString()).isEqualTo("failed");
      assertThat(job.path("reason").asString()).contains("ran out of memory");
      assertThat(s.server.log(job.path("id").asLong())).contains("ran out of memory").doesNotContain("SURVIVED_2");
    }
  }

  @Test
  void theWorkspaceDiskCapIsEnforced() throws Exception {
    try (var s = Scenario.create(dir)) {
      s.agent(new PoolSettings(Tier.BWRAP, Optional.empty(), new Limits(256L << 20, 128, 1000), Optional.of(16L << 20)));
      long run = s.pushOne("""
          on: push
          jobs:
            fill:
              steps:
                - run: dd if=/dev/zero of=big bs=1M count=64
          """);
      JsonNode job = Scenario.job(s.awaitRunEnded(run), "fill");
      assertThat(job.path("status").asString()).isEqualTo("failed");
      assertThat(s.server.log(job.path("id").asLong())).contains("No space left on device");
    }
  }

  @Test
  void aJobOnAnOciPoolSeesTheImageAndNotTheHostsUsr() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "runc is not installed");
    assumeTrue(Files.exists(IMAGES.resolve("index.json")), "no test image store (built by moat-sandbox's tests)");
    try (var s = Scenario.create(dir)) {
      s.agent(new PoolSettings(Tier.OCI, Optional.of("debian-bookworm"), new Limits(512L << 20, 256, 1000), Optional.empty()));
      long run = s.pushOne("""
          on: push
          jobs:
            look:
              image: debian-bookworm
              steps:
                - run: |
                    grep VERSION_CODENAME /etc/os-release
                    dpkg-query -W -f '${Package}\\n' | grep -c . | sed 's/^/packages=/'
                    test ! -e /usr/lib/jvm && echo no-host-jdk
          """);
      JsonNode job = Scenario.job(s.awaitRunEnded(run), "look");
      String log = s.server.log(job.path("id").asLong());
      assertThat(job.path("status").asString()).as(log).isEqualTo("succeeded");
      assertThat(log).contains("VERSION_CODENAME=bookworm").contains("no-host-jdk").containsPattern("packages=\\d{2,}");
    }
  }
}
