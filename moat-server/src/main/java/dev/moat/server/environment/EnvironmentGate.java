package dev.moat.server.environment;

import dev.moat.engine.JobSpec;
import dev.moat.engine.trust.TrustTier;
import dev.moat.server.run.JobGate;
import org.jdbi.v3.core.Handle;

/**
 * Applies environments' protection rules to new jobs: an unknown environment, a branch it doesn't
 * allow or a trust tier below its minimum refuses the job (it is cancelled at creation with the
 * reason; the rest of the run goes on); otherwise the job is admitted with its approval gate and
 * wait timer. Thread-safe.
 */
public final class EnvironmentGate implements JobGate {
  private final Environments environments;

  public EnvironmentGate(Environments environments) {
    this.environments = environments;
  }

  @Override
  public Verdict check(Handle h, String repo, String ref, TrustTier tier, JobSpec job) {
    if (job.environment().isEmpty()) return Admitted.OPEN;
    String name = job.environment().get();
    var env = environments.find(h, name);
    if (env.isEmpty()) return new Refused(name, "unknown environment '" + name + "': create it with moat env create " + name);
    String why = env.get().refusal(ref, tier);
    if (why != null) return new Refused(name, why);
    return new Admitted(env.get().reviewers() > 0, env.get().waitTimer());
  }
}
