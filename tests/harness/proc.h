/*
 * tests/harness/proc.h - helpers the harness's end-to-end tests share: read a file
 * whole, run a program with a timeout in its own process group, start one in the
 * background (a server) and stop it, and drive Debian's headless Chromium on a page
 * (screenshot or DOM dump, console messages checked).
 *
 * Header-only (each test is one program); include it after <cmocka.h>: failures are
 * cmocka failures. Every wait has a timeout; a child that outlives it is killed with
 * its process group, and a child gets SIGTERM when the test process dies.
 */
#ifndef TESTS_HARNESS_PROC_H
#define TESTS_HARNESS_PROC_H

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CHROMIUM
#define CHROMIUM "/usr/bin/chromium"
#endif
#define PROC_TIMEOUT_S 60
#define PROC_UNUSED __attribute__((unused))

/* The contents of path, NUL-terminated (caller frees); *len its size. NULL if absent. */
static PROC_UNUSED char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t cap = 65536, n = 0, got;
  char *buf = malloc(cap + 1);
  assert_non_null(buf);
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      buf = realloc(buf, (cap *= 2) + 1);
      assert_non_null(buf);
    }
  }
  fclose(f);
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

/* Start argv (argv[0] a path) in its own process group with stdout and stderr into
 * files (NULL: /dev/null). Returns its pid. */
static PROC_UNUSED pid_t spawn_argv(char *const argv[], const char *out, const char *errf) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* a crashed test leaves no server behind */
    int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = errf && out && !strcmp(errf, out) ? o
                                              : open(errf ? errf : "/dev/null",
                                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) _exit(126);
    dup2(o, 1), dup2(e, 2);
    execv(argv[0], argv);
    _exit(127);
  }
  setpgid(pid, pid); /* also here, so a kill right after fork reaches the group */
  return pid;
}

/* Wait for pid at most timeout_s; then SIGKILL its group and fail. Returns the exit
 * status (128 + signal when killed by one). */
static PROC_UNUSED int wait_pid(pid_t pid, int timeout_s, const char *what) {
  struct timespec tick = {0, 20 * 1000000L};
  int status;
  for (int waited_ms = 0;; waited_ms += 20) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (waited_ms >= timeout_s * 1000) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      fail_msg("%s did not finish in %d s", what, timeout_s);
    }
    nanosleep(&tick, NULL);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Run argv to completion (PROC_TIMEOUT_S at most); see spawn_argv. */
static PROC_UNUSED int run_argv(char *const argv[], const char *out, const char *errf) {
  return wait_pid(spawn_argv(argv, out, errf), PROC_TIMEOUT_S, argv[0]);
}

/* Send sig to a background child and wait for it (timeout_s at most). */
static PROC_UNUSED int stop_pid(pid_t pid, int sig, int timeout_s) {
  kill(pid, sig);
  return wait_pid(pid, timeout_s, "a background child");
}

/* Run a shell command made printf-style; fail the test when it exits non-zero. */
static PROC_UNUSED __attribute__((format(printf, 1, 2))) void sh(const char *fmt, ...) {
  char cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  if (system(cmd) != 0) fail_msg("failed: %s", cmd);
}

/* rm -rf dir (a test's temporary folder); 0 on success, for cmocka teardowns. */
static PROC_UNUSED int remove_tree(const char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static PROC_UNUSED void has(const char *text, const char *needle) {
  if (strstr(text, needle) == NULL) fail_msg("missing '%s' in:\n%.3000s", needle, text);
}

static PROC_UNUSED size_t count(const char *text, const char *needle) {
  size_t n = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

/* ---- headless Chromium ------------------------------------------------------------ */
/* Launch Chromium on url with one mode flag (--screenshot=PNG or --dump-dom) and a
 * window of 1280 x 2400, a fresh profile under dir; stdout and stderr go to
 * dir/<tag>.out and dir/<tag>.err (their paths into out and err). Flags: --headless
 * --no-sandbox --disable-gpu --disable-quic --no-first-run
 * --disable-background-networking --disable-component-update --disable-sync, and
 * --enable-logging=stderr --v=0 so every console message of the page is a stderr
 * line containing ":CONSOLE". Fails the test when Chromium exits non-zero. */
static PROC_UNUSED void chromium_run(const char *dir, const char *url, const char *mode_flag,
                                     const char *tag, char *out, char *err, size_t len) {
  char profile[400], user_data[440], size_flag[] = "--window-size=1280,2400";
  snprintf(profile, sizeof profile, "%s/profile-%s-XXXXXX", dir, tag);
  assert_non_null(mkdtemp(profile));
  snprintf(user_data, sizeof user_data, "--user-data-dir=%s", profile);
  snprintf(out, len, "%s/%s.out", dir, tag);
  snprintf(err, len, "%s/%s.err", dir, tag);
  char *argv[] = {CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", user_data,
                  "--enable-logging=stderr", "--v=0", size_flag, (char *)mode_flag,
                  (char *)url, NULL};
  int rc = run_argv(argv, out, err);
  if (rc != 0) {
    char *e = slurp(err, NULL);
    fail_msg("chromium exited %d:\n%.3000s", rc, e ? e : "");
  }
}

/* No console message of the page (script errors "Uncaught ...", CSP violations,
 * console.* calls) in Chromium's stderr. Chromium's own ERROR lines (dbus, GPU in a
 * container) are not about the page and are ignored. */
static PROC_UNUSED void chromium_no_console_messages(const char *err_path) {
  char *err = slurp(err_path, NULL);
  assert_non_null(err);
  for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n"))
    if (strstr(line, ":CONSOLE") || strstr(line, "Uncaught"))
      fail_msg("the page logged to the console: %s", line);
  free(err);
}

#endif /* TESTS_HARNESS_PROC_H */
