package dev.moat.dist;

import static dev.moat.dist.CliTest.moat;
import static dev.moat.dist.CliTest.moatAs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.common.Json;
import dev.moat.testkit.GitFixture;
import dev.moat.testkit.GpgKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Issue 4, must-show 5: pushes to a plain git repository with allowed signers, through the installed
 * hook, a real server and agent, real ssh keys and git's own signing and verification. An unsigned
 * push is held until a maintainer approves it; a push signed by an allowed key runs; every
 * transition is in the audit log.
 */
class SignedPushTest {
  /**
   * Every trust tier on the test's bwrap pool: held work is {@code known} or {@code unknown}, which the
   * default policy sends to oci only. Where untrusted work runs is PlacementTest's subject; here it is
   * holds.
   */
  static final String EVERYONE_ON_BWRAP = """
      trust: {trusted: bwrap, known: bwrap, unknown: bwrap}
      pools:
        - {name: default, tier: bwrap, labels: [linux]}
      """;
  private static final String WORKFLOW = "on: push\njobs: {hello: {steps: [{run: 'echo ran-after-approval'}]}}\n";

  @TempDir Path dir;

  private static String signers(Path key) throws Exception {
    return "test@moat.invalid " + Files.readString(Path.of(key + ".pub")).strip() + "\n";
  }

  private static String token(CliTest.Result added) {
    assertThat(added.code()).as(added.err()).isZero();
    return added.out().strip();
  }

  private static List<String> actions(JsonNode events) {
    var out = new ArrayList<String>();
    events.forEach(e -> out.add(e.path("action").asString()));
    return out;
  }

  @Test
  void anUnsignedPushIsHeldItsJobNeverReachesTheAgentAndAMaintainersApprovalRunsIt() throws Exception {
    try (var s = Scenario.create(dir, EVERYONE_ON_BWRAP)) {
      s.agent();
      Path key = GitFixture.sshKey(dir.resolve("keys"), "allowed");
      s.server.api().put("/api/v1/repos/app/allowed-signers", Map.of("signers", signers(key)));

      long held = s.pushOne(WORKFLOW);

      JsonNode run = s.server.run(held);
      assertThat(run.path("status").asString()).isEqualTo("held");
      assertThat(run.path("hold").path("reason").asString()).isEqualTo("unverified_push");
      assertThat(run.path("trustTier").asString()).isEqualTo("unknown");
      // A trusted run of the same commit goes through the same agent while the held one waits.
      long manual = s.server.api().post("/api/v1/runs", Map.of("repo", "app", "ref", "main")).get(0).path("id").asLong();
      assertThat(s.awaitRunEnded(manual).path("status").asString()).isEqualTo("succeeded");
      JsonNode job = Scenario.job(s.server.run(held), "hello");
      assertThat(job.path("status").asString()).isEqualTo("pending");
      assertThat(job.path("agent").isNull()).as("no agent ever got it").isTrue();

      String vic = token(moat(s.server, "user", "add", "vic", "--role", "viewer"));
      String mia = token(moat(s.server, "user", "add", "mia", "--role", "maintainer"));
      CliTest.Result refused = moatAs(s.server, vic, "approve", Long.toString(held));
      assertThat(refused.code()).as("403 is exit 3").isEqualTo(3);
      assertThat(refused.err()).contains("needs the maintainer role").contains("vic is viewer");
      assertThat(s.server.run(held).path("status").asString()).isEqualTo("held");

      CliTest.Result waiting = moat(s.server, "run", "wait", Long.toString(held), "--timeout", "PT1S");
      assertThat(waiting.code()).as("a held run has not ended").isEqualTo(1);
      assertThat(waiting.err()).contains("still held");
      CliTest.Result approved = moatAs(s.server, mia, "approve", Long.toString(held), "--comment", "my laptop's key broke");
      assertThat(approved.code()).as(approved.err()).isZero();
      assertThat(approved.out()).contains("run " + held + " queued");
      JsonNode done = s.awaitRunEnded(held);
      assertThat(done.path("status").asString()).isEqualTo("succeeded");
      assertThat(s.server.log(Scenario.job(done, "hello").path("id").asLong())).contains("ran-after-approval");
      assertThat(moatAs(s.server, mia, "approve", Long.toString(held)).code()).as("approving twice: 409 is exit 2").isEqualTo(2);

      CliTest.Result audit = moatAs(s.server, mia, "audit", "--run", Long.toString(held), "--json");
      assertThat(audit.code()).as(audit.err()).isZero();
      JsonNode events = Json.MAPPER.readTree(audit.out());
      assertThat(actions(events)).containsExactly("run_held", "approval_refused", "run_approved", "approval_refused");
      assertThat(events.get(1).path("actor").asString()).isEqualTo("user:vic");
      assertThat(events.get(2).path("actor").asString()).isEqualTo("user:mia");
      assertThat(events.get(2).path("detail").path("comment").asString()).isEqualTo("my laptop's key broke");
      assertThat(moatAs(s.server, vic, "audit", "--run", Long.toString(held)).code()).as("viewers don't read the audit log").isEqualTo(3);
    }
  }

  @Test
  void aPushSignedByAnAllowedKeyRunsAndOneSignedByAnotherKeyIsHeld() throws Exception {
    try (var s = Scenario.create(dir, EVERYONE_ON_BWRAP)) {
      s.agent();
      Path allowed = GitFixture.sshKey(dir.resolve("keys"), "allowed");
      Path other = GitFixture.sshKey(dir.resolve("keys"), "other");
      Path file = Files.writeString(dir.resolve("allowed_signers"), signers(allowed));
      CliTest.Result set = moat(s.server, "repo", "signers", "app", file.toString());
      assertThat(set.code()).as(set.err()).isZero();

      s.git.workflow(WORKFLOW).commitSigned("signed", allowed);
      long signed = runOf(s.git.push());
      JsonNode ran = s.awaitRunEnded(signed);
      assertThat(ran.path("status").asString()).isEqualTo("succeeded");
      assertThat(ran.path("trustTier").asString()).isEqualTo("trusted");
      assertThat(ran.path("hold").isNull()).isTrue();

      s.git.write("README", "other key").commitSigned("signed by a stranger", other);
      String pushed = s.git.push();
      assertThat(pushed).as("the pusher is told").contains("held for approval (unverified_push)");
      long stranger = runOf(pushed);
      assertThat(s.server.run(stranger).path("status").asString()).isEqualTo("held");
      assertThat(s.server.run(stranger).path("hold").path("reason").asString()).isEqualTo("unverified_push");
      CliTest.Result shown = moat(s.server, "run", "show", Long.toString(stranger));
      assertThat(shown.out()).contains("trust: unknown").contains("hold: unverified_push, pending; maintainer role decides");

      String mia = token(moat(s.server, "user", "add", "mia", "--role", "maintainer"));
      CliTest.Result rejected = moatAs(s.server, mia, "reject", Long.toString(stranger), "--comment", "not our key");
      assertThat(rejected.code()).as(rejected.err()).isZero();
      assertThat(rejected.out()).contains("run " + stranger + " rejected");
      assertThat(moatAs(s.server, mia, "run", "wait", Long.toString(stranger), "--timeout", "PT5S").code()).isEqualTo(1);
      assertThat(Scenario.job(s.server.run(stranger), "hello").path("reason").asString()).isEqualTo("rejected by user:mia: not our key");
    }
  }

  @Test
  void aRepositoryAddedWithAllowedSignersHoldsItsFirstUnsignedPush() throws Exception {
    try (var s = Scenario.create(dir, EVERYONE_ON_BWRAP)) {
      Path allowed = GitFixture.sshKey(dir.resolve("keys"), "allowed");
      Path file = Files.writeString(dir.resolve("allowed_signers"), signers(allowed));
      var git = GitFixture.create(dir.resolve("other"));
      CliTest.Result added = moat(s.server, "repo", "add", "other", "--path", git.bare().toString(), "--allowed-signers", file.toString());
      assertThat(added.code()).as(added.err()).isZero();

      git.workflow(WORKFLOW).commit("unsigned");
      long run = runOf(git.push());

      assertThat(s.server.run(run).path("status").asString()).isEqualTo("held");
      CliTest.Result bad = moat(s.server, "repo", "signers", "other", dir.resolve("missing").toString());
      assertThat(bad.code()).isEqualTo(2);
      Files.writeString(dir.resolve("garbage"), "not a key\n");
      assertThat(moat(s.server, "repo", "signers", "other", dir.resolve("garbage").toString()).err()).contains("line 1");
    }
  }

  private static long runOf(String hookOutput) {
    var m = java.util.regex.Pattern.compile("runs \\[([0-9]+)\\]").matcher(hookOutput);
    if (!m.find()) throw new AssertionError("the push started no single run: " + hookOutput);
    return Long.parseLong(m.group(1));
  }

  @Test
  void aHoldNobodyDecidesExpiresInTheServersLoopAndItsJobsAreCancelled() throws Exception {
    try (var s = Scenario.createWith(dir, EVERYONE_ON_BWRAP, c -> c.withHolds(Duration.ofSeconds(1), false))) {
      s.agent();
      Path key = GitFixture.sshKey(dir.resolve("keys"), "allowed");
      s.server.api().put("/api/v1/repos/app/allowed-signers", Map.of("signers", signers(key)));

      long held = s.pushOne(WORKFLOW);

      JsonNode expired = s.awaitRun(held, Duration.ofSeconds(30), st -> !st.equals("held"));
      assertThat(expired.path("status").asString()).isEqualTo("expired");
      assertThat(expired.path("hold").path("state").asString()).isEqualTo("expired");
      assertThat(Scenario.job(expired, "hello").path("status").asString()).isEqualTo("cancelled");
      assertThat(Scenario.job(expired, "hello").path("agent").isNull()).isTrue();
      JsonNode events = s.server.api().get("/api/v1/audit?run=" + held);
      assertThat(actions(events)).containsExactly("run_held", "run_expired");
      assertThat(events.get(1).path("actor").asString()).isEqualTo("moat");
    }
  }

  @Test
  void withAGpgKeyringAPushSignedByItsKeyRunsAndOneSignedByAnotherGpgKeyIsHeld() throws Exception {
    try (var s = Scenario.create(dir, EVERYONE_ON_BWRAP);
        var allowed = GpgKey.create(dir.resolve("gpg-allowed"), "test@moat.invalid");
        var other = GpgKey.create(dir.resolve("gpg-other"), "test@moat.invalid")) {
      s.agent();
      Path file = Files.writeString(dir.resolve("keyring.asc"), allowed.publicKey());
      CliTest.Result set = moat(s.server, "repo", "signers", "app", file.toString());
      assertThat(set.code()).as(set.err()).isZero();

      s.git.workflow(WORKFLOW);
      allowed.git(s.git.work(), "add", "-A");
      allowed.git(s.git.work(), "commit", "-q", "-S", "-m", "gpg signed");
      long signed = runOf(s.git.push());
      assertThat(s.awaitRunEnded(signed).path("status").asString()).isEqualTo("succeeded");

      other.git(s.git.work(), "commit", "-q", "-S", "--allow-empty", "-m", "signed by another gpg key");
      long stranger = runOf(s.git.push());
      assertThat(s.server.run(stranger).path("status").asString()).isEqualTo("held");
      JsonNode audit = s.server.api().get("/api/v1/audit");
      JsonNode setEvent = audit.get(0);
      assertThat(setEvent.path("action").asString()).isEqualTo("signers_set");
      assertThat(setEvent.path("detail").path("format").asString()).isEqualTo("gpg");
      assertThat(setEvent.path("detail").path("keys")).hasSize(1);
    }
  }
}
