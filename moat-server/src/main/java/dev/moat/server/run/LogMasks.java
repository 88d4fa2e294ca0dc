package dev.moat.server.run;

import dev.moat.common.mask.StreamMasker;
import dev.moat.common.mask.Utf8;
import dev.moat.common.secret.Secret;
import dev.moat.server.ctx.CtxBackends;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's own mask over each job's log (I8, the second line after the agent's): every value the
 * job may be handed ({@link CtxBackends#values()}, read at the job's first chunk) is masked in
 * every form before a chunk is stored, also when a match spans chunks: one {@link StreamMasker} per
 * job carries the bytes that could start a match into the next chunk, and {@link #finish} releases
 * them when the job ends. Bytes carried when the server stops are lost with it (at most the longest
 * form less one byte); they are never stored unmasked.
 *
 * <p>Thread-safety: jobs are independent; the chunks of one job are appended one batch at a time
 * (the caller's transaction), and each job's state is used under its own lock.
 */
final class LogMasks {
  private final CtxBackends.JobSecretValues values;
  private final Map<Long, JobMask> jobs = new ConcurrentHashMap<>();

  LogMasks(CtxBackends.JobSecretValues values) {
    this.values = values;
  }

  private static final class JobMask {
    final StreamMasker masker;
    byte[] carry = new byte[0];

    JobMask(StreamMasker masker) {
      this.masker = masker;
    }
  }

  /** What of {@code data} may be stored now, masked; the rest waits for the next chunk. */
  String mask(long jobId, String data) {
    JobMask mask = jobs.computeIfAbsent(jobId, id -> new JobMask(
        new StreamMasker(values.valuesForJob(id).stream().map(Secret::revealText).toList())));
    synchronized (mask) {
      byte[] out = join(mask.carry, mask.masker.feed(data.getBytes(StandardCharsets.UTF_8)));
      int cut = Utf8.boundary(out, out.length);
      mask.carry = Arrays.copyOfRange(out, cut, out.length);
      return new String(out, 0, cut, StandardCharsets.UTF_8);
    }
  }

  /** Everything still carried for the job, masked, and forgets the job; "" when nothing is. */
  String finish(long jobId) {
    JobMask mask = jobs.remove(jobId);
    if (mask == null) return "";
    synchronized (mask) {
      return new String(join(mask.carry, mask.masker.finish()), StandardCharsets.UTF_8);
    }
  }

  private static byte[] join(byte[] a, byte[] b) {
    if (a.length == 0) return b;
    ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
    out.writeBytes(a);
    out.writeBytes(b);
    return out.toByteArray();
  }
}
