/*
 * tests/serial/fake_dut.h - a small in-test fake DUT on a pseudo-terminal, for the
 * serial tests that must not depend on the firmware build (the host-side simulated
 * DUT, $(BUILD)/mlsb-dut-sim, is used where it is built). It speaks the MLPerf Tiny
 * protocol of shared/SERIAL_PROTOCOL.md on the pty master from a thread of the test:
 * name, profile, db load / db, infer N W, results, with a simulated microsecond counter
 * (lap_start, us_per_infer) and one injected fault at the N-th command.
 *
 * Its results are the first out_elems bytes of the loaded input, as floats, so a test
 * knows every output exactly. Header-only (static functions): each test program
 * includes it once. Thread-safety: one fake per test, its thread is the only one
 * touching the master; fake_stop joins it.
 */
#ifndef TESTS_SERIAL_FAKE_DUT_H
#define TESTS_SERIAL_FAKE_DUT_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

typedef enum { FAKE_NONE, FAKE_GARBAGE, FAKE_HANG, FAKE_RESET, FAKE_ERROR, FAKE_NO_READY } fake_fault;

typedef struct fake_dut {
  /* settings: fill before fake_start */
  const char *model;        /* "kws01" */
  uint32_t lap_start;       /* the counter at boot */
  uint32_t us_per_infer;    /* simulated time per inference */
  size_t out_elems;         /* values in m-results */
  bool io_manager;          /* answer "dut <cmd>%" with [dut]: lines */
  fake_fault fault;
  unsigned fault_at;        /* command number (from 1) the fault hits */
  /* state */
  int master, slave;
  char path[128];
  pthread_t thread;
  atomic_bool stop;
  unsigned commands;
  uint32_t now_us;
  unsigned char buf[200000];
  size_t expect, have;
} fake_dut;

static void fake_put(fake_dut *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fake_put(fake_dut *f, const char *fmt, ...) {
  char line[20000];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 2, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 3) n = (int)sizeof line - 3;
  char out[20020];
  int m = snprintf(out, sizeof out, "%s%s\r\n", f->io_manager ? "[dut]: " : "", line);
  for (int off = 0; off < m;) {
    ssize_t w = write(f->master, out + off, (size_t)(m - off));
    if (w > 0) off += (int)w;
    else if (errno != EAGAIN && errno != EINTR) return;
    else usleep(100);
  }
}

static void fake_results(fake_dut *f) {
  char text[16000];
  size_t used = 0;
  for (size_t i = 0; i < f->out_elems && used < sizeof text - 32; i++)
    used += (size_t)snprintf(text + used, sizeof text - used, "%s%u", i ? "," : "",
                             i < f->have ? f->buf[i] : 0u);
  text[used] = '\0';
  fake_put(f, "m-results-[%s]", text);
}

static int fake_hex(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void fake_banner(fake_dut *f) {
  fake_put(f, "m-timestamp-mode-performance");
  fake_put(f, "m-lap-us-%u", f->now_us);
  fake_put(f, "m-init-done");
  fake_put(f, "m-ready");
}

/* One command; false when the fake should stop answering (hang). */
static bool fake_command(fake_dut *f, char *cmd) {
  unsigned n = ++f->commands;
  bool hit = f->fault != FAKE_NONE && n == f->fault_at;
  if (hit && f->fault == FAKE_HANG) return false;
  if (f->io_manager) {
    if (strncmp(cmd, "dut ", 4)) return true;
    cmd += 4;
    dprintf(f->master, "m-dut-passthrough(%s)\r\n", cmd);
  }
  if (hit && f->fault == FAKE_GARBAGE) {
    (void)!write(f->master, "\x01\xfe#garb", 7); /* no newline: merges with the next line */
  }
  if (hit && f->fault == FAKE_RESET) {
    f->have = f->expect = 0;
    fake_banner(f);
    return true;
  }
  if (hit && f->fault == FAKE_ERROR) {
    fake_put(f, "e-[injected error]");
  } else if (!strcmp(cmd, "name")) {
    fake_put(f, "m-name-dut-[fake]");
  } else if (!strcmp(cmd, "profile")) {
    fake_put(f, "m-profile-[fake test DUT]");
    fake_put(f, "m-model-[%s]", f->model);
  } else if (!strncmp(cmd, "db load ", 8)) {
    f->expect = strtoul(cmd + 8, NULL, 10);
    f->have = 0;
    fake_put(f, "m-[Expecting %zu bytes]", f->expect);
  } else if (!strncmp(cmd, "db ", 3)) {
    for (const char *p = cmd + 3; p[0] && p[1] && f->have < f->expect; p += 2)
      f->buf[f->have++] = (unsigned char)(fake_hex(p[0]) * 16 + fake_hex(p[1]));
    if (f->have == f->expect) fake_put(f, "m-load-done");
  } else if (!strncmp(cmd, "infer", 5)) {
    unsigned cnt = 1, warm = 10;
    sscanf(cmd + 5, "%u %u", &cnt, &warm);
    fake_put(f, "m-warmup-start-%u", warm);
    f->now_us += warm * f->us_per_infer;
    fake_put(f, "m-warmup-done");
    fake_put(f, "m-infer-start-%u", cnt);
    fake_put(f, "m-lap-us-%u", f->now_us);
    f->now_us += cnt * f->us_per_infer;
    fake_put(f, "m-lap-us-%u", f->now_us);
    fake_put(f, "m-infer-done");
    fake_results(f);
  } else if (!strcmp(cmd, "results")) {
    fake_results(f);
  } else {
    fake_put(f, "e-[Unknown command: %s]", cmd);
  }
  if (!(hit && f->fault == FAKE_NO_READY)) fake_put(f, "m-ready");
  return true;
}

static void *fake_main(void *arg) {
  fake_dut *f = arg;
  char cmd[256];
  size_t len = 0;
  bool answering = true;
  while (!atomic_load(&f->stop)) {
    struct pollfd p = {f->master, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    char c;
    if (read(f->master, &c, 1) != 1) continue;
    if (c != '%') {
      if (len < sizeof cmd - 1) cmd[len++] = c;
      continue;
    }
    cmd[len] = '\0';
    len = 0;
    if (answering) answering = fake_command(f, cmd);
  }
  return NULL;
}

/* Open the pty, start the thread; f->path is the device to give the adapter. */
static int fake_start(fake_dut *f) {
  f->master = posix_openpt(O_RDWR | O_NOCTTY);
  if (f->master < 0 || grantpt(f->master) || unlockpt(f->master)) return -1;
  snprintf(f->path, sizeof f->path, "%s", ptsname(f->master));
  f->slave = open(f->path, O_RDWR | O_NOCTTY); /* held so the master never sees EIO */
  struct termios t;
  if (f->slave < 0 || tcgetattr(f->slave, &t)) return -1;
  cfmakeraw(&t);
  tcsetattr(f->slave, TCSANOW, &t);
  f->now_us = f->lap_start;
  atomic_store(&f->stop, false);
  return pthread_create(&f->thread, NULL, fake_main, f) ? -1 : 0;
}

static void fake_stop(fake_dut *f) {
  atomic_store(&f->stop, true);
  pthread_join(f->thread, NULL);
  close(f->slave);
  close(f->master);
}

#endif /* TESTS_SERIAL_FAKE_DUT_H */
