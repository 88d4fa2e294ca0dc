package dev.moat.sandbox.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CgroupLimitsTest {
  @Test
  void aQuarterCpuIsAQuarterOfEachPeriod() {
    assertThat(new Limits(128L << 20, 64, 250).cpuQuotaMicros()).isEqualTo(25_000);
    assertThat(new Limits(128L << 20, 64, 2000).cpuQuotaMicros()).isEqualTo(200_000);
  }

  @Test
  void limitsBelowWhatTheKernelCanEnforceAreRefused() {
    assertThatThrownBy(() -> new Limits(1L << 20, 64, 250)).hasMessageContaining("memory");
    assertThatThrownBy(() -> new Limits(128L << 20, 0, 250)).hasMessageContaining("pids");
    assertThatThrownBy(() -> new Limits(128L << 20, 64, 5)).hasMessageContaining("cpu");
  }

  @Test
  void jobNamesAreMoatPrefixedAndSafe() {
    assertThat(Cgroups.nameOf("job-42")).isEqualTo("moat-job-42");
    assertThatThrownBy(() -> Cgroups.nameOf("../etc")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Cgroups.nameOf("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void statsSayOutOfMemoryOnlyAfterAnOomKill() {
    assertThat(new CgroupStats(0, 5, 0, Duration.ZERO, 0).outOfMemory()).isFalse();
    assertThat(new CgroupStats(1, 5, 0, Duration.ZERO, 0).outOfMemory()).isTrue();
  }
}
