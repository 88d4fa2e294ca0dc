package dev.moat.sandbox.net;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * "Enter the job's network namespace, then exec" as data, like
 * {@link dev.moat.sandbox.cgroup.JoinPrefix}: {@code /usr/bin/nsenter --net=PATH --} in front of a
 * command. {@code setns} needs {@code CAP_SYS_ADMIN}, so the prefix goes before {@code setpriv}
 * drops root: {@code join.wrap(enter.wrap(setprivBwrapArgv))}, and bwrap then keeps the network
 * ({@code --unshare-all --share-net}). The process keeps its pid through the exec.
 *
 * <p>Invariants: the path is absolute and free of NUL. Immutable.
 *
 * @param netns the namespace file, e.g. {@code /run/netns/moat-mj7}
 */
public record NetnsEnter(Path netns) {
  static final String NSENTER = "/usr/bin/nsenter";

  public NetnsEnter {
    Objects.requireNonNull(netns, "netns");
    if (!netns.isAbsolute() || netns.toString().indexOf('\0') >= 0) throw new IllegalArgumentException("bad netns path: " + netns);
  }

  /** The prefix alone, ending with {@code --}. */
  public List<String> argv() {
    return List.of(NSENTER, "--net=" + netns, "--");
  }

  /** {@code command} preceded by this prefix. */
  public List<String> wrap(List<String> command) {
    if (command.isEmpty()) throw new IllegalArgumentException("command must not be empty");
    List<String> argv = new ArrayList<>(argv());
    argv.addAll(command);
    return List.copyOf(argv);
  }
}
