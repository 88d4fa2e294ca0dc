package dev.moat.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.sandbox.ExecResult.LimitHit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The shell attacks on a job's limits that both tiers' tests run, and how to read their output. */
public final class LimitScripts {
  /** Forks sleepers until the pids cap refuses, printing the count after each fork. */
  public static final String FORK_BOMB = "n=0; while :; do sleep 60 & n=$((n+1)); echo forked $n; done";
  /** Holds 400 MB in one shell variable: more than the tests' memory caps. */
  public static final String MEMORY_BOMB = "x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo survived ${#x}";
  /** Spins for 3 s of wall time in the shell itself and prints its own CPU time (clock ticks). */
  public static final String SPIN = """
      read up _ < /proc/uptime; start=${up%.*}${up#*.}; now=$start
      while [ $((now - start)) -lt 300 ]; do read up _ < /proc/uptime; now=${up%.*}${up#*.}; done
      read stat < /proc/$$/stat; set -- $stat; echo "wall $((now - start)) cpu $((${14} + ${15}))"
      """;

  private LimitScripts() {}

  /** {@link #FORK_BOMB} stopped just below a cap of {@code pidsMax} and the result says so. */
  public static void assertStoppedAtPidsCap(ExecResult result, String output, int pidsMax) {
    assertThat(result.limitsHit()).contains(LimitHit.PIDS);
    assertThat(output).contains("Cannot fork");
    assertThat(forked(output)).isBetween(pidsMax - 8, pidsMax - 1);
  }

  /** {@link #MEMORY_BOMB} was killed and the result says it ran out of memory. */
  public static void assertKilledForMemory(ExecResult result, String output) {
    assertThat(result.limitsHit()).contains(LimitHit.MEMORY);
    assertThat(output).doesNotContain("survived");
    assertThat(result.exitCode()).isNotZero();
  }

  /** The most forks {@link #FORK_BOMB} reported. */
  public static int forked(String output) {
    return Pattern.compile("forked (\\d+)").matcher(output).results()
        .mapToInt(m -> Integer.parseInt(m.group(1))).max().orElse(0);
  }

  /** CPU time over wall time from {@link #SPIN}'s output. */
  public static double cpuShare(String output) {
    Matcher m = Pattern.compile("wall (\\d+) cpu (\\d+)").matcher(output);
    assertThat(m.find()).as(output).isTrue();
    return Double.parseDouble(m.group(2)) / Double.parseDouble(m.group(1));
  }
}
