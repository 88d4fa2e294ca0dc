package dev.moat.server.run;

import dev.moat.common.wire.LogAck;
import dev.moat.common.wire.LogBatch;
import dev.moat.common.wire.LogChunk;
import dev.moat.server.event.Wakeup;
import dev.moat.server.http.ApiException;
import java.time.Duration;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Job logs as numbered chunks. A chunk is stored only if its number is the next one expected, so a
 * resent chunk is dropped and a gap is never stored: the reply tells the agent where to resume.
 * Readers may wait for new chunks (for {@code moat logs -f}). Every chunk is masked by
 * {@link LogMasks} before it is stored, so no secret value of the job reaches the database even if
 * the agent's own mask missed it. Thread-safe.
 */
public final class LogService {
  /** A slice of a job's log for readers. */
  public record LogPage(List<LogChunk> chunks, long next, boolean complete) {}

  private final Jdbi jdbi;
  private final Wakeup appended = new Wakeup();
  private final LogMasks masks;

  /** A log store without a server-side mask (no secret store). */
  public LogService(Jdbi jdbi) {
    this(jdbi, job -> List.of());
  }

  /** @param values the secret values each job may be handed, masked in its log */
  public LogService(Jdbi jdbi, dev.moat.server.ctx.CtxBackends.JobSecretValues values) {
    this.jdbi = jdbi;
    this.masks = new LogMasks(values);
  }

  /** Appends the chunks that extend the stored log; only the agent holding the job may write. */
  public LogAck append(String agentId, long jobId, LogBatch batch) {
    long next = jdbi.inTransaction(h -> {
      requireOwner(h, agentId, jobId);
      long expected = nextSeq(h, jobId);
      for (LogChunk chunk : batch.chunks()) {
        if (chunk.seq() < expected) continue;
        if (chunk.seq() > expected) break;
        insert(h, jobId, chunk.seq(), masks.mask(jobId, chunk.data()));
        expected++;
      }
      return expected;
    });
    appended.signalAll();
    return new LogAck(next);
  }

  /**
   * The agent's log is complete (it is about to report the result): stores what the mask still
   * carried as one last chunk. Only the agent holding the job may.
   */
  public void complete(String agentId, long jobId) {
    jdbi.useTransaction(h -> {
      requireOwner(h, agentId, jobId);
      String rest = masks.finish(jobId);
      if (!rest.isEmpty()) insert(h, jobId, nextSeq(h, jobId), rest);
    });
    appended.signalAll();
  }

  private static void requireOwner(Handle h, String agentId, long jobId) {
    String owner = h.createQuery("SELECT agent_id FROM jobs WHERE id = :id").bind("id", jobId)
        .mapTo(String.class).findOne().orElseThrow(() -> ApiException.notFound("no job " + jobId));
    if (!agentId.equals(owner)) throw ApiException.forbidden("job " + jobId + " is not assigned to this agent");
  }

  private static void insert(Handle h, long jobId, long seq, String data) {
    h.createUpdate("INSERT INTO log_chunks (job_id, seq, data) VALUES (:job, :seq, :data)")
        .bind("job", jobId).bind("seq", seq).bind("data", data).execute();
  }

  /**
   * Chunks from {@code from} on. When there are none yet and the job is still going, waits up to
   * {@code wait} for more. {@code complete} tells that the job has ended and every chunk was read.
   */
  public LogPage read(long jobId, long from, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      long seen = appended.generation();
      LogPage page = jdbi.withHandle(h -> page(h, jobId, from));
      long left = deadline - System.nanoTime();
      if (!page.chunks().isEmpty() || page.complete() || left <= 0) return page;
      appended.await(seen, Duration.ofNanos(Math.min(left, Duration.ofMillis(500).toNanos())));
    }
  }

  private static LogPage page(Handle h, long jobId, long from) {
    String state = h.createQuery("SELECT state FROM jobs WHERE id = :id").bind("id", jobId)
        .mapTo(String.class).findOne().orElseThrow(() -> ApiException.notFound("no job " + jobId));
    boolean ended = dev.moat.engine.JobState.ofWire(state).terminal();
    List<LogChunk> chunks = h.createQuery("SELECT seq, data FROM log_chunks WHERE job_id = :job AND seq >= :from ORDER BY seq LIMIT 256")
        .bind("job", jobId).bind("from", from)
        .map((rs, c) -> new LogChunk(rs.getLong("seq"), rs.getString("data"))).list();
    long next = chunks.isEmpty() ? from : chunks.getLast().seq() + 1;
    boolean complete = ended && next >= nextSeq(h, jobId);
    return new LogPage(chunks, next, complete);
  }

  private static long nextSeq(Handle h, long jobId) {
    return h.createQuery("SELECT COALESCE(MAX(seq) + 1, 0) FROM log_chunks WHERE job_id = :job")
        .bind("job", jobId).mapTo(Long.class).one();
  }
}
