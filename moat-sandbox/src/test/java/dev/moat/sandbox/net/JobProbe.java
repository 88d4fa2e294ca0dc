package dev.moat.sandbox.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs attacks from inside a job network the way a job would: entered through
 * {@link JobNetwork#enter()} as root, then {@code setpriv} to uid 65500 with no capabilities, in a
 * private mount namespace whose {@code /etc/hosts} is the job's ({@code localhost} plus
 * {@link JobNetwork#hostsEntries()}). Connects use bash's {@code /dev/tcp}, and each probe times its
 * own connect in microseconds, so process start-up is not measured.
 */
public final class JobProbe {
  static final int JOB_UID = 65500;
  static final List<String> SETPRIV = List.of("/usr/bin/setpriv", "--reuid=" + JOB_UID, "--regid=" + JOB_UID,
      "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--");
  /** Per target {@code host:port}: BEGIN, bash's own error lines, then END with OPEN or FAILED. */
  public static final String CONNECT = """
      for t in "$@"; do
        ( h=${t%:*}; p=${t##*:}; echo "BEGIN $t"; exec 2>&1
          t0=${EPOCHREALTIME/./}
          if exec 3<>"/dev/tcp/$h/$p"; then
            t1=${EPOCHREALTIME/./}; read -t 5 -r line <&3; echo "END $t OPEN $((t1-t0)) $line"
          else
            t1=${EPOCHREALTIME/./}; echo "END $t FAILED $((t1-t0))"
          fi )
      done
      """;
  private static final Pattern BLOCK = Pattern.compile("BEGIN (\\S+)\\n(.*?)END \\1 (OPEN|FAILED) ([0-9]+) ?([^\\n]*)\\n", Pattern.DOTALL);

  /**
   * What one connect did.
   *
   * @param target {@code host:port}
   * @param open whether it connected
   * @param micros how long the connect took
   * @param error bash's error text (e.g. "connect: Connection refused"), empty when open
   * @param answer the first line the server sent, when open
   */
  public record Outcome(String target, boolean open, long micros, String error, String answer) {
    public double millis() {
      return micros / 1000.0;
    }
  }

  private JobProbe() {}

  /** Connects to each {@code host:port} from inside the job, one after another. */
  static Map<String, Outcome> connect(JobNetwork job, List<String> targets) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("/bin/bash", "-c", CONNECT, "probe"));
    command.addAll(targets);
    return parse(run(job, command), targets);
  }

  /**
   * The outcomes in the output of {@link #CONNECT} run with {@code targets} as its arguments, by
   * target; fails when one is missing. For probes run by a tier's own sandbox.
   */
  public static Map<String, Outcome> parse(String out, List<String> targets) {
    Map<String, Outcome> outcomes = new LinkedHashMap<>();
    Matcher m = BLOCK.matcher(out);
    while (m.find()) {
      String error = m.group(2).lines().map(l -> l.substring(l.lastIndexOf(": ") + 2)).findFirst().orElse("");
      outcomes.put(m.group(1), new Outcome(m.group(1), m.group(3).equals("OPEN"), Long.parseLong(m.group(4)), error, m.group(5)));
    }
    if (!outcomes.keySet().containsAll(targets)) throw new AssertionError("probe output incomplete:\n" + out);
    return outcomes;
  }

  /** Runs {@code command} in the job as uid 65500 and returns its output (stdout and stderr). */
  static String run(JobNetwork job, List<String> command) throws IOException, InterruptedException {
    // Readable by the job's uid: the bind keeps the file's mode.
    Path hosts = Files.createTempFile("moat-egress-hosts", "", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
    try {
      Files.writeString(hosts, "127.0.0.1\tlocalhost\n" + job.hostsEntries());
      List<String> inner = new ArrayList<>(List.of("/usr/bin/unshare", "--mount", "--", "/bin/sh", "-c",
          "mount --bind \"$1\" /etc/hosts && shift && exec \"$@\"", "moat-probe", hosts.toString()));
      inner.addAll(SETPRIV);
      inner.addAll(command);
      Process p = new ProcessBuilder(job.enter().wrap(inner)).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("probe did not finish:\n" + out);
      }
      return out;
    } finally {
      Files.deleteIfExists(hosts);
    }
  }
}
