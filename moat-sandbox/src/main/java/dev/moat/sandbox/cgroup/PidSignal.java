package dev.moat.sandbox.cgroup;

/**
 * SIGKILL for a pid read from a job's {@code cgroup.procs}. Callers only pass pids of a job's
 * cgroup, read while the job can no longer fork (frozen) or repeatedly until it is empty, so a
 * recycled pid is not a concern in practice. Never signals this JVM. Stateless.
 */
final class PidSignal {
  private PidSignal() {}

  static void kill(long pid) {
    if (pid == ProcessHandle.current().pid()) return;
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }
}
