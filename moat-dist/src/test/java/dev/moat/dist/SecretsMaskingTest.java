package dev.moat.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.agent.PoolSettings;
import dev.moat.agent.PoolSettings.Tier;
import dev.moat.common.mask.SecretForms;
import dev.moat.common.secret.Secret;
import dev.moat.sandbox.cgroup.Limits;
import dev.moat.server.ctx.CtxBackends;
import dev.moat.server.http.ApiException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Issue 5, must-show 1 end to end, on a real server, agent and bwrap sandbox: a step with
 * {@code secrets: [TOKEN, MULTI]} prints them in every form the mask knows (raw, base64 standard and
 * URL-safe at all three alignments, URL-encoded both ways, JSON-escaped, each line of a multi-line
 * value) and TOKEN split across two writes with a pause longer than the log's flush between; a step
 * without {@code secrets:} sees none of them in {@code env}; {@code moat-ctx secret get} works
 * from any step and a secret the job isn't granted is refused with the server's reason; an ID token
 * and an output come through the same socket, the output to the job that needs this one. None of the
 * values, in any form, is in the log as stored in the SQLite file itself.
 *
 * <p>Job credentials are the identity part's real ones; the secret store is a stand-in with the
 * signatures of contract 2 (built in parallel): two granted secrets, a 403 for any other name.
 */
class SecretsMaskingTest {
  static final String TOKEN = "s3cr3t/Val+ue\"q&x=1 " + UUID.randomUUID().toString().substring(0, 8);
  static final String MULTI = "first-line-" + UUID.randomUUID().toString().substring(0, 6) + "\nsecond-line-"
      + UUID.randomUUID().toString().substring(0, 6);

  static {
    LogAudit.forbid(TOKEN, MULTI);
  }
  static final String WORKFLOW = """
      on: push
      jobs:
        leak:
          steps:
            - name: no secrets here
              run: echo "before=$(env | grep -c -e '^TOKEN=' -e '^MULTI=' || true)"
            - name: every form
              secrets: [TOKEN, MULTI]
              run: |
                printf 'raw=%s\\n' "$TOKEN"
                for pad in '' 'x' 'xy'; do printf 'b64=%s\\n' "$(printf '%s%s' "$pad" "$TOKEN" | base64 -w0)"; done
                for pad in '' 'x' 'xy'; do printf 'b64url=%s\\n' "$(printf '%s%s' "$pad" "$TOKEN" | base64 -w0 | tr '+/' '-_')"; done
                python3 -c 'import os, urllib.parse as u; print(u.quote(os.environ["TOKEN"], safe="")); print(u.quote_plus(os.environ["TOKEN"]))'
                python3 -c 'import os, json; print(json.dumps({"t": os.environ["TOKEN"]}))'
                printf 'l1=%s\\n' "$(printf '%s\\n' "$MULTI" | sed -n 1p)"
                printf 'l2=%s\\n' "$(printf '%s\\n' "$MULTI" | sed -n 2p)"
                printf 'both=%s\\n' "$MULTI"
                printf '%s' "$TOKEN" | head -c 9; sleep 0.5; printf '%s' "$TOKEN" | tail -c +10; echo
            - name: after
              run: |
                echo "after=$(env | grep -c -e '^TOKEN=' -e '^MULTI=' || true)"
                echo "fetched=$(moat-ctx secret get TOKEN)"
                moat-ctx secret get OTHER || echo "denied=$?"
                echo "idtoken=$(moat-ctx id-token --audience moat-test | cut -c1-3)"
                moat-ctx output set color blue
        use:
          needs: [leak]
          steps:
            - run: echo "color=$MOAT_NEEDS_LEAK_COLOR"
      """;

  @TempDir Path dir;

  /** What the stand-in store was asked: NAME@step, as its audit would record them. */
  static final java.util.Queue<String> STEPS = new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** Contract 2 as a stand-in: TOKEN and MULTI granted, any other name refused. */
  static CtxBackends standIns() {
    Map<String, String> granted = Map.of("TOKEN", TOKEN, "MULTI", MULTI);
    return new CtxBackends(
        (job, name, step) -> {
          STEPS.add(name + "@" + step);
          String value = granted.get(name);
          if (value == null) throw ApiException.forbidden("secret " + name + " is not granted to job " + job + ": it has no environment binding");
          return Secret.of(value);
        },
        job -> granted.values().stream().map(Secret::of).toList());
  }

  @Test
  void noFormOfAStepSecretReachesTheStoredLog() throws Exception {
    try (var s = Scenario.createWith(dir, null, c -> c, standIns())) {
      s.agent(new PoolSettings(Tier.BWRAP, Optional.empty(), new Limits(512L << 20, 256, 1000), Optional.empty()));
      long run = s.pushOne(WORKFLOW);
      JsonNode ended = s.awaitRunEnded(run);
      JsonNode job = Scenario.job(ended, "leak");
      long jobId = job.path("id").asLong();
      String stored = storedLog(s, jobId);

      assertThat(job.path("status").asString()).as(stored).isEqualTo("succeeded");
      assertThat(stored).contains("before=0\n", "after=0\n", "raw=***\n", "fetched=***\n", "idtoken=eyJ\n")
          .contains("moat-ctx: secret OTHER is not granted to job " + jobId + ": it has no environment binding\ndenied=3\n");
      // Base64 keeps only the up to 3 characters at each end that the neighbouring bytes decide.
      assertThat(stored.lines().filter(l -> l.matches("b64(url)?=.{0,3}\\*\\*\\*.{0,3}")).count()).as(stored).isEqualTo(6);
      // The two URL encodings and the value split across two writes are all mask.
      assertThat(stored.lines().filter(l -> l.equals("***")).count()).as(stored).isEqualTo(3);
      assertThat(stored).contains("{\"t\": \"***\"}", "l1=***\n", "l2=***\n", "both=***\n");
      for (String value : List.of(TOKEN, MULTI)) {
        for (byte[] form : SecretForms.of(value)) {
          assertThat(stored).as("a form of a secret in the stored log").doesNotContain(new String(form, StandardCharsets.UTF_8));
        }
      }
      assertThat(stored).doesNotContain("s3cr3t", "first-line-", "second-line-");
      assertThat(s.server.log(jobId)).isEqualTo(stored);
      // The store learns which step asked, for its audit: the step's own secrets and moat-ctx calls.
      assertThat(STEPS).contains("TOKEN@step 2 (every form)", "MULTI@step 2 (every form)", "TOKEN@step 3 (after)",
          "OTHER@step 3 (after)");
      // moat-ctx output set reached the job that needs this one.
      assertThat(s.server.log(Scenario.job(ended, "use").path("id").asLong())).contains("color=blue\n");
    }
  }

  @Test
  void anOciJobGetsStepSecretsThroughStdinAndMoatCtxFromItsMinimalImage() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(Path.of("/usr/sbin/runc")), "runc is not installed");
    org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(PoolTest.IMAGES.resolve("index.json")),
        "no test image store (built by moat-sandbox's tests)");
    try (var s = Scenario.createWith(dir, null, c -> c, standIns())) {
      s.agent(new PoolSettings(Tier.OCI, Optional.of("debian-bookworm"), new Limits(512L << 20, 256, 1000), Optional.empty()));
      long run = s.pushOne("""
          on: push
          jobs:
            oci:
              image: debian-bookworm
              steps:
                - run: echo "before=$(env | grep -c '^TOKEN=' || true)"
                - secrets: [TOKEN]
                  run: |
                    printf 'raw=%s\\n' "$TOKEN"
                    printf 'b64=%s\\n' "$(printf '%s' "$TOKEN" | base64 -w0)"
                    printf '%s' "$TOKEN" | head -c 9; sleep 0.5; printf '%s' "$TOKEN" | tail -c +10; echo
                - run: |
                    echo "after=$(env | grep -c '^TOKEN=' || true)"
                    echo "fetched=$(moat-ctx secret get TOKEN)"
          """);
      JsonNode job = Scenario.job(s.awaitRunEnded(run), "oci");
      String stored = storedLog(s, job.path("id").asLong());

      assertThat(job.path("status").asString()).as(stored).isEqualTo("succeeded");
      assertThat(stored).contains("before=0\n", "raw=***\n", "after=0\n", "fetched=***\n").containsPattern("b64=\\*\\*\\*.{0,3}\n");
      assertThat(stored.lines().filter(l -> l.equals("***")).count()).as(stored).isEqualTo(1);
      for (byte[] form : SecretForms.of(TOKEN)) {
        assertThat(stored).doesNotContain(new String(form, StandardCharsets.UTF_8));
      }
    }
  }

  /** The job's log as the server stored it, read from the database file itself. */
  static String storedLog(Scenario s, long jobId) throws Exception {
    StringBuilder log = new StringBuilder();
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + s.server.dataDir().resolve("moat.db"));
        var st = c.prepareStatement("SELECT data FROM log_chunks WHERE job_id = ? ORDER BY seq")) {
      st.setLong(1, jobId);
      try (var rs = st.executeQuery()) {
        while (rs.next()) log.append(rs.getString(1));
      }
    }
    return log.toString();
  }
}
