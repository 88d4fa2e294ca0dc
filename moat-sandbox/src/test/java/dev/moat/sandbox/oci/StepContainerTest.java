package dev.moat.sandbox.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.common.Json;
import dev.moat.sandbox.seccomp.SeccompPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class StepContainerTest {
  private static StepContainer step(Path netns) {
    return new StepContainer(List.of("/bin/sh", "-c", "make"), Map.of("PATH", "/usr/bin:/bin", "CI", "true"),
        Path.of("/var/lib/moat/rootfs/abc"), Path.of("/srv/ws/job1"), Path.of("/tmp/scratch"), "moat-job1",
        65500, 65500, netns, "moat/moat-job1-1", OciLimits.defaults());
  }

  private static JsonNode json(StepContainer step) {
    return Json.MAPPER.readTree(step.config().toJson());
  }

  @Test
  void theProcessRunsTheCommandWithExactlyTheGivenEnvironmentInTheWorkspace() {
    JsonNode process = json(step(null)).get("process");
    assertThat(texts(process.get("args"))).containsExactly("/bin/sh", "-c", "make");
    assertThat(texts(process.get("env"))).containsExactly("CI=true", "PATH=/usr/bin:/bin");
    assertThat(process.get("cwd").asString()).isEqualTo("/workspace");
    assertThat(process.get("terminal").asBoolean()).isFalse();
  }

  @Test
  void theProcessIsNonRootWithNoCapabilityAndNoNewPrivileges() {
    JsonNode process = json(step(null)).get("process");
    assertThat(process.get("user").get("uid").asInt()).isEqualTo(65500);
    assertThat(process.get("user").get("gid").asInt()).isEqualTo(65500);
    assertThat(process.get("noNewPrivileges").asBoolean()).isTrue();
    JsonNode caps = process.get("capabilities");
    for (String set : List.of("bounding", "effective", "inheritable", "permitted", "ambient")) {
      assertThat(caps.get(set).isArray()).as(set).isTrue();
      assertThat(caps.get(set).size()).as(set).isZero();
    }
    JsonNode nofile = process.get("rlimits").get(0);
    assertThat(nofile.get("type").asString()).isEqualTo("RLIMIT_NOFILE");
    assertThat(nofile.get("hard").asLong()).isEqualTo(4096);
  }

  @Test
  void theRootIsTheImageReadOnly() {
    JsonNode root = json(step(null)).get("root");
    assertThat(root.get("path").asString()).isEqualTo("/var/lib/moat/rootfs/abc");
    assertThat(root.get("readonly").asBoolean()).isTrue();
  }

  @Test
  void theWorkspaceIsBoundReadWriteWithoutSetuidOrDevices() {
    JsonNode ws = mount(json(step(null)), "/workspace");
    assertThat(ws.get("source").asString()).isEqualTo("/srv/ws/job1");
    assertThat(texts(ws.get("options"))).contains("rbind", "rw", "nosuid", "nodev");
  }

  @Test
  void tmpAndRunAreTmpfsAndSysIsReadOnly() {
    JsonNode config = json(step(null));
    assertThat(mount(config, "/tmp").get("type").asString()).isEqualTo("tmpfs");
    assertThat(texts(mount(config, "/tmp").get("options"))).contains("size=268435456", "nosuid", "nodev");
    assertThat(mount(config, "/run").get("type").asString()).isEqualTo("tmpfs");
    assertThat(texts(mount(config, "/sys").get("options"))).contains("ro");
    assertThat(mount(config, "/proc").get("type").asString()).isEqualTo("proc");
    assertThat(texts(mount(config, "/etc/passwd").get("options"))).contains("ro");
  }

  @Test
  void everyNamespaceIsNewAndTheNetworkOneIsJoinedWhenGiven() {
    JsonNode fresh = json(step(null)).get("linux").get("namespaces");
    assertThat(fresh.valueStream().map(n -> n.get("type").asString()))
        .containsExactlyInAnyOrder("pid", "ipc", "uts", "mount", "cgroup", "network");
    assertThat(fresh.valueStream().filter(n -> n.has("path"))).isEmpty();

    JsonNode joined = json(step(Path.of("/run/netns/job1"))).get("linux").get("namespaces");
    assertThat(joined.valueStream().filter(n -> n.get("type").asString().equals("network")).findFirst().orElseThrow()
        .get("path").asString()).isEqualTo("/run/netns/job1");
  }

  @Test
  void sensitivePathsAreMaskedOrReadOnlyCgroupfsIncluded() {
    JsonNode linux = json(step(null)).get("linux");
    assertThat(texts(linux.get("maskedPaths"))).contains("/proc/kcore", "/proc/keys", "/sys/firmware", "/sys/fs/cgroup");
    assertThat(texts(linux.get("readonlyPaths"))).contains("/proc/sys", "/proc/sysrq-trigger");
  }

  @Test
  void resourcesCapMemoryWithoutSwapPidsAndCpuAndDenyDevices() {
    JsonNode linux = json(step(null)).get("linux");
    assertThat(linux.get("cgroupsPath").asString()).isEqualTo("moat/moat-job1-1");
    JsonNode r = linux.get("resources");
    assertThat(r.get("memory").get("limit").asLong()).isEqualTo(2L << 30);
    assertThat(r.get("memory").get("swap").asLong()).isEqualTo(2L << 30);
    assertThat(r.get("pids").get("limit").asLong()).isEqualTo(512);
    assertThat(r.get("cpu").get("quota").asLong()).isEqualTo(200_000);
    assertThat(r.get("cpu").get("period").asLong()).isEqualTo(100_000);
    assertThat(r.get("devices").size()).isEqualTo(1);
    assertThat(r.get("devices").get(0).get("allow").asBoolean()).isFalse();
    assertThat(r.get("devices").get(0).get("access").asString()).isEqualTo("rwm");
  }

  @Test
  void theHardenedSeccompProfileRefusesWhatBwrapsFilterRefuses() {
    var seccomp = json(step(null)).get("linux").get("seccomp");
    assertThat(seccomp.get("defaultAction").asString()).isEqualTo("SCMP_ACT_ALLOW");
    assertThat(seccomp.get("architectures").toString()).isEqualTo("[\"SCMP_ARCH_X86_64\"]");
    var groups = seccomp.get("syscalls");
    // Unconditional rules, grouped by errno (EPERM first), then clone once per namespace flag.
    assertThat(groups.get(0).get("errnoRet").asInt()).isEqualTo(1);
    assertThat(groups.get(0).get("names").toString()).contains("\"mount\"", "\"unshare\"", "\"setns\"",
        "\"ptrace\"", "\"keyctl\"", "\"bpf\"", "\"perf_event_open\"", "\"userfaultfd\"", "\"init_module\"",
        "\"finit_module\"").doesNotContain("\"clone\"");
    assertThat(groups.get(1).get("names").toString()).isEqualTo("[\"clone3\"]");
    assertThat(groups.get(1).get("errnoRet").asInt()).isEqualTo(38);
    int cloneRules = 0;
    long flags = 0;
    for (var group : groups) {
      if (!group.get("names").toString().equals("[\"clone\"]")) continue;
      cloneRules++;
      var arg = group.get("args").get(0);
      assertThat(arg.get("index").asInt()).isZero();
      assertThat(arg.get("op").asString()).isEqualTo("SCMP_CMP_MASKED_EQ");
      assertThat(arg.get("value").asLong()).isEqualTo(arg.get("valueTwo").asLong());
      flags |= arg.get("value").asLong();
    }
    assertThat(cloneRules).isEqualTo(7);
    assertThat(flags).isEqualTo(SeccompPolicy.CLONE_NAMESPACE_FLAGS);
  }

  @Test
  void rootAndAbsoluteCgroupPathsAreRefused() {
    assertThatThrownBy(() -> new StepContainer(List.of("true"), Map.of(), Path.of("/r"), Path.of("/w"),
        Path.of("/e"), "h", 0, 0, null, "moat/x", OciLimits.defaults())).hasMessageContaining("root");
    assertThatThrownBy(() -> new StepContainer(List.of("true"), Map.of(), Path.of("/r"), Path.of("/w"),
        Path.of("/e"), "h", 1, 1, null, "/moat/x", OciLimits.defaults())).hasMessageContaining("relative");
  }

  private static JsonNode mount(JsonNode config, String destination) {
    return config.get("mounts").valueStream().filter(m -> m.get("destination").asString().equals(destination))
        .findFirst().orElseThrow(() -> new AssertionError("no mount at " + destination));
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asString()));
    return out;
  }
}
