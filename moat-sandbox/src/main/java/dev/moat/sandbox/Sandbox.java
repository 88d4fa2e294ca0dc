package dev.moat.sandbox;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One job's isolated environment. Steps run in it one after another through {@link #exec}; a
 * concurrent {@link #kill()} (cancel) ends whatever runs and every later exec. {@link #close()}
 * destroys everything the sandbox made. Never a process outlives the sandbox: kill is by pid
 * namespace (or cgroup), never by single pid or name.
 *
 * <p>Thread-safety: {@code exec} is called from one thread at a time; {@code kill} and
 * {@code close} may be called from any thread.
 */
public interface Sandbox extends AutoCloseable {
  /**
   * Runs {@code argv} inside the sandbox with exactly {@code env} (nothing of the caller's
   * environment leaks in), working directory {@link SandboxSpec#WORKSPACE}, stdout and stderr merged
   * into {@code output}. Blocks until the command and every process it started have ended, or until
   * {@code deadline}, when the whole sandbox's processes are killed.
   */
  ExecResult exec(List<String> argv, Map<String, String> env, OutputSink output, Instant deadline)
      throws IOException;

  /**
   * Connections out of the sandbox that its egress policy refused so far: 0 when the sandbox has no
   * network beyond loopback, which refuses without counting.
   */
  default long egressDenials() throws IOException {
    return 0;
  }

  /**
   * Where on the host the agent binds the job's ctx socket listener, before the first exec, when the
   * spec had a ctx helper: in the sandbox's private scratch directory, in a directory of mode 0700
   * owned by the job's uid, so that only the job's processes (and root) can reach it. Inside the
   * sandbox it appears at {@link SandboxSpec#CTX_SOCKET}. Removed with the sandbox.
   */
  default Optional<Path> ctxSocket() {
    return Optional.empty();
  }

  /** Kills everything running in the sandbox now and refuses later execs (cancel). Idempotent. */
  void kill();

  /** Kills what still runs and releases host resources. Idempotent; does not delete the workspace. */
  @Override
  void close();
}
