/*
 * The escape suite's attacker (see EscapeProbe.java): one static binary that a test copies into a
 * job's workspace and runs inside the sandbox. Each command makes one attack by calling the
 * syscall directly (no library wrapper that could hide or rewrite the error) and prints one line,
 * "<command>: OK" when the attack worked or "<command>: <ERRNO NAME>" when it was refused, so
 * the test asserts the kernel's specific answer. Exit status 0 unless the arguments are wrong.
 *
 * Built with: gcc -static -O1 -o escape-probe escape-probe.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

static const char *name_of(int e) {
  const char *name = strerrorname_np(e);
  static char number[16];
  if (name != NULL) return name;
  snprintf(number, sizeof number, "errno%d", e);
  return number;
}

/* Prints "<what>: OK" when rc >= 0, else the errno's name; returns rc. */
static long report(const char *what, long rc) {
  if (rc >= 0) printf("%s: OK\n", what);
  else printf("%s: %s\n", what, name_of(errno));
  fflush(stdout);
  return rc;
}

static int clone_new_user(void) {
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t) pid, NULL, 0);
  return (int) pid;
}

static int setns_own_net(void) {
  int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  return (int) syscall(SYS_setns, fd, CLONE_NEWNET);
}

static int finit_module_self(void) {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  return (int) syscall(SYS_finit_module, fd, "", 0);
}

static int init_module_junk(void) {
  static char image[64] = "\177ELF";
  return (int) syscall(SYS_init_module, image, sizeof image, "");
}

static int bpf_map(void) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  return (int) syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
}

/* The weakest ask: a software counter on this process, user mode only (allowed at paranoid <= 2). */
static int perf_self(void) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  return (int) syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

/* Lists /proc as "proc <pid> <comm>" lines, then "procs: <count>". */
static int list_processes(void) {
  DIR *proc = opendir("/proc");
  struct dirent *entry;
  int count = 0;
  if (proc == NULL) {
    report("procs", -1);
    return 0;
  }
  while ((entry = readdir(proc)) != NULL) {
    char path[300], comm[64] = "?";
    FILE *f;
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/comm", entry->d_name);
    if ((f = fopen(path, "r")) != NULL) {
      if (fgets(comm, sizeof comm, f) != NULL) comm[strcspn(comm, "\n")] = 0;
      fclose(f);
    }
    printf("proc %s %s\n", entry->d_name, comm);
    count++;
  }
  closedir(proc);
  printf("procs: %d\n", count);
  return 0;
}

/* Forks children that wait forever until a fork fails; prints how many it got. */
static int fork_bomb(void) {
  int forked = 0;
  for (;;) {
    pid_t pid = fork();
    if (pid == 0) {
      for (;;) pause();
    }
    if (pid < 0) {
      printf("fork: %s after %d\n", name_of(errno), forked);
      fflush(stdout);
      return 0;
    }
    forked++;
  }
}

/* Touches memory 1 MiB at a time until the kernel stops it. */
static int memory_bomb(void) {
  long mib = 0;
  for (;;) {
    char *chunk = malloc(1 << 20);
    if (chunk == NULL) {
      printf("malloc: %s after %ld MiB\n", name_of(errno), mib);
      return 0;
    }
    memset(chunk, 'x', 1 << 20);
    if (++mib % 16 == 0) {
      printf("allocated %ld MiB\n", mib);
      fflush(stdout);
    }
  }
}

/* Writes 1 MiB blocks to path until a write fails; prints the error and how much got written. */
static int fill(const char *path) {
  static char block[1 << 20];
  long written = 0;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return (int) report("fill", -1);
  memset(block, 'x', sizeof block);
  for (;;) {
    ssize_t n = write(fd, block, sizeof block);
    if (n < 0) {
      printf("write: %s after %ld bytes\n", name_of(errno), written);
      return 0;
    }
    written += n;
  }
}

/* A TCP connect that gives up after 5 s; on success prints the first line the server sent. */
static int tcp_connect(const char *address, const char *port) {
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(port))};
  struct timeval limit = {.tv_sec = 5};
  char line[200] = "";
  char what[300];
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  snprintf(what, sizeof what, "connect %s:%s", address, port);
  if (fd < 0 || inet_pton(AF_INET, address, &to.sin_addr) != 1) return (int) report(what, -1);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  if (connect(fd, (struct sockaddr *) &to, sizeof to) < 0) return (int) report(what, -1);
  ssize_t n = read(fd, line, sizeof line - 1);
  line[n > 0 ? n : 0] = 0;
  line[strcspn(line, "\n")] = 0;
  printf("%s: OK %s\n", what, line);
  return 0;
}

/*
 * Leaves a daemon behind the way a job would try: fork, setsid, fork again, stdio to /dev/null,
 * then exec sleep with the marker. The daemon sends its pid through a close-on-exec pipe, so
 * "daemon: started <pid>" means it exists and has exec'd.
 */
static int daemonize(const char *marker) {
  int ready[2];
  char pid[32] = "";
  if (pipe2(ready, O_CLOEXEC) < 0) return (int) report("daemon", -1);
  pid_t first = fork();
  if (first < 0) return (int) report("daemon", -1);
  if (first > 0) {
    close(ready[1]);
    ssize_t n = read(ready[0], pid, sizeof pid - 1);
    pid[n > 0 ? n : 0] = 0;
    waitpid(first, NULL, 0);
    printf("daemon: started %s\n", pid);
    return 0;
  }
  close(ready[0]);
  setsid();
  if (fork() != 0) _exit(0);
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  dprintf(ready[1], "%d", getpid());
  execl("/bin/sleep", "sleep", marker, (char *) NULL);
  _exit(127);
}

/* "<cmd> <arg>", for commands whose line must say what they touched. */
static const char *labelled(const char *cmd, const char *arg) {
  static char what[300];
  snprintf(what, sizeof what, "%s %s", cmd, arg);
  return what;
}

static int usage(void) {
  fprintf(stderr, "usage: escape-probe COMMAND [ARG...]\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  const char *cmd = argv[1];
  const char *arg = argc > 2 ? argv[2] : NULL;
  if (!strcmp(cmd, "mount")) report(cmd, mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m"));
  else if (!strcmp(cmd, "umount")) report(cmd, syscall(SYS_umount2, "/workspace", MNT_DETACH));
  else if (!strcmp(cmd, "unshare-user")) report(cmd, syscall(SYS_unshare, CLONE_NEWUSER));
  else if (!strcmp(cmd, "unshare-mount")) report(cmd, syscall(SYS_unshare, CLONE_NEWNS));
  else if (!strcmp(cmd, "clone-user")) report(cmd, clone_new_user());
  else if (!strcmp(cmd, "setns")) report(cmd, setns_own_net());
  else if (!strcmp(cmd, "ptrace") && arg) report(cmd, syscall(SYS_ptrace, PTRACE_ATTACH, atol(arg), 0, 0));
  else if (!strcmp(cmd, "kill") && arg) report(cmd, syscall(SYS_kill, atol(arg), 0));
  else if (!strcmp(cmd, "init-module")) report(cmd, init_module_junk());
  else if (!strcmp(cmd, "finit-module")) report(cmd, finit_module_self());
  else if (!strcmp(cmd, "raw-socket")) report(cmd, socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  else if (!strcmp(cmd, "packet-socket")) report(cmd, socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
  else if (!strcmp(cmd, "keyctl")) report(cmd, syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "moat-escape"));
  else if (!strcmp(cmd, "add-key")) report(cmd, syscall(SYS_add_key, "user", "moat-escape", "x", 1, KEY_SPEC_PROCESS_KEYRING));
  else if (!strcmp(cmd, "bpf")) report(cmd, bpf_map());
  else if (!strcmp(cmd, "perf-event-open")) report(cmd, perf_self());
  else if (!strcmp(cmd, "userfaultfd")) report(cmd, syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
  else if (!strcmp(cmd, "read") && arg) report(labelled(cmd, arg), open(arg, O_RDONLY | O_CLOEXEC));
  else if (!strcmp(cmd, "create") && arg) report(labelled(cmd, arg), open(arg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  else if (!strcmp(cmd, "procs")) list_processes();
  else if (!strcmp(cmd, "fork-bomb")) fork_bomb();
  else if (!strcmp(cmd, "memory-bomb")) memory_bomb();
  else if (!strcmp(cmd, "fill") && arg) fill(arg);
  else if (!strcmp(cmd, "connect") && argc > 3) tcp_connect(arg, argv[3]);
  else if (!strcmp(cmd, "daemon") && arg) daemonize(arg);
  else return usage();
  return 0;
}
