/*
 * moat-ctx: the job's side of the per-job ctx socket ($MOAT_CTX). Built static (gcc -static) so
 * that it runs in every sandbox tier, minimal images included.
 *
 * It forwards its arguments as one request and prints the answer:
 *   request:  "<argc>\n" then, per argument, "<length>\n<bytes>"
 *   answer:   "ok <length>\n<bytes>"        -> bytes on stdout, exit 0
 *             "err <exit> <length>\n<bytes>" -> "moat-ctx: <bytes>" on stderr, exit <exit>
 * The agent decides what the commands mean (secret get NAME, output set KEY VALUE,
 * id-token --audience A); this program knows none of them, so it never needs to change with them.
 *
 * "moat-ctx --exec-env COMMAND..." is how the oci tier starts a step without its environment in
 * config.json (on disk) or argv: it reads NUL-separated NAME=VALUE entries from stdin until end of
 * file, makes them the whole environment, points stdin at /dev/null and execs COMMAND.
 */
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_ANSWER (1 << 20)

static void die(int code, const char *what) {
  fprintf(stderr, "moat-ctx: %s: %s\n", what, strerror(errno));
  exit(code);
}

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      die(4, "cannot write");
    }
    buf += n;
    len -= (size_t)n;
  }
}

/* Reads one header line (at most 63 bytes) into line. */
static void read_line(int fd, char *line, size_t size) {
  size_t at = 0;
  while (at + 1 < size) {
    ssize_t n = read(fd, line + at, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fprintf(stderr, "moat-ctx: the agent closed the ctx socket without answering\n");
      exit(4);
    }
    if (line[at] == '\n') {
      line[at] = 0;
      return;
    }
    at++;
  }
  fprintf(stderr, "moat-ctx: malformed answer from the agent\n");
  exit(4);
}

static int exec_env(char **command) {
  size_t cap = 4096, len = 0;
  char *data = malloc(cap);
  if (data == NULL) die(127, "malloc");
  while (1) {
    if (len == cap) {
      if (cap >= (16u << 20)) {
        fprintf(stderr, "moat-ctx: environment larger than 16 MiB\n");
        return 127;
      }
      cap *= 2;
      data = realloc(data, cap);
      if (data == NULL) die(127, "realloc");
    }
    ssize_t n = read(0, data + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die(127, "cannot read the environment");
    if (n == 0) break;
    len += (size_t)n;
  }
  if (clearenv() != 0) die(127, "clearenv");
  size_t at = 0;
  while (at < len) {
    size_t end = at;
    while (end < len && data[end] != 0) end++;
    if (end == len) {
      fprintf(stderr, "moat-ctx: environment entry without its NUL\n");
      return 127;
    }
    if (strchr(data + at, '=') == NULL || putenv(data + at) != 0) {
      fprintf(stderr, "moat-ctx: bad environment entry\n");
      return 127;
    }
    at = end + 1;
  }
  int null = open("/dev/null", O_RDONLY);
  if (null < 0 || dup2(null, 0) < 0) die(127, "/dev/null");
  if (null != 0) close(null);
  execvp(command[0], command);
  die(127, command[0]);
  return 127;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "--exec-env") == 0) return exec_env(argv + 2);
  if (argc < 2) {
    fprintf(stderr, "usage: moat-ctx secret get NAME | output set KEY VALUE | id-token --audience A\n");
    return 2;
  }
  const char *path = getenv("MOAT_CTX");
  if (path == NULL || *path == 0) {
    fprintf(stderr, "moat-ctx: MOAT_CTX is not set: this job has no ctx socket\n");
    return 4;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "moat-ctx: MOAT_CTX is too long: %s\n", path);
    return 4;
  }
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die(4, "socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die(4, path);

  char header[64];
  snprintf(header, sizeof header, "%d\n", argc - 1);
  write_all(fd, header, strlen(header));
  for (int i = 1; i < argc; i++) {
    size_t len = strlen(argv[i]);
    snprintf(header, sizeof header, "%zu\n", len);
    write_all(fd, header, strlen(header));
    write_all(fd, argv[i], len);
  }

  char line[64];
  read_line(fd, line, sizeof line);
  int code = 0;
  long length = -1;
  if (strncmp(line, "ok ", 3) == 0) {
    length = strtol(line + 3, NULL, 10);
  } else if (sscanf(line, "err %d %ld", &code, &length) != 2 || code <= 0 || code > 125) {
    length = -1;
  }
  if (length < 0 || length > MAX_ANSWER) {
    fprintf(stderr, "moat-ctx: malformed answer from the agent\n");
    return 4;
  }
  char *body = malloc((size_t)length + 1);
  if (body == NULL) die(4, "malloc");
  long got = 0;
  while (got < length) {
    ssize_t n = read(fd, body + got, (size_t)(length - got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fprintf(stderr, "moat-ctx: the answer from the agent was cut short\n");
      return 4;
    }
    got += n;
  }
  if (code == 0) {
    write_all(1, body, (size_t)length);
    return 0;
  }
  body[length] = 0;
  fprintf(stderr, "moat-ctx: %s\n", body);
  return code;
}
