/*
 * Moat's seccomp probe: makes each named syscall directly, with harmless arguments, and prints
 * "<name>: OK" or "<name>: <ERRNO NAME>". Run inside a sandbox; never on the host.
 * "clone" is a plain fork (must work); "clone_newuser" is clone(CLONE_NEWUSER) (must not);
 * "int80" makes getpid through the 32-bit entry point (the filter kills the process).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long child_or_result(long r) {
  if (r == 0) _exit(0); /* in a child of clone: leave at once */
  if (r > 0) waitpid((pid_t) r, NULL, 0);
  return r;
}

static long call(const char *name) {
  static char buf[64];
  if (!strcmp(name, "getpid")) return syscall(SYS_getpid);
  if (!strcmp(name, "mount")) return syscall(SYS_mount, "none", "/tmp", "tmpfs", 0L, NULL);
  if (!strcmp(name, "umount2")) return syscall(SYS_umount2, "/tmp", 0);
  if (!strcmp(name, "pivot_root")) return syscall(SYS_pivot_root, ".", ".");
  if (!strcmp(name, "chroot")) return syscall(SYS_chroot, "/");
  if (!strcmp(name, "open_tree")) return syscall(SYS_open_tree, AT_FDCWD, "/", 0);
  if (!strcmp(name, "move_mount")) return syscall(SYS_move_mount, -1, "", -1, "", 0);
  if (!strcmp(name, "fsopen")) return syscall(SYS_fsopen, "tmpfs", 0);
  if (!strcmp(name, "fsconfig")) return syscall(SYS_fsconfig, -1, 0, NULL, NULL, 0);
  if (!strcmp(name, "fsmount")) return syscall(SYS_fsmount, -1, 0, 0);
  if (!strcmp(name, "fspick")) return syscall(SYS_fspick, AT_FDCWD, "/", 0);
  if (!strcmp(name, "mount_setattr")) return syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, NULL, 0);
  if (!strcmp(name, "unshare")) return syscall(SYS_unshare, CLONE_NEWUSER);
  if (!strcmp(name, "setns")) return syscall(SYS_setns, 0, 0);
  if (!strcmp(name, "clone")) return child_or_result(syscall(SYS_clone, (long) SIGCHLD, 0L, 0L, 0L, 0L));
  if (!strcmp(name, "clone_newuser")) {
    return child_or_result(syscall(SYS_clone, (long) (CLONE_NEWUSER | SIGCHLD), 0L, 0L, 0L, 0L));
  }
  if (!strcmp(name, "clone3")) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    return child_or_result(syscall(SYS_clone3, &args, sizeof args));
  }
  if (!strcmp(name, "ptrace")) return syscall(SYS_ptrace, 0L /* PTRACE_TRACEME */, 0L, 0L, 0L);
  if (!strcmp(name, "process_vm_readv") || !strcmp(name, "process_vm_writev")) {
    char target[8] = "x";
    struct iovec local = {buf, 1}, remote = {target, 1};
    long nr = !strcmp(name, "process_vm_readv") ? SYS_process_vm_readv : SYS_process_vm_writev;
    return syscall(nr, (long) getpid(), &local, 1L, &remote, 1L, 0L);
  }
  if (!strcmp(name, "kcmp")) return syscall(SYS_kcmp, (long) getpid(), (long) getpid(), 0L /* KCMP_FILE */, 0L, 0L);
  if (!strcmp(name, "keyctl")) return syscall(SYS_keyctl, (long) KEYCTL_GET_KEYRING_ID, (long) KEY_SPEC_SESSION_KEYRING, 0L);
  if (!strcmp(name, "add_key")) return syscall(SYS_add_key, "user", "moat-probe", "x", 1L, (long) KEY_SPEC_PROCESS_KEYRING);
  if (!strcmp(name, "request_key")) return syscall(SYS_request_key, "user", "moat-probe-none", NULL, 0L);
  if (!strcmp(name, "bpf")) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    return syscall(SYS_bpf, (long) BPF_MAP_CREATE, &attr, (long) sizeof attr);
  }
  if (!strcmp(name, "perf_event_open")) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.size = sizeof attr;
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    return syscall(SYS_perf_event_open, &attr, 0L, -1L, -1L, 0L);
  }
  if (!strcmp(name, "userfaultfd")) return syscall(SYS_userfaultfd, 0L);
  if (!strcmp(name, "io_uring_setup")) {
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    return syscall(SYS_io_uring_setup, 1L, &params);
  }
  if (!strcmp(name, "io_uring_enter")) return syscall(SYS_io_uring_enter, -1L, 0L, 0L, 0L, NULL, 0L);
  if (!strcmp(name, "io_uring_register")) return syscall(SYS_io_uring_register, -1L, 0L, NULL, 0L);
  if (!strcmp(name, "init_module")) return syscall(SYS_init_module, buf, 0L, "");
  if (!strcmp(name, "finit_module")) return syscall(SYS_finit_module, -1L, "", 0L);
  if (!strcmp(name, "delete_module")) return syscall(SYS_delete_module, "moat_probe_none", (long) O_NONBLOCK);
  if (!strcmp(name, "create_module")) return syscall(SYS_create_module, "moat_probe", 0L);
  if (!strcmp(name, "kexec_load")) return syscall(SYS_kexec_load, 0L, 0L, NULL, 0L);
  if (!strcmp(name, "kexec_file_load")) return syscall(SYS_kexec_file_load, -1L, -1L, 0L, "", 0L);
  if (!strcmp(name, "reboot")) return syscall(SYS_reboot, 0L, 0L, 0L, NULL); /* bad magic: EINVAL at most */
  if (!strcmp(name, "swapon")) return syscall(SYS_swapon, "/nonexistent", 0L);
  if (!strcmp(name, "swapoff")) return syscall(SYS_swapoff, "/nonexistent");
  if (!strcmp(name, "acct")) return syscall(SYS_acct, NULL);
  if (!strcmp(name, "quotactl")) return syscall(SYS_quotactl, 0L, NULL, 0L, NULL);
  if (!strcmp(name, "syslog")) return syscall(SYS_syslog, 10L /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0L);
  if (!strcmp(name, "lookup_dcookie")) return syscall(SYS_lookup_dcookie, 0L, buf, (long) sizeof buf);
  if (!strcmp(name, "name_to_handle_at")) {
    static char space[sizeof(unsigned int) * 2 + 128];
    struct file_handle *handle = (struct file_handle *) space;
    int mount_id;
    handle->handle_bytes = 128;
    return syscall(SYS_name_to_handle_at, AT_FDCWD, "/", handle, &mount_id, 0L);
  }
  if (!strcmp(name, "open_by_handle_at")) return syscall(SYS_open_by_handle_at, -1L, NULL, 0L);
  if (!strcmp(name, "settimeofday")) return syscall(SYS_settimeofday, NULL, NULL);
  if (!strcmp(name, "clock_settime")) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return syscall(SYS_clock_settime, (long) CLOCK_REALTIME, &now);
  }
  if (!strcmp(name, "adjtimex") || !strcmp(name, "clock_adjtime")) {
    struct timex tx;
    memset(&tx, 0, sizeof tx); /* modes 0: only reads the clock's state */
    return !strcmp(name, "adjtimex") ? syscall(SYS_adjtimex, &tx) : syscall(SYS_clock_adjtime, (long) CLOCK_REALTIME, &tx);
  }
  if (!strcmp(name, "iopl")) return syscall(SYS_iopl, 0L);
  if (!strcmp(name, "ioperm")) return syscall(SYS_ioperm, 0L, 0L, 0L);
  if (!strcmp(name, "uselib")) return syscall(SYS_uselib, NULL);
  if (!strcmp(name, "_sysctl")) return syscall(SYS__sysctl, NULL);
  if (!strcmp(name, "vhangup")) return syscall(SYS_vhangup);
  if (!strcmp(name, "nfsservctl")) return syscall(SYS_nfsservctl, 0L, NULL, NULL);
  errno = 0;
  return -2;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "int80")) {
      long r;
      fflush(stdout);
      __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) /* i386 getpid */ : "memory");
      printf("int80: returned %ld\n", r);
      continue;
    }
    errno = 0;
    long r = call(argv[i]);
    if (r == -2 && errno == 0) printf("%s: UNKNOWN\n", argv[i]);
    else if (r < 0) printf("%s: %s\n", argv[i], strerrorname_np(errno));
    else printf("%s: OK\n", argv[i]);
    fflush(stdout);
  }
  return 0;
}
