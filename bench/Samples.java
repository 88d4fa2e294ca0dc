import java.util.Arrays;
import java.util.Locale;

/**
 * Latency samples of one measured thing, in nanoseconds, and their summary in milliseconds.
 * Percentiles are nearest-rank over all samples (so with 50 samples p99 is the maximum).
 * Shared by the bench programs: the source launcher compiles it from this directory (JEP 458).
 * Not thread-safe.
 */
final class Samples {
  private final String name;
  private long[] nanos = new long[64];
  private int size;

  Samples(String name) {
    this.name = name;
  }

  void add(long sampleNanos) {
    if (size == nanos.length) nanos = Arrays.copyOf(nanos, size * 2);
    nanos[size++] = sampleNanos;
  }

  String name() {
    return name;
  }

  int size() {
    return size;
  }

  /** Nearest-rank percentile, {@code p} in (0, 100], in milliseconds. */
  double percentileMs(double p) {
    if (size == 0) return Double.NaN;
    long[] sorted = Arrays.copyOf(nanos, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * size);
    return sorted[Math.max(rank, 1) - 1] / 1e6;
  }

  double meanMs() {
    if (size == 0) return Double.NaN;
    double sum = 0;
    for (int i = 0; i < size; i++) sum += nanos[i];
    return sum / size / 1e6;
  }

  static String header(int nameWidth) {
    return String.format(Locale.ROOT, "  %-" + nameWidth + "s %9s %9s %9s", "", "p50 ms", "p99 ms", "mean ms");
  }

  String row(int nameWidth) {
    return String.format(Locale.ROOT, "  %-" + nameWidth + "s %9.2f %9.2f %9.2f", name, percentileMs(50), percentileMs(99), meanMs());
  }

  /** "Ratio a/b" of p50, p99 and mean, e.g. {@code 5.1x / 4.0x / 5.3x}. */
  static String ratio(Samples a, Samples b) {
    return String.format(Locale.ROOT, "p50 %.1fx, p99 %.1fx, mean %.1fx",
        a.percentileMs(50) / b.percentileMs(50), a.percentileMs(99) / b.percentileMs(99), a.meanMs() / b.meanMs());
  }
}
