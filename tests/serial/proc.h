/*
 * tests/serial/proc.h - child processes for the serial tests (the mlsysbench CLI, the
 * simulated DUT): started by fork/exec with their output in a log file, tracked by PID,
 * and always reaped within a timeout (SIGTERM, then SIGKILL), so a stuck child can
 * neither hang a test nor outlive it; and the run folder a CLI run wrote. Header-only
 * (static functions).
 */
#ifndef TESTS_SERIAL_PROC_H
#define TESTS_SERIAL_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reports/results.h"

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

/* Run argv to its end: proc_start, proc_wait, its output into text. The exit status. */
static int proc_run(char *const argv[], const char *log, long timeout_ms, char *text,
                    size_t len) {
  pid_t pid = proc_start(argv, log);
  if (pid <= 0) return -2;
  int rc = proc_wait(pid, timeout_ms);
  proc_log(log, text, len);
  return rc;
}

/* results.json of the run folder dir into *r (initialized, empty); false with the reason
 * in err. */
static bool proc_results(const char *dir, rpt_results *r, char *err, size_t len) {
  char path[600];
  snprintf(path, sizeof path, "%s/results.json", dir);
  return rpt_results_read_json(path, r, err, len) == RPT_OK;
}

#endif /* TESTS_SERIAL_PROC_H */
