package dev.moat.sandbox.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Driver choice from /proc/self/cgroup and /proc/self/mounts, over a fake /sys/fs/cgroup. */
class CgroupHostTest {
  @TempDir Path root;

  static final String HYBRID_CGROUP = """
      9:name=systemd:/
      8:pids:/
      4:memory:/process_api/abc
      2:cpuacct:/
      1:cpu:/
      6:freezer:/
      0::/
      """;

  String hybridMounts() {
    return """
        tmpfs %1$s tmpfs rw 0 0
        cgroup %1$s/cpu cgroup rw,relatime,cpu 0 0
        cgroup %1$s/cpuacct cgroup rw,relatime,cpuacct 0 0
        cgroup %1$s/memory cgroup rw,relatime,memory 0 0
        cgroup %1$s/pids cgroup rw,relatime,pids 0 0
        cgroup %1$s/freezer cgroup rw,relatime,freezer 0 0
        cgroup %1$s/systemd cgroup rw,relatime,name=systemd 0 0
        cgroup2 %1$s/unified cgroup2 rw,relatime 0 0
        """.formatted(root);
  }

  CgroupHost host(String cgroup, String mounts) throws IOException {
    return CgroupHost.read(Files.writeString(root.resolve("cgroup"), cgroup), Files.writeString(root.resolve("mounts"), mounts));
  }

  @Test
  void aHybridHostWhoseUnifiedMountHasOnlyHugetlbGetsV1NestedUnderOurOwnMemoryCgroup() throws IOException {
    Files.createDirectories(root.resolve("unified"));
    Files.writeString(root.resolve("unified/cgroup.controllers"), "hugetlb\n");

    CgroupHost host = host(HYBRID_CGROUP, hybridMounts());

    assertThat(host.v1()).containsEntry("memory", root.resolve("memory/process_api/abc"))
        .containsEntry("pids", root.resolve("pids")).containsEntry("freezer", root.resolve("freezer"));
    assertThat(host.v2()).contains(root.resolve("unified"));
    assertThat(host.driver().version()).isEqualTo("v1");
  }

  @Test
  void aUnifiedHostWithMemoryPidsAndCpuGetsV2InOurOwnCgroup() throws IOException {
    Path own = Files.createDirectories(root.resolve("fs/system.slice/moat-agent.service"));
    Files.writeString(own.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");

    CgroupHost host = host("0::/system.slice/moat-agent.service\n", "cgroup2 " + root.resolve("fs") + " cgroup2 rw,nsdelegate 0 0\n");

    assertThat(host.v2()).contains(own);
    assertThat(host.driver().version()).isEqualTo("v2");
  }

  @Test
  void coMountedControllersShareOneDirectory() throws IOException {
    CgroupHost host = host("3:cpu,cpuacct:/agent\n", "cgroup " + root + "/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n");

    assertThat(host.v1().get("cpu")).isEqualTo(host.v1().get("cpuacct")).isEqualTo(root.resolve("cpu,cpuacct/agent"));
  }

  @Test
  void aHostWithoutTheNeededControllersIsRefusedWithWhatIsMissing() throws IOException {
    CgroupHost host = host("4:memory:/\n0::/\n", "cgroup " + root + "/memory cgroup rw,memory 0 0\n");

    assertThatThrownBy(host::driver).hasMessageContaining("no usable cgroups").hasMessageContaining("[memory]");
  }

  @Test
  void escapedSpacesInMountPointsAreDecoded() throws IOException {
    CgroupHost host = host("8:pids:/\n", "cgroup /sys/fs/my\\040cgroups cgroup rw,pids 0 0\n");

    assertThat(host.v1()).containsEntry("pids", Path.of("/sys/fs/my cgroups"));
  }
}
