/*
 * tests/loadgen/test_drop.c - the SUT-side give-ups of libloadgen: lg_test_drop (after a
 * stop, the samples a SUT abandons no longer hold the drain: the run ends at once,
 * INVALID interrupted, those samples lost) and lg_test_fail (INVALID sut_failed with
 * the SUT's text, not "interrupted", the samples done so far kept). A SUT thread stands
 * in for a microcontroller in the middle of a long window. An alarm guards against a
 * drain that would wait its full 10 minutes.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "loadgen/loadgen.h"

typedef struct slow_sut {
  lg_test *t;
  const lg_sample *s;
  size_t n;
  bool fail;             /* lg_test_fail after completing `complete` samples */
  size_t complete;
  pthread_t thread;
  atomic_bool issued;
} slow_sut;

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Completes `complete` samples, then either fails or "works on a window" until the test
 * is stopped and drops the rest. */
static void *sut_main(void *arg) {
  slow_sut *u = arg;
  for (size_t i = 0; i < u->complete && i < u->n; i++) {
    lg_response r = {.id = u->s[i].id};
    lg_complete(u->t, &r, 1);
  }
  if (u->fail) {
    lg_test_fail(u->t, "the board went away");
    return NULL;
  }
  while (!lg_test_stopping(u->t)) sleep_ms(5);
  lg_test_drop(u->t, u->n - u->complete);
  return NULL;
}

static void issue(void *ctx, lg_test *t, const lg_sample *s, size_t n) {
  slow_sut *u = ctx;
  u->t = t, u->s = s, u->n = n;
  atomic_store(&u->issued, true);
  pthread_create(&u->thread, NULL, sut_main, u);
}

static void *stop_soon(void *arg) {
  sleep_ms(50);
  lg_test_request_stop(arg);
  return NULL;
}

static bool has(const lg_result *r, lg_reason code, const char *text) {
  for (size_t i = 0; i < r->reason_count; i++)
    if (r->reasons[i] == code && (!text || strstr(r->reason_text[i], text))) return true;
  return false;
}

static const lg_result *run(slow_sut *u, lg_test **t, bool stop) {
  lg_settings s;
  lg_settings_default(&s, LG_OFFLINE);
  s.min_duration_ms = 100;
  s.min_query_count = 20;
  s.drain_timeout_ms = 600000; /* the drain must not be what ends the run */
  lg_sut_ops so = {"slow", issue, NULL};
  lg_qsl_ops qo = {"qsl", 64, 64, NULL, NULL};
  assert_int_equal(lg_test_init(t, &s, &so, u, &qo, NULL, NULL), LG_OK);
  pthread_t stopper;
  if (stop) pthread_create(&stopper, NULL, stop_soon, *t);
  alarm(60);
  assert_int_equal(lg_test_run(*t), LG_OK);
  alarm(0);
  if (stop) pthread_join(stopper, NULL);
  pthread_join(u->thread, NULL);
  return lg_test_result(*t);
}

static void test_drop_ends_interrupted_run(void **state) {
  (void)state;
  slow_sut u = {.complete = 5};
  lg_test *t;
  const lg_result *r = run(&u, &t, true);
  assert_int_equal(r->samples_completed, 5);
  assert_int_equal(r->samples_lost, r->samples_issued - 5);
  assert_true(has(r, LG_REASON_INTERRUPTED, NULL));
  assert_true(has(r, LG_REASON_SAMPLES_LOST, NULL));
  assert_false(r->valid);
  lg_test_destroy(t);
}

static void test_fail_names_the_sut(void **state) {
  (void)state;
  slow_sut u = {.complete = 3, .fail = true};
  lg_test *t;
  const lg_result *r = run(&u, &t, false);
  assert_int_equal(r->samples_completed, 3);
  assert_true(has(r, LG_REASON_SUT_FAILED, "the board went away"));
  assert_false(has(r, LG_REASON_INTERRUPTED, NULL));
  assert_string_equal(lg_reason_name(LG_REASON_SUT_FAILED), "sut_failed");
  lg_test_fail(t, "a second reason is ignored");
  lg_test_destroy(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_drop_ends_interrupted_run),
      cmocka_unit_test(test_fail_names_the_sut),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
