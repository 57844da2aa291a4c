/*
 * tests/serial/test_lpm01a.c - `--energy lpm01a:PATH` (harness/lpm01a.c through
 * harness/energy.c) against a fake LPM01A on a pty: the set-up commands in order with
 * their acks, ascii_dec samples summed exactly, windows between timestamp edges and
 * their median per inference, the whole-window fallback without edges, an "error" answer
 * and a monitor that never answers (unavailable with the reason, no hang), and the
 * sample parser.
 */
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness/energy.h"
#include "harness/lpm01a.h"

/* ---- the fake monitor -------------------------------------------------------------- */
typedef struct fake_lpm {
  int master, slave;
  char path[128];
  pthread_t thread;
  atomic_bool stop;
  const char *stream;      /* sent right after "ack start" */
  const char *fail_cmd;    /* answered "error ..." */
  bool mute;               /* never answers */
  char log[1024];          /* the commands received, one per line */
} fake_lpm;

static void say(fake_lpm *f, const char *text) {
  for (size_t off = 0, n = strlen(text); off < n;) {
    ssize_t w = write(f->master, text + off, n - off);
    if (w > 0) off += (size_t)w;
    else usleep(100);
  }
}

static void *fake_main(void *arg) {
  fake_lpm *f = arg;
  char cmd[128];
  size_t len = 0;
  while (!atomic_load(&f->stop)) {
    struct pollfd p = {f->master, POLLIN, 0};
    char c;
    if (poll(&p, 1, 20) <= 0 || read(f->master, &c, 1) != 1) continue;
    if (c == '\r') continue;
    if (c != '\n') {
      if (len < sizeof cmd - 1) cmd[len++] = c;
      continue;
    }
    cmd[len] = '\0';
    len = 0;
    strncat(f->log, cmd, sizeof f->log - strlen(f->log) - 2);
    strcat(f->log, "\n");
    if (f->mute) continue;
    char line[200];
    if (f->fail_cmd && !strcmp(cmd, f->fail_cmd)) {
      snprintf(line, sizeof line, "error %s: bad value\r\n", cmd);
      say(f, line);
      continue;
    }
    snprintf(line, sizeof line, "ack %s\r\n", cmd);
    say(f, line);
    if (!strcmp(cmd, "start") && f->stream) say(f, f->stream);
  }
  return NULL;
}

static void fake_start(fake_lpm *f) {
  f->master = posix_openpt(O_RDWR | O_NOCTTY);
  assert_true(f->master >= 0 && !grantpt(f->master) && !unlockpt(f->master));
  snprintf(f->path, sizeof f->path, "%s", ptsname(f->master));
  f->slave = open(f->path, O_RDWR | O_NOCTTY);
  struct termios t;
  assert_int_equal(tcgetattr(f->slave, &t), 0);
  cfmakeraw(&t);
  tcsetattr(f->slave, TCSANOW, &t);
  assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(fake_lpm *f) {
  atomic_store(&f->stop, true);
  pthread_join(f->thread, NULL);
  close(f->slave);
  close(f->master);
}

static mb_energy *open_on(fake_lpm *f) {
  char spec[200], err[256];
  snprintf(spec, sizeof spec, "lpm01a:%s", f->path);
  mb_energy *e = NULL;
  assert_int_equal(mb_energy_open(&e, spec, NULL, err, sizeof err), MB_ENERGY_OK);
  return e;
}

/* start, let the stream arrive, stop; the report for `inferences`. */
static mb_energy_report measure(mb_energy *e, uint64_t inferences) {
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  usleep(150000);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  mb_energy_report r;
  assert_int_equal(mb_energy_result(e, inferences, &r), MB_ENERGY_OK);
  return r;
}

/* 3 windows between edge pairs: 4, 6 and 5 samples of 2e-6 J; 2 samples outside. */
#define STREAM                                                               \
  "TimeStamp: 000s 001ms, buff 00%\r\n2000-09\r\nevent d7 fal\r\n"           \
  "2000-09\r\n2000-09\r\n2000-09\r\n2000-09\r\nevent d7 fal\r\n"             \
  "event d7 fal\r\n2000-09\r\n2000-09\r\n2000-09\r\n2000-09\r\n2000-09\r\n"  \
  "2000-09\r\nevent d7 fal\r\nevent d7 fal\r\n2000-09\r\n2000-09\r\n"        \
  "2000-09\r\n2000-09\r\n2000-09\r\nevent d7 fal\r\n2.0e-06\r\n"

static void test_windows(void **state) {
  (void)state;
  fake_lpm f = {.stream = STREAM};
  fake_start(&f);
  mb_energy *e = open_on(&f);
  assert_true(mb_energy_available(e, NULL));
  mb_energy_report r = measure(e, 30); /* 10 inferences per window */
  assert_true(r.available);
  assert_string_equal(r.source, "lpm01a");
  assert_int_equal(r.samples, 17);
  assert_int_equal(r.windows, 3);
  assert_true(fabs(r.joules - 17 * 2e-6) < 1e-15);
  assert_true(fabs(r.median_window_joules - 5 * 2e-6) < 1e-15);
  assert_true(fabs(r.joules_per_inference - 1e-6) < 1e-15); /* median 1e-5 J / 10 */
  assert_non_null(strstr(r.method, "median over windows"));
  mb_energy_close(e);
  fake_stop(&f);
  assert_string_equal(f.log, "htc\nvolt 3000m\nfreq 1k\nacqtime inf\neventsrc d7 fal\n"
                             "output energy\nformat ascii_dec\npwr on\nstart\nstop\nhrc\n");
}

static void test_no_edges(void **state) {
  (void)state;
  fake_lpm f = {.stream = "5000-06\r\n5000-06\r\n"};
  fake_start(&f);
  mb_energy *e = open_on(&f);
  mb_energy_report r = measure(e, 4);
  assert_true(r.available);
  assert_int_equal(r.windows, 0);
  assert_true(fabs(r.joules - 0.01) < 1e-12);
  assert_true(fabs(r.joules_per_inference - 0.0025) < 1e-12);
  assert_non_null(strstr(r.method, "no timestamp edges"));
  mb_energy_close(e);
  fake_stop(&f);
}

static void test_error_answer(void **state) {
  (void)state;
  fake_lpm f = {.fail_cmd = "volt 1800m"};
  fake_start(&f);
  char spec[200], err[256];
  snprintf(spec, sizeof spec, "lpm01a:%s,volt=1800m", f.path);
  mb_energy *e;
  assert_int_equal(mb_energy_open(&e, spec, NULL, err, sizeof err), MB_ENERGY_OK);
  const char *why;
  assert_false(mb_energy_available(e, &why));
  assert_non_null(strstr(why, "'volt 1800m'"));
  assert_non_null(strstr(why, "error volt 1800m: bad value"));
  mb_energy_close(e);
  fake_stop(&f);
}

static void test_mute_monitor(void **state) {
  (void)state;
  fake_lpm f = {.mute = true};
  fake_start(&f);
  mb_energy *e = open_on(&f);
  const char *why;
  assert_false(mb_energy_available(e, &why));
  assert_non_null(strstr(why, "no 'ack' to 'htc' within 1000 ms"));
  mb_energy_close(e);
  fake_stop(&f);
}

static void test_parse_sample(void **state) {
  (void)state;
  double j;
  assert_true(mb_lpm01a_parse_sample("4312-08", &j));
  assert_true(fabs(j - 4312e-8) < 1e-18);
  assert_true(mb_lpm01a_parse_sample("1.5e-06", &j));
  assert_true(j == 1.5e-06);
  assert_false(mb_lpm01a_parse_sample("TimeStamp: 000s", &j));
  assert_false(mb_lpm01a_parse_sample("-5", &j));
  assert_false(mb_lpm01a_parse_sample("12-", &j));
  assert_false(mb_lpm01a_parse_sample("", &j));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_windows),      cmocka_unit_test(test_no_edges),
      cmocka_unit_test(test_error_answer), cmocka_unit_test(test_mute_monitor),
      cmocka_unit_test(test_parse_sample),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
