import dev.moat.common.mask.StreamMasker;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The log path's masking cost: {@link StreamMasker} with 100 secrets (so about 1,600 patterns: every
 * form of each) over 64 MiB of build-log-like text fed in 8 KiB chunks, against copying the same
 * chunks with no masking, side by side in one run. Each of the passes is timed; the best of each is
 * reported, with its throughput and the ratio. DESIGN.md section 9 target: at least 100 MB/s per job.
 *
 * <p>Usage: {@code java -cp moat.jar bench/LogMasking.java [passes=5] [secrets=100]}.
 */
public final class LogMasking {
  private static final int CHUNK = 8 * 1024;
  private static final int LOG_BYTES = 64 << 20;
  private static final double TARGET_MB_S = 100;

  public static void main(String[] args) {
    int passes = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int secretCount = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    Random random = new Random(7);
    List<String> secrets = new ArrayList<>();
    for (int i = 0; i < secretCount; i++) secrets.add("tok_" + Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()));
    byte[] log = buildLog(random, secrets);

    long bestCopy = Long.MAX_VALUE;
    long bestMask = Long.MAX_VALUE;
    long maskedCount = 0;
    for (int pass = 0; pass < passes + 1; pass++) { // pass 0 warms up both
      long t0 = System.nanoTime();
      long copied = copy(log);
      long t1 = System.nanoTime();
      long masks = mask(log, secrets);
      long t2 = System.nanoTime();
      if (pass == 0) continue;
      bestCopy = Math.min(bestCopy, t1 - t0);
      bestMask = Math.min(bestMask, t2 - t1);
      maskedCount = masks;
      if (copied != log.length) throw new IllegalStateException("copy lost bytes");
    }
    double mb = log.length / 1e6;
    double copyMbS = mb / (bestCopy / 1e9);
    double maskMbS = mb / (bestMask / 1e9);
    System.out.printf(Locale.ROOT, "Log masking: %d MiB in %d KiB chunks, %d secrets, best of %d passes (%s)%n",
        LOG_BYTES >> 20, CHUNK >> 10, secretCount, passes, Runtime.version());
    System.out.printf(Locale.ROOT, "  %-44s %9.0f MB/s%n", "copy, no masking", copyMbS);
    System.out.printf(Locale.ROOT, "  %-44s %9.0f MB/s   (%d masks written)%n", "StreamMasker", maskMbS, maskedCount);
    System.out.printf(Locale.ROOT, "  ratio copy / masking throughput: %.1fx%n", copyMbS / maskMbS);
    System.out.printf(Locale.ROOT, "  target (DESIGN.md section 9): masking >= %.0f MB/s with %d secrets: %s (%.0f MB/s)%n",
        TARGET_MB_S, secretCount, maskMbS >= TARGET_MB_S ? "met" : "MISSED", maskMbS);
  }

  /** Compiler-like lines, and every 500th line one of the secrets. */
  private static byte[] buildLog(Random random, List<String> secrets) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(LOG_BYTES + 200);
    String[] words = {"compiling", "src/main/java/dev/moat/Thing.java", "warning:", "[INFO]", "Tests", "run:", "12,",
        "Failures:", "0", "BUILD", "SUCCESS", "Downloading", "https://repo.example/org/lib/1.2.3/lib-1.2.3.jar"};
    int line = 0;
    while (out.size() < LOG_BYTES) {
      StringBuilder l = new StringBuilder();
      for (int w = 0; w < 8; w++) l.append(words[random.nextInt(words.length)]).append(' ');
      if (++line % 500 == 0) l.append("token=").append(secrets.get(random.nextInt(secrets.size())));
      out.writeBytes(l.append('\n').toString().getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  private static long copy(byte[] log) {
    long total = 0;
    byte[] sink = new byte[CHUNK];
    for (int at = 0; at < log.length; at += CHUNK) {
      int n = Math.min(CHUNK, log.length - at);
      System.arraycopy(log, at, sink, 0, n);
      total += n + (sink[0] & 0);
    }
    return total;
  }

  private static long mask(byte[] log, List<String> secrets) {
    StreamMasker masker = new StreamMasker(secrets);
    long masks = 0;
    for (int at = 0; at < log.length; at += CHUNK) {
      masks += count(masker.feed(log, at, Math.min(CHUNK, log.length - at)));
    }
    return masks + count(masker.finish());
  }

  private static long count(byte[] out) {
    long n = 0;
    for (int i = 0; i + 2 < out.length; i++) {
      if (out[i] == '*' && out[i + 1] == '*' && out[i + 2] == '*') n++;
    }
    return n;
  }
}
