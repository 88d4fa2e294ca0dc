package dev.moat.server.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.common.secret.Secret;
import dev.moat.engine.trust.TrustTier;
import dev.moat.server.audit.Audit;
import dev.moat.server.environment.Environment;
import dev.moat.server.http.ApiException;
import dev.moat.server.run.RunView;
import dev.moat.server.trust.Approvals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Environments on the real run services and SQLite: their protection rules at run creation
 * (must-show 2: branches, trust, reviewers, wait timer) and what a job reads through its binding
 * (must-show 3: a job without it is denied, and the denial is audited).
 */
class EnvironmentSecretsTest {
  private static final String WORKFLOW = """
      on: [push]
      jobs:
        build: {runs-on: [linux], steps: [{run: 'make'}]}
        deploy: {needs: [build], runs-on: [linux], environment: production, steps: [{run: './deploy'}]}
      """;
  private static final String DEPLOY_ONLY = """
      on: [push]
      jobs:
        deploy: {runs-on: [linux], environment: production, steps: [{run: './deploy'}]}
        test: {runs-on: [linux], steps: [{run: 'make test'}]}
      """;

  @TempDir Path dir;
  private SecretWorld w;

  @BeforeEach
  void world() throws Exception {
    w = new SecretWorld(dir, List.of(SecretWorld.V1));
    w.secrets.set("user:admin", "env:production", "DEPLOY_TOKEN", Secret.of("prod-deploy-token-1"));
    w.secrets.set("user:admin", "repo:app", "APP_KEY", Secret.of("app-repo-key-1"));
    w.secrets.set("user:admin", "repo:other", "OTHER_KEY", Secret.of("other-repo-key-1"));
    w.secrets.set("user:admin", "global", "SHARED", Secret.of("global-shared-1"));
  }

  @AfterEach
  void close() {
    w.close();
  }

  private static RunView.JobView job(RunView run, String key) {
    return run.jobs().stream().filter(j -> j.key().equals(key)).findFirst().orElseThrow();
  }

  @Test
  void aJobFromFeatureXIsRefusedWithAClearReasonAndTheRestOfTheRunGoesOn() {
    w.production(1, Duration.ZERO);
    long run = w.push("app", "feature/x", SecretWorld.TRUSTED, DEPLOY_ONLY);

    RunView view = w.runs.view(run);
    assertThat(job(view, "deploy").status()).isEqualTo("cancelled");
    assertThat(job(view, "deploy").reason())
        .isEqualTo("refused by its environment: environment production allows only branches main; 'feature/x' is not one of them");
    assertThat(job(view, "test").status()).as("jobs without the environment still run").isEqualTo("queued");
    assertThat(view.hold()).as("a refused job asks for no review").isNull();
    var refused = w.audit.list(Optional.of(run), 10).stream().filter(e -> e.action().equals("environment_refused")).toList();
    assertThat(refused).hasSize(1);
    assertThat(refused.getFirst().detail()).containsEntry("job", "deploy").containsEntry("environment", "production");
    assertThat(w.claimAndStart()).containsExactly(w.jobId(run, "test"));
  }

  @Test
  void aJobFromMainWaitsForApprovalThenRunsAfterItsWaitTimer() {
    w.production(1, Duration.ofSeconds(30));
    long run = w.push("app", "main", SecretWorld.TRUSTED, WORKFLOW);

    RunView held = w.runs.view(run);
    assertThat(held.status()).isEqualTo("held");
    assertThat(held.hold().reason()).isEqualTo("environment_review");
    assertThat(held.hold().approverRole()).isEqualTo("maintainer");
    assertThat(w.claimAndStart()).as("nothing runs before the approval").isEmpty();

    w.approvals.approve(run, new Approvals.Approver.MoatUser(w.maintainer()), "ship it");
    List<Long> build = w.claimAndStart();
    assertThat(build).containsExactly(w.jobId(run, "build"));
    w.runs.finish("agent-1", build.getFirst(), new dev.moat.common.wire.JobResult("succeeded", 0, "ok", 0));

    assertThat(job(w.runs.view(run), "deploy").status()).isEqualTo("queued");
    assertThat(w.claimAndStart()).as("the wait timer holds the queued deploy").isEmpty();
    w.now.addAndGet(Duration.ofSeconds(29).toMillis());
    assertThat(w.claimAndStart()).isEmpty();
    w.now.addAndGet(Duration.ofSeconds(1).toMillis());
    assertThat(w.claimAndStart()).containsExactly(w.jobId(run, "deploy"));
    assertThat(w.actions()).contains("run_held", "run_approved");
  }

  @Test
  void anUnknownEnvironmentOrATooWeakTrustTierRefusesTheJob() {
    long unknown = w.push("app", "main", SecretWorld.TRUSTED, DEPLOY_ONLY);
    assertThat(job(w.runs.view(unknown), "deploy").reason())
        .isEqualTo("refused by its environment: unknown environment 'production': create it with moat env create production");

    w.production(0, Duration.ZERO);
    long known = w.push("app", "main", SecretWorld.KNOWN, DEPLOY_ONLY);
    assertThat(job(w.runs.view(known), "deploy").reason())
        .isEqualTo("refused by its environment: environment production needs a trusted run or better; this run is known");
  }

  @Test
  void aBoundJobReadsItsEnvironmentsSecretsAndEachReadIsAudited() {
    w.production(0, Duration.ZERO, "repo:app", "repo:other", "global");
    long run = w.push("app", "main", SecretWorld.TRUSTED, DEPLOY_ONLY);
    long deploy = w.jobId(run, "deploy");
    assertThat(w.claimAndStart()).contains(deploy);

    assertThat(w.secrets.forJob(deploy, "DEPLOY_TOKEN", "Deploy").revealText()).isEqualTo("prod-deploy-token-1");
    assertThat(w.secrets.forJob(deploy, "APP_KEY").revealText()).isEqualTo("app-repo-key-1");
    assertThat(w.secrets.forJob(deploy, "SHARED").revealText()).isEqualTo("global-shared-1");
    assertThatThrownBy(() -> w.secrets.forJob(deploy, "OTHER_KEY"))
        .as("a bound repo: scope is only for jobs of that repository")
        .isInstanceOf(ApiException.Forbidden.class)
        .hasMessage("secret OTHER_KEY denied: no secret OTHER_KEY in the scopes environment production grants to this job "
            + "(env:production, repo:app, global)");

    var reads = w.audit.list(Optional.of(run), 100).stream().filter(e -> e.action().equals("secret_read")).toList();
    assertThat(reads).hasSize(3);
    Audit.Event first = reads.getFirst();
    assertThat(first.actor()).isEqualTo("job:" + deploy);
    assertThat(first.subject()).isEqualTo("DEPLOY_TOKEN");
    assertThat(first.detail()).containsEntry("step", "Deploy").containsEntry("scope", "env:production")
        .containsEntry("environment", "production");
    assertThat(first.detail().toString()).doesNotContain("prod-deploy-token-1");

    assertThat(w.secrets.valuesForJob(deploy)).extracting(Secret::revealText)
        .containsExactlyInAnyOrder("prod-deploy-token-1", "app-repo-key-1", "global-shared-1");
  }

  @Test
  void aJobWithoutTheBindingIsDeniedAndTheDenialIsAudited() {
    w.production(0, Duration.ZERO, "global");
    long run = w.push("app", "main", SecretWorld.TRUSTED, DEPLOY_ONLY);
    long test = w.jobId(run, "test");
    w.claimAndStart();

    assertThatThrownBy(() -> w.secrets.forJob(test, "DEPLOY_TOKEN", "Test"))
        .isInstanceOf(ApiException.Forbidden.class)
        .hasMessage("secret DEPLOY_TOKEN denied: job " + test + " (test) has no environment: binding; only a job bound to "
            + "an environment gets secrets, from the scopes that environment grants");
    assertThatThrownBy(() -> w.secrets.forJob(test, "SHARED")).isInstanceOf(ApiException.Forbidden.class);
    assertThat(w.secrets.valuesForJob(test)).isEmpty();

    var denials = w.audit.list(Optional.of(run), 100).stream().filter(e -> e.action().equals("secret_denied")).toList();
    assertThat(denials).hasSize(2);
    assertThat(denials.getFirst().actor()).isEqualTo("job:" + test);
    assertThat(denials.getFirst().detail()).containsEntry("name", "DEPLOY_TOKEN").containsEntry("step", "Test")
        .containsKey("why");
  }

  @Test
  void aJobThatIsNotRunningOrWhoseEnvironmentWasRemovedIsDenied() {
    w.production(0, Duration.ZERO);
    long run = w.push("app", "main", SecretWorld.TRUSTED, DEPLOY_ONLY);
    long deploy = w.jobId(run, "deploy");
    assertThatThrownBy(() -> w.secrets.forJob(deploy, "DEPLOY_TOKEN"))
        .isInstanceOf(ApiException.Forbidden.class).hasMessage("secret DEPLOY_TOKEN denied: job " + deploy + " is queued, not running");

    w.claimAndStart();
    w.environments.remove("user:admin", "production");
    assertThatThrownBy(() -> w.secrets.forJob(deploy, "DEPLOY_TOKEN"))
        .isInstanceOf(ApiException.Forbidden.class)
        .hasMessage("secret DEPLOY_TOKEN denied: job " + deploy + "'s environment production does not exist");
    assertThat(w.actions()).contains("environment_created", "environment_removed");
  }

  @Test
  void environmentsRefuseBadRules() {
    assertThatThrownBy(() -> new Environment("production", List.of(), List.of("main"), TrustTier.TRUSTED, 2, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("reviewers must be 0 or 1 (an approval by one maintainer); 2 is not supported");
    assertThatThrownBy(() -> new Environment("Prod!", List.of(), List.of(), TrustTier.TRUSTED, 0, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("bad environment name 'Prod!'");
    assertThatThrownBy(() -> new Environment("prod", List.of("team:x"), List.of(), TrustTier.TRUSTED, 0, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("bad scope 'team:x'");
    var releases = new Environment("prod", List.of(), List.of("release/*", "hotfix/**"), TrustTier.KNOWN, 0, Duration.ZERO);
    assertThat(releases.refusal("refs/heads/release/1.2", TrustTier.KNOWN)).isNull();
    assertThat(releases.refusal("refs/heads/hotfix/a/b", TrustTier.TRUSTED)).isNull();
    assertThat(releases.refusal("refs/heads/release/1/2", TrustTier.TRUSTED)).contains("'release/1/2' is not one of them");
    assertThat(releases.refusal("refs/heads/release/1.2", TrustTier.UNKNOWN)).contains("needs a known run or better");
  }
}
