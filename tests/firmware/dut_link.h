/*
 * tests/firmware/dut_link.h - what the firmware tests share to drive a DUT over a tty
 * (the simulated DUT's pty, or QEMU behind socat): start helper processes by fork/exec
 * and always reap them, open a tty raw, send one command and read its answer up to
 * m-ready with a timeout, load an input with `db`, and parse m-results / m-lap-us.
 * Header-only (static functions): each test program includes it once.
 *
 * Every wait has a timeout; nothing here allocates except dl_cmd's caller-given buffer.
 */
#ifndef TESTS_FIRMWARE_DUT_LINK_H
#define TESTS_FIRMWARE_DUT_LINK_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "workloads/workload.h"

#define DL_ANSWER_MAX 65536

static inline long dl_now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* fork/exec argv; its stdout goes to a pipe whose read end is *out_fd (NULL: to
 * /dev/null), stderr to /dev/null unless keep_stderr. Returns the pid or -1. */
static inline pid_t dl_spawn(char *const argv[], int *out_fd, int keep_stderr)
{
  int p[2] = {-1, -1};
  if (out_fd && pipe(p) != 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(out_fd ? p[1] : null, 1);
    if (!keep_stderr)
      dup2(null, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  if (out_fd) {
    close(p[1]);
    *out_fd = pid > 0 ? p[0] : -1;
    if (pid < 0)
      close(p[0]);
  }
  return pid;
}

/* fork/exec argv with stdout and stderr appended to log_path; the pid or -1. */
static inline pid_t dl_spawn_log(char *const argv[], const char *log_path)
{
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  return pid;
}

/* Wait up to timeout_ms for pid to exit; returns its wait status, or -1 on timeout. */
static inline int dl_wait(pid_t pid, long timeout_ms)
{
  long end = dl_now_ms() + timeout_ms;
  int status;
  do {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return status;
    if (r < 0)
      return -1;
    usleep(10000);
  } while (dl_now_ms() < end);
  return -1;
}

/* End pid: SIGTERM, wait 2 s, then SIGKILL and wait. Accepts pid <= 0 (nothing). */
static inline void dl_reap(pid_t pid)
{
  if (pid <= 0)
    return;
  kill(pid, SIGTERM);
  if (dl_wait(pid, 2000) == -1) {
    kill(pid, SIGKILL);
    dl_wait(pid, 5000);
  }
}

/* Read one line (without the newline) from fd into buf within timeout_ms; 0 or -1. */
static inline int dl_read_line(int fd, char *buf, size_t cap, long timeout_ms)
{
  size_t n = 0;
  long end = dl_now_ms() + timeout_ms;
  while (n + 1 < cap && dl_now_ms() < end) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0)
      continue;
    char c;
    if (read(fd, &c, 1) != 1)
      return -1;
    if (c == '\n') {
      buf[n] = '\0';
      return 0;
    }
    buf[n++] = c;
  }
  return -1;
}

/* Wait until path exists (a link socat or the sim makes); 0 or -1 after timeout_ms. */
static inline int dl_wait_path(const char *path, long timeout_ms)
{
  long end = dl_now_ms() + timeout_ms;
  struct stat st;
  while (stat(path, &st) != 0) {
    if (dl_now_ms() >= end)
      return -1;
    usleep(10000);
  }
  return 0;
}

/* Open a tty read-write, raw, without making it the controlling terminal; fd or -1. */
static inline int dl_open_tty(const char *path)
{
  int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  struct termios t;
  if (fd < 0)
    return -1;
  if (tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);
    tcsetattr(fd, TCSANOW, &t);
  }
  return fd;
}

/* Read from fd into buf (NUL-terminated) until the text ends with an "m-ready" line or
 * timeout_ms passes. Returns the length, -1 on timeout (buf holds what came), -2 on a
 * read error or hangup (EIO). */
static inline long dl_read_answer(int fd, char *buf, size_t cap, long timeout_ms)
{
  size_t n = 0;
  long end = dl_now_ms() + timeout_ms;
  buf[0] = '\0';
  for (;;) {
    if (n >= 9 && memcmp(buf + n - 9, "m-ready\r\n", 9) == 0 &&
        (n == 9 || buf[n - 10] == '\n'))
      return (long)n;
    long left = end - dl_now_ms();
    if (left <= 0 || n + 1 >= cap)
      return -1;
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, (int)(left < 100 ? left : 100));
    if (r < 0 && errno != EINTR)
      return -2;
    if (r <= 0)
      continue;
    ssize_t got = read(fd, buf + n, cap - 1 - n);
    if (got <= 0)
      return -2;
    n += (size_t)got;
    buf[n] = '\0';
  }
}

/* Send "cmd%" and read the answer (dl_read_answer's return values). */
static inline long dl_cmd(int fd, const char *cmd, char *buf, size_t cap, long timeout_ms)
{
  char line[128];
  int len = snprintf(line, sizeof line, "%s%%", cmd);
  if (len < 0 || (size_t)len >= sizeof line || write(fd, line, (size_t)len) != len)
    return -2;
  return dl_read_answer(fd, buf, cap, timeout_ms);
}

/* `db load N` then `db <hex>` commands of 31 bytes (the reference runners' size).
 * Returns 0 when the last answer had m-load-done, else -1. */
static inline int dl_load(int fd, const void *bytes, size_t n, long timeout_ms)
{
  static const char hex[] = "0123456789abcdef";
  char cmd[128], ans[256];
  const uint8_t *b = bytes;
  snprintf(cmd, sizeof cmd, "db load %zu", n);
  if (dl_cmd(fd, cmd, ans, sizeof ans, timeout_ms) < 0 || !strstr(ans, "m-[Expecting"))
    return -1;
  for (size_t i = 0; i < n; i += 31) {
    size_t o = (size_t)snprintf(cmd, sizeof cmd, "db ");
    for (size_t k = i; k < n && k < i + 31; k++) {
      cmd[o++] = hex[b[k] >> 4];
      cmd[o++] = hex[b[k] & 15];
    }
    cmd[o] = '\0';
    if (dl_cmd(fd, cmd, ans, sizeof ans, timeout_ms) < 0 || strstr(ans, "e-["))
      return -1;
  }
  return strstr(ans, "m-load-done") ? 0 : -1;
}

/* The values of the m-results-[...] line in answer, read with strtof; returns how many
 * (at most max), or -1 without such a line. */
static inline int dl_results(const char *answer, float *v, int max)
{
  const char *p = strstr(answer, "m-results-[");
  int n = 0;
  if (!p)
    return -1;
  p += strlen("m-results-[");
  while (*p && *p != ']' && n < max) {
    char *end;
    v[n++] = strtof(p, &end);
    if (end == p)
      return -1;
    p = *end == ',' ? end + 1 : end;
  }
  return n;
}

/* The k-th m-lap-us-T of answer (k from 0) into *t; 0, or -1 without it. */
static inline int dl_lap(const char *answer, int k, uint32_t *t)
{
  const char *p = answer;
  for (int i = 0; (p = strstr(p, "m-lap-us-")) != NULL; i++, p++)
    if (i == k) {
      *t = (uint32_t)strtoul(p + strlen("m-lap-us-"), NULL, 10);
      return 0;
    }
  return -1;
}

/* The CPU SUT's precision=int8 output of sample `index` of workload name (default
 * seeds): in gets the f32 input (in_cap bytes at least), out the outputs (out_cap
 * floats at least). Returns the output count, or -1. */
static inline int dl_reference(const char *name, uint64_t index, void *in, size_t in_cap,
                               float *out, size_t out_cap)
{
  wl_params p;
  wl_model *m = NULL;
  char err[256];
  wl_params_init(&p);
  wl_params_set(&p, "precision", "int8");
  if (wl_open(&m, name, &p, err, sizeof err) != WL_OK)
    return -1;
  const wl_info *info = wl_model_info(m);
  size_t outs = wl_tensor_elems(&info->output);
  void *scratch = malloc(wl_scratch_bytes(m) + 16);
  int rc = -1;
  if (scratch && wl_tensor_bytes(&info->input) <= in_cap && outs <= out_cap) {
    wl_make_sample(m, index, in);
    wl_infer(m, in, out, scratch);
    rc = (int)outs;
  }
  free(scratch);
  wl_close(m);
  return rc;
}

/* Bits of a binary32 (for bit-for-bit comparisons). */
static inline uint32_t dl_bits(float v)
{
  uint32_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

#endif /* TESTS_FIRMWARE_DUT_LINK_H */
