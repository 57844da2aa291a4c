/*
 * tests/serial/proc.h - child processes for the serial tests (the mlsysbench CLI, the
 * simulated DUT): started by fork/exec with their output in a log file, tracked by PID,
 * and always reaped within a timeout (SIGTERM, then SIGKILL), so a stuck child can
 * neither hang a test nor outlive it. Header-only (static functions).
 */
#ifndef TESTS_SERIAL_PROC_H
#define TESTS_SERIAL_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Start argv[0] (a path) with stdout and stderr into log; the pid, or -1. */
static pid_t proc_start(char *const argv[], const char *log) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  execv(argv[0], argv);
  _exit(127);
}

static void proc_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Wait up to timeout_ms for pid; past it SIGTERM, 500 ms later SIGKILL. Returns the exit
 * status (128 + signal when killed by one); -1 if it had to be killed for the timeout. */
static int proc_wait(pid_t pid, long timeout_ms) {
  int status;
  for (long waited = 0;; waited += 10) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0 && errno != EINTR) return -2;
    if (waited == timeout_ms) kill(pid, SIGTERM);
    if (waited == timeout_ms + 500) kill(pid, SIGKILL);
    if (waited > timeout_ms + 500) {
      waitpid(pid, &status, 0);
      return -1;
    }
    proc_sleep_ms(10);
  }
}

/* The whole log file (truncated to len-1), "" when it cannot be read. */
static const char *proc_log(const char *log, char *buf, size_t len) {
  buf[0] = '\0';
  FILE *f = fopen(log, "r");
  if (!f) return buf;
  size_t n = fread(buf, 1, len - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

#endif /* TESTS_SERIAL_PROC_H */
