package dev.moat.agent;

import dev.moat.common.mask.StreamMasker;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A job's log on its way to the {@link LogShipper}: every secret value the job was handed (its
 * steps' {@code secrets:} and each {@code moat-ctx secret get} answer) is masked, in every form
 * that {@link dev.moat.common.mask.SecretForms} knows, before a byte leaves the host (I8), also
 * when a value is split across writes. A value is added <em>before</em> the job receives it, so
 * nothing the job could print of it has passed the masker yet: the bytes held back by the old
 * masker are released (masked by the old set) and a new masker over the larger set takes over.
 *
 * <p>Thread-safety: {@link #write}, {@link #line} and {@link #mask} may be called from any thread
 * (the output pump, the job thread, ctx connections); one lock orders them.
 */
final class MaskedLog {
  private final LogShipper shipper;
  private final ReentrantLock lock = new ReentrantLock();
  private final Set<String> values = new LinkedHashSet<>();
  private StreamMasker masker = new StreamMasker(Set.of());

  MaskedLog(LogShipper shipper) {
    this.shipper = shipper;
  }

  /** Masks {@code value} from now on; values under the mask's minimum length are refused by the store. */
  void mask(String value) {
    lock.lock();
    try {
      if (!values.add(value)) return;
      byte[] released = masker.finish();
      shipper.write(released, 0, released.length);
      masker = new StreamMasker(values);
    } finally {
      lock.unlock();
    }
  }

  void write(byte[] buf, int off, int len) {
    lock.lock();
    try {
      byte[] out = masker.feed(buf, off, len);
      shipper.write(out, 0, out.length);
    } finally {
      lock.unlock();
    }
  }

  void line(String text) {
    byte[] b = (text + "\n").getBytes(StandardCharsets.UTF_8);
    write(b, 0, b.length);
  }

  /** Releases what the masker still holds, then flushes and closes the shipper. */
  void close() throws InterruptedException {
    lock.lock();
    try {
      byte[] rest = masker.finish();
      shipper.write(rest, 0, rest.length);
    } finally {
      lock.unlock();
    }
    shipper.close();
  }
}
