package dev.moat.sandbox.cgroup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * "Join, then exec" as data: a command prefix that writes its own pid into every one of a job's
 * {@code cgroup.procs} files and only then {@code exec}s the rest of the command line. So the
 * first instruction of the job already runs inside its limits, and everything it forks inherits
 * them: no job process ever runs outside its cgroups.
 *
 * <p>The prefix is {@code /bin/sh -c SCRIPT moat-cgroup-join FILE... --}. If any write fails the
 * shell exits with {@link #JOIN_FAILED} and nothing after {@code --} runs. It must run with the
 * privilege to write the files (root, before {@code setpriv} drops to the job's uid), so it goes in
 * front of everything else: {@code wrap(setprivBwrapArgv)}.
 *
 * <p>Invariants: at least one file; every file is absolute, named {@code cgroup.procs} and free of
 * NUL. Immutable.
 *
 * @param procsFiles the {@code cgroup.procs} files to join, in order
 */
public record JoinPrefix(List<Path> procsFiles) {
  /** The exit status when a cgroup can't be joined (the command never started). */
  public static final int JOIN_FAILED = 125;
  static final String SHELL = "/bin/sh";
  static final String SCRIPT =
      "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit " + JOIN_FAILED + "; shift; done; shift; exec \"$@\"";
  static final String NAME = "moat-cgroup-join";

  public JoinPrefix {
    procsFiles = List.copyOf(procsFiles);
    if (procsFiles.isEmpty()) throw new IllegalArgumentException("no cgroup to join");
    for (Path f : procsFiles) {
      if (!f.isAbsolute() || !f.getFileName().toString().equals("cgroup.procs") || f.toString().indexOf('\0') >= 0) {
        throw new IllegalArgumentException("not an absolute cgroup.procs path: " + f);
      }
    }
  }

  /** The prefix alone, ending with {@code --}; the command follows it. */
  public List<String> argv() {
    List<String> argv = new ArrayList<>(List.of(SHELL, "-c", SCRIPT, NAME));
    procsFiles.forEach(f -> argv.add(f.toString()));
    argv.add("--");
    return List.copyOf(argv);
  }

  /** {@code command} preceded by this prefix: the argv to start instead of {@code command}. */
  public List<String> wrap(List<String> command) {
    if (command.isEmpty()) throw new IllegalArgumentException("command must not be empty");
    List<String> argv = new ArrayList<>(argv());
    argv.addAll(command);
    return List.copyOf(argv);
  }
}
