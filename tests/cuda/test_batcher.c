/*
 * tests/cuda/test_batcher.c - the dynamic batching of sut/cuda/batcher.c on host
 * threads (no GPU needed): batches fill to max_batch and never exceed it, a partial
 * batch waits for max_delay (never less) or leaves at flush, a big Offline query is
 * cut into max_batch pieces shared by the workers, every sample is run exactly once,
 * pause(drop) discards the queue and pause waits for the batch in flight, and a
 * worker that cannot start fails the start with its reason.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "sut/cuda/batcher.h"

#define MAX_SAMPLES 4096
#define MAX_BATCHES 1024
#define SECOND_NS 1000000000ull

/* What the fake runner saw. */
typedef struct seen {
  pthread_mutex_t lock;
  size_t sizes[MAX_BATCHES];
  uint64_t ran_at_ns[MAX_BATCHES];
  size_t batches, samples;
  unsigned runs_of[MAX_SAMPLES]; /* by sample id */
  uint64_t hold_ns;              /* each run sleeps this long */
  bool running, finished;
} seen;

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * SECOND_NS + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
  struct timespec ts = {(time_t)(ns / SECOND_NS), (long)(ns % SECOND_NS)};
  nanosleep(&ts, NULL);
}

static void fake_run(void *ctx, unsigned worker, const lg_sample *samples,
                     lg_test *const *tests, size_t n)
{
  seen *s = ctx;
  pthread_mutex_lock(&s->lock);
  s->running = true;
  pthread_mutex_unlock(&s->lock);
  if (s->hold_ns)
    sleep_ns(s->hold_ns);
  pthread_mutex_lock(&s->lock);
  if (s->batches < MAX_BATCHES) {
    s->ran_at_ns[s->batches] = now_ns();
    s->sizes[s->batches] = n;
  }
  s->batches++;
  s->samples += n;
  for (size_t i = 0; i < n; i++)
    if (samples[i].id < MAX_SAMPLES)
      s->runs_of[samples[i].id]++;
  s->running = false;
  s->finished = true;
  pthread_mutex_unlock(&s->lock);
}

static sut_batcher *start(seen *s, unsigned workers, size_t max_batch, uint64_t delay_ns)
{
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
  sut_batcher_config c = {.workers = workers, .max_batch = max_batch,
                          .max_delay_ns = delay_ns, .run = fake_run, .ctx = s};
  sut_batcher *b = NULL;
  char err[160];
  if (sut_batcher_start(&b, &c, err, sizeof err))
    fail_msg("sut_batcher_start: %s", err);
  return b;
}

static void finish(sut_batcher *b, seen *s)
{
  sut_batcher_stop(b);
  pthread_mutex_destroy(&s->lock);
}

/* Wait (at most 10 s) until `samples` samples have been run. */
static void wait_samples(seen *s, size_t samples)
{
  uint64_t deadline = now_ns() + 10 * SECOND_NS;
  for (;;) {
    pthread_mutex_lock(&s->lock);
    size_t got = s->samples;
    pthread_mutex_unlock(&s->lock);
    if (got >= samples)
      return;
    if (now_ns() > deadline)
      fail_msg("only %zu of %zu samples ran in 10 s", got, samples);
    sleep_ns(1000000);
  }
}

static lg_sample samples[MAX_SAMPLES];

static void make_samples(size_t n)
{
  for (size_t i = 0; i < n; i++)
    samples[i] = (lg_sample){.id = i, .index = i % 7};
}

/* Server-like: one sample per issue; batches of max_batch, the rest at flush. */
static void test_fills_to_max_batch_then_flush(void **state)
{
  (void)state;
  seen s;
  sut_batcher *b = start(&s, 1, 4, 60 * SECOND_NS); /* the delay never runs out here */
  make_samples(10);
  for (size_t i = 0; i < 10; i++)
    sut_batcher_issue(b, NULL, &samples[i], 1);
  wait_samples(&s, 8);
  sleep_ns(20000000); /* the last two stay queued: not a full batch, no flush yet */
  pthread_mutex_lock(&s.lock);
  assert_int_equal(s.batches, 2);
  assert_int_equal(s.sizes[0], 4);
  assert_int_equal(s.sizes[1], 4);
  pthread_mutex_unlock(&s.lock);
  sut_batcher_flush(b);
  wait_samples(&s, 10);
  assert_int_equal(s.batches, 3);
  assert_int_equal(s.sizes[2], 2);
  for (size_t i = 0; i < 10; i++)
    assert_int_equal(s.runs_of[i], 1);
  sut_batcher_stats st;
  sut_batcher_get_stats(b, &st);
  assert_int_equal(st.batches, 3);
  assert_int_equal(st.samples, 10);
  assert_int_equal(st.largest_batch, 4);
  assert_int_equal(st.discarded, 0);
  finish(b, &s);
}

/* A partial batch leaves when its oldest sample has waited max_delay, never sooner. */
static void test_partial_batch_waits_for_delay(void **state)
{
  (void)state;
  seen s;
  const uint64_t delay = 30000000; /* 30 ms */
  sut_batcher *b = start(&s, 2, 64, delay);
  make_samples(3);
  uint64_t first = now_ns();
  for (size_t i = 0; i < 3; i++)
    sut_batcher_issue(b, NULL, &samples[i], 1);
  wait_samples(&s, 3);
  assert_int_equal(s.batches, 1);
  assert_int_equal(s.sizes[0], 3);
  assert_true(s.ran_at_ns[0] - first >= delay);
  finish(b, &s);
}

/* Offline-like: one query of 1000 cut into batches of at most 256 over 4 workers. */
static void test_offline_query_cut_into_batches(void **state)
{
  (void)state;
  seen s;
  sut_batcher *b = start(&s, 4, 256, 0);
  make_samples(1000);
  sut_batcher_issue(b, NULL, samples, 1000);
  wait_samples(&s, 1000);
  assert_int_equal(s.batches, 4); /* 256 + 256 + 256 + 232 */
  size_t total = 0;
  for (size_t i = 0; i < s.batches; i++) {
    assert_true(s.sizes[i] == 256 || s.sizes[i] == 232);
    total += s.sizes[i];
  }
  assert_int_equal(total, 1000);
  for (size_t i = 0; i < 1000; i++)
    assert_int_equal(s.runs_of[i], 1);
  finish(b, &s);
}

/* No delay: whatever is queued goes at once, never more than max_batch, each once. */
static void test_no_delay_runs_each_sample_once(void **state)
{
  (void)state;
  seen s;
  sut_batcher *b = start(&s, 3, 8, 0);
  s.hold_ns = 200000;
  make_samples(500);
  for (size_t i = 0; i < 500; i += 5)
    sut_batcher_issue(b, NULL, &samples[i], 5);
  wait_samples(&s, 500);
  sut_batcher_stats st;
  sut_batcher_get_stats(b, &st);
  assert_true(st.largest_batch <= 8);
  assert_int_equal(st.samples, 500);
  for (size_t i = 0; i < 500; i++)
    assert_int_equal(s.runs_of[i], 1);
  finish(b, &s);
}

/* pause(drop) discards what is queued; pause waits for the batch in flight. */
static void test_pause(void **state)
{
  (void)state;
  seen s;
  sut_batcher *b = start(&s, 1, 16, 60 * SECOND_NS);
  make_samples(8);
  sut_batcher_issue(b, NULL, samples, 3);
  sut_batcher_pause(b, true);
  sut_batcher_resume(b);
  sut_batcher_flush(b);
  sleep_ns(20000000);
  sut_batcher_stats st;
  sut_batcher_get_stats(b, &st);
  assert_int_equal(st.discarded, 3);
  assert_int_equal(st.batches, 0);

  s.hold_ns = 50000000; /* 50 ms in flight */
  sut_batcher_issue(b, NULL, &samples[3], 1);
  sut_batcher_flush(b);
  uint64_t deadline = now_ns() + 10 * SECOND_NS;
  for (bool running = false; !running && now_ns() < deadline; sleep_ns(100000)) {
    pthread_mutex_lock(&s.lock);
    running = s.running;
    pthread_mutex_unlock(&s.lock);
  }
  sut_batcher_pause(b, false);
  pthread_mutex_lock(&s.lock);
  assert_true(s.finished); /* pause returned only after the batch was done */
  pthread_mutex_unlock(&s.lock);
  sut_batcher_issue(b, NULL, &samples[4], 1); /* held while paused */
  sut_batcher_flush(b);
  sleep_ns(20000000);
  assert_int_equal(s.samples, 1);
  sut_batcher_resume(b);
  wait_samples(&s, 2);
  finish(b, &s);
}

static int refuse(void *ctx, unsigned worker, char *err, size_t errlen)
{
  snprintf(err, errlen, "worker %u: no device", worker);
  return worker == 1 ? -1 : 0;
}

static void test_worker_start_failure(void **state)
{
  (void)state;
  seen s;
  memset(&s, 0, sizeof s);
  sut_batcher_config c = {.workers = 3, .max_batch = 4, .worker_start = refuse,
                          .run = fake_run, .ctx = &s};
  sut_batcher *b = NULL;
  char err[160];
  assert_int_equal(sut_batcher_start(&b, &c, err, sizeof err), -1);
  assert_null(b);
  assert_string_equal(err, "worker 1: no device");
  c.max_batch = 0;
  assert_int_equal(sut_batcher_start(&b, &c, err, sizeof err), -1);
  assert_non_null(strstr(err, "max_batch"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fills_to_max_batch_then_flush),
      cmocka_unit_test(test_partial_batch_waits_for_delay),
      cmocka_unit_test(test_offline_query_cut_into_batches),
      cmocka_unit_test(test_no_delay_runs_each_sample_once),
      cmocka_unit_test(test_pause),
      cmocka_unit_test(test_worker_start_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
