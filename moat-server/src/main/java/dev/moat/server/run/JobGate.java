package dev.moat.server.run;

import dev.moat.engine.JobSpec;
import dev.moat.engine.trust.TrustTier;
import java.time.Duration;
import org.jdbi.v3.core.Handle;

/**
 * What a job's {@code environment:} decides when its run is created: refused (with the reason), or
 * admitted with the environment's approval gate and wait timer. A job without an environment is
 * always admitted, ungated. Implementations are thread-safe.
 */
@FunctionalInterface
public interface JobGate {
  sealed interface Verdict {}

  /** The job may run: after a maintainer's approval of its run if {@code review}, and {@code waitTimer} after it is queued. */
  record Admitted(boolean review, Duration waitTimer) implements Verdict {
    public static final Admitted OPEN = new Admitted(false, Duration.ZERO);
  }

  /** The job is cancelled at once with {@code reason}; the rest of its run goes on. */
  record Refused(String environment, String reason) implements Verdict {}

  /** Decides for {@code job} of a run on {@code ref} of {@code repo} with trust {@code tier}, in the run's transaction. */
  Verdict check(Handle h, String repo, String ref, TrustTier tier, JobSpec job);

  /** For a server without environments: a job that names one is refused. */
  JobGate NONE = (h, repo, ref, tier, job) -> job.environment()
      .<Verdict>map(e -> new Refused(e, "unknown environment '" + e + "'"))
      .orElse(Admitted.OPEN);
}
