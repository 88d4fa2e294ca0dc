package dev.moat.server.ctx;

import dev.moat.common.wire.CtxOutput;
import dev.moat.server.http.ApiException;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Job outputs ({@code job_outputs}): a running job sets them with {@code moat-ctx output set}; the
 * jobs of the same run that {@code needs:} it get them in their environment as
 * {@link CtxOutput#variable}. At most {@link #MAX_PER_JOB} keys per job; setting a key again
 * replaces its value. Thread-safe.
 */
public final class JobOutputs {
  public static final int MAX_PER_JOB = 64;
  private final Jdbi jdbi;
  private final InstantSource clock;

  public JobOutputs(Jdbi jdbi, InstantSource clock) {
    this.jdbi = jdbi;
    this.clock = clock;
  }

  public void set(long jobId, CtxOutput output) {
    jdbi.useTransaction(h -> {
      int count = h.createQuery("SELECT count(*) FROM job_outputs WHERE job_id = :job AND key <> :key")
          .bind("job", jobId).bind("key", output.key()).mapTo(Integer.class).one();
      if (count >= MAX_PER_JOB) throw ApiException.invalid("job " + jobId + " already has " + MAX_PER_JOB + " outputs, the limit");
      h.createUpdate("""
          INSERT INTO job_outputs (job_id, key, value, updated_at) VALUES (:job, :key, :value, :now)
          ON CONFLICT (job_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""")
          .bind("job", jobId).bind("key", output.key()).bind("value", output.value()).bind("now", clock.millis()).execute();
    });
  }

  /** The outputs of the jobs {@code needs} (job keys) of run {@code runId}, as variables. */
  public static Map<String, String> forNeeds(Handle h, long runId, List<String> needs) {
    Map<String, String> env = new LinkedHashMap<>();
    if (needs.isEmpty()) return env;
    h.createQuery("""
        SELECT j.job_key, o.key, o.value FROM job_outputs o JOIN jobs j ON j.id = o.job_id
        WHERE j.run_id = :run AND j.job_key IN (<needs>) ORDER BY j.job_key, o.key""")
        .bind("run", runId).bindList("needs", needs)
        .map((rs, c) -> Map.entry(CtxOutput.variable(rs.getString(1), rs.getString(2)), rs.getString(3)))
        .forEach(e -> env.put(e.getKey(), e.getValue()));
    return env;
  }
}
