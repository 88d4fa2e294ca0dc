package dev.moat.server.run;

import dev.moat.engine.JobState;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jdbi.v3.core.Jdbi;

/**
 * The key service levels for {@code moat stats}, read from the database: per pool, the p50 and p95
 * queue wait (queued to started) of jobs that started in the window and the success rate of jobs
 * that finished in it; and the runs held now by reason. A job's pool is that of the agent that took
 * it. Success counts SUCCEEDED against FAILED, TIMED_OUT and LOST; cancelled and skipped jobs are
 * no outcome of the service. Thread-safe (reads only).
 */
public final class ServiceLevels {
  /** The states that are an outcome of the service: success against failure. */
  private static final List<JobState> OUTCOMES = List.of(JobState.SUCCEEDED, JobState.FAILED, JobState.TIMED_OUT, JobState.LOST);

  private final Jdbi jdbi;
  private final InstantSource clock;

  public ServiceLevels(Jdbi jdbi, InstantSource clock) {
    this.jdbi = jdbi;
    this.clock = clock;
  }

  /**
   * One pool's levels; the wait percentiles are null when no job started in the window, and {@code
   * successRate} is null when none finished.
   */
  public record Pool(String pool, int started, Double queueWaitP50Seconds, Double queueWaitP95Seconds, int finished,
      Double successRate) {}

  /** The levels over the last {@code windowSeconds}, pools by name, holds by reason. */
  public record Levels(long windowSeconds, List<Pool> pools, Map<String, Long> held) {}

  public Levels over(Duration window) {
    long since = clock.millis() - window.toMillis();
    return jdbi.withHandle(h -> {
      Map<String, List<Long>> waits = new TreeMap<>();
      h.createQuery("""
          SELECT a.pool, j.started_at - j.queued_at AS wait FROM jobs j JOIN agents a ON a.id = j.agent_id
          WHERE j.started_at >= :since AND j.queued_at IS NOT NULL ORDER BY wait""")
          .bind("since", since)
          .map((rs, c) -> Map.entry(rs.getString("pool"), rs.getLong("wait")))
          .forEach(e -> waits.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
      Map<String, long[]> outcomes = new TreeMap<>();
      h.createQuery("""
          SELECT a.pool, j.state, count(*) AS n FROM jobs j JOIN agents a ON a.id = j.agent_id
          WHERE j.finished_at >= :since AND j.state IN (<outcomes>)
          GROUP BY a.pool, j.state""")
          .bind("since", since)
          .bindList("outcomes", OUTCOMES.stream().map(JobState::wire).toList())
          .map((rs, c) -> new Object[] {rs.getString("pool"), rs.getString("state"), rs.getLong("n")})
          .forEach(row -> {
            long[] counts = outcomes.computeIfAbsent((String) row[0], k -> new long[2]);
            if (JobState.SUCCEEDED.wire().equals(row[1])) counts[0] += (Long) row[2];
            counts[1] += (Long) row[2];
          });
      var names = new TreeMap<String, Boolean>();
      waits.keySet().forEach(p -> names.put(p, true));
      outcomes.keySet().forEach(p -> names.put(p, true));
      List<Pool> pools = new ArrayList<>();
      for (String pool : names.keySet()) {
        List<Long> w = waits.getOrDefault(pool, List.of());
        long[] o = outcomes.getOrDefault(pool, new long[2]);
        pools.add(new Pool(pool, w.size(), percentile(w, 50), percentile(w, 95), (int) o[1],
            o[1] == 0 ? null : (double) o[0] / o[1]));
      }
      Map<String, Long> held = new LinkedHashMap<>();
      h.createQuery("SELECT reason, count(*) AS n FROM holds WHERE decision IS NULL GROUP BY reason ORDER BY reason")
          .map((rs, c) -> Map.entry(rs.getString("reason"), rs.getLong("n")))
          .forEach(e -> held.put(e.getKey(), e.getValue()));
      return new Levels(window.toSeconds(), pools, held);
    });
  }

  /** Nearest-rank percentile of sorted millisecond values, in seconds; null for none. */
  static Double percentile(List<Long> sortedMillis, int p) {
    if (sortedMillis.isEmpty()) return null;
    int rank = (int) Math.ceil(p / 100.0 * sortedMillis.size());
    return sortedMillis.get(Math.max(rank, 1) - 1) / 1000.0;
  }
}
