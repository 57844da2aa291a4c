/*
 * tests/loadgen/test_scenarios.c - the four scenarios and the modes against fake SUTs:
 * counts, Poisson arrivals, latency from the scheduled time, every validity rule
 * flipping, a hung SUT, duplicate and unknown completions, interruption, accuracy mode
 * and find-peak; a result recomputed from the records (lg_result_recompute, as the
 * submission checker does) equals the live one. Many tests run one after another in one process (no globals).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <cmocka.h>

#include "loadgen/loadgen.h"

/* A fake SUT: completes inline, optionally misbehaving. */
typedef struct fake {
  uint64_t drop_every;     /* never complete every n-th sample (0 = none) */
  uint64_t duplicate_at;   /* complete this id twice (0 = none) */
  bool unknown_once;       /* complete an id that was never issued */
  uint64_t extra_ns;       /* report completion this much after now */
  uint64_t stop_after;     /* request a stop after this many samples */
  uint64_t service_ns;     /* simulate one server with this fixed service time */
  uint64_t spread_ns;      /* add a latency uniform in [0, spread_ns) by sample id */
  uint64_t seen, busy_until;
  uint64_t loads, loaded, unloads;
  uint32_t *hits;          /* per sample index */
  size_t hits_n;
} fake;

static void fake_issue(void *ctx, lg_test *t, const lg_sample *s, size_t n) {
  fake *f = ctx;
  for (size_t i = 0; i < n; i++) {
    uint64_t now = lg_now_ns();
    if (s[i].id == 0) f->seen = 0, f->busy_until = 0;
    f->seen++;
    if (f->hits && s[i].index < f->hits_n) f->hits[s[i].index]++;
    if (f->stop_after && f->seen == f->stop_after) lg_test_request_stop(t);
    if (f->drop_every && f->seen % f->drop_every == 0) continue;
    uint8_t out = (uint8_t)(s[i].index & 0xff);
    lg_response r = {s[i].id, &out, 1, 0};
    uint64_t done = now + f->extra_ns;
    if (f->spread_ns) /* a fixed scramble of the id: the same latencies on every run */
      done += (s[i].id * 0x9E3779B97F4A7C15ULL >> 40) % f->spread_ns;
    if (f->service_ns) { /* M/D/1 in virtual time: arrival at the scheduled time (so a
                            late issue on a busy machine does not change the queue) */
      size_t nrec;
      const lg_record *rec = lg_test_records(t, &nrec);
      uint64_t arrival = now - (rec[s[i].id].issued_ns - rec[s[i].id].scheduled_ns);
      f->busy_until = (f->busy_until > arrival ? f->busy_until : arrival) + f->service_ns;
      done = f->busy_until;
    }
    lg_complete_at(t, &r, 1, done);
    if (f->duplicate_at && s[i].id == f->duplicate_at) lg_complete(t, &r, 1);
  }
  if (f->unknown_once) {
    lg_response bogus = {1ULL << 40, NULL, 0, 0};
    lg_complete(t, &bogus, 1);
    f->unknown_once = false;
  }
}

static int fake_load(void *ctx, const uint64_t *idx, size_t n) {
  fake *f = ctx;
  f->loads++;
  f->loaded += n;
  return 0;
}

static int fake_unload(void *ctx, const uint64_t *idx, size_t n) {
  ((fake *)ctx)->unloads++;
  return 0;
}

static const lg_sut_ops fake_sut = {"fake", fake_issue, NULL};

/* Run one test; the caller destroys it. */
static lg_test *run(const lg_settings *s, fake *f, uint64_t total, uint64_t perf) {
  lg_qsl_ops q = {"fakeqsl", total, perf, fake_load, fake_unload};
  lg_hooks h = {.response_bytes_max = 4};
  lg_test *t;
  assert_int_equal(lg_test_init(&t, s, &fake_sut, f, &q, f, &h), LG_OK);
  assert_int_equal(lg_test_run(t), LG_OK);
  return t;
}

static bool has_reason(const lg_result *r, lg_reason code) {
  for (size_t i = 0; i < r->reason_count; i++)
    if (r->reasons[i] == code) return true;
  return false;
}

static lg_settings quick(lg_scenario sc, uint64_t min_ms) {
  lg_settings s;
  lg_settings_default(&s, sc);
  s.min_duration_ms = min_ms;
  s.drain_timeout_ms = 200;
  return s;
}

/* The result recomputed from the records (as a checker reading samples.csv back does)
 * equals the live one: every statistic, the metric, the checks and the reasons. */
static void same_as_recomputed(const lg_test *t) {
  const lg_result *r = lg_test_result(t);
  size_t n;
  const lg_record *live = lg_test_records(t, &n);
  lg_record *rec = calloc(n ? n : 1, sizeof *rec);
  assert_non_null(rec);
  for (size_t i = 0; i < n; i++) { /* only what samples.csv holds */
    rec[i].scheduled_ns = live[i].scheduled_ns;
    rec[i].issued_ns = live[i].issued_ns;
    rec[i].sample_index = live[i].sample_index;
    bool lost = lg_record_lost(&live[i]);
    rec[i].completed_ns = lost ? 0 : live[i].completed_ns;
    lg_record_set_lost(&rec[i], lost);
  }
  lg_replay_counts c = {r->queries_issued, r->duplicate_completions, r->unknown_completions,
                        r->late_completions, r->oversized_responses,
                        has_reason(r, LG_REASON_INTERRUPTED), NULL, NULL, 0};
  lg_result d;
  assert_int_equal(lg_result_recompute(lg_test_settings(t), rec, n, &c, &d), LG_OK);
  assert_int_equal(d.valid, r->valid);
  assert_int_equal(d.reason_count, r->reason_count);
  for (size_t i = 0; i < r->reason_count; i++) {
    assert_int_equal(d.reasons[i], r->reasons[i]);
    /* the same words; a live run may add that the SUT hung, which records do not show */
    assert_int_equal(strncmp(d.reason_text[i], r->reason_text[i], strlen(d.reason_text[i])), 0);
  }
  assert_true(d.metric == r->metric);
  assert_true(d.metric_ci_low == r->metric_ci_low && d.metric_ci_high == r->metric_ci_high);
  assert_int_equal(d.samples_completed, r->samples_completed);
  assert_int_equal(d.samples_lost, r->samples_lost);
  assert_int_equal(d.duration_ns, r->duration_ns);
  assert_memory_equal(&d.latency, &r->latency, sizeof d.latency);
  assert_memory_equal(&d.query_latency, &r->query_latency, sizeof d.query_latency);
  assert_memory_equal(&d.issue_delay, &r->issue_delay, sizeof d.issue_delay);
  assert_int_equal(d.latency_at_percentile_ns, r->latency_at_percentile_ns);
  assert_int_equal(d.es_min_queries, r->es_min_queries);
  assert_int_equal(d.es_estimate_ns, r->es_estimate_ns);
  assert_int_equal(d.early_stopping_met, r->early_stopping_met);
  assert_int_equal(d.latency_bound_met, r->latency_bound_met);
  free(rec);
}

static void test_recompute_matches_live(void **state) {
  (void)state;
  struct { lg_scenario sc; uint64_t ms; double qps; fake f; } cases[] = {
      {LG_SINGLE_STREAM, 30, 0, {0}},
      {LG_MULTI_STREAM, 20, 0, {0}},
      {LG_SERVER, 100, 3000, {0}},
      {LG_SERVER, 100, 2000, {.drop_every = 10}},           /* lost samples */
      {LG_SERVER, 60000, 50000, {.stop_after = 300}},       /* interrupted */
      {LG_SERVER, 100, 10000, {.extra_ns = 20000000}},      /* latency bound missed */
      {LG_OFFLINE, 20, 0, {0}},
      {LG_SINGLE_STREAM, 10, 0, {.duplicate_at = 5, .unknown_once = true}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    lg_settings s = quick(cases[i].sc, cases[i].ms);
    if (cases[i].qps > 0) s.server_target_qps = cases[i].qps;
    if (cases[i].sc == LG_SERVER && cases[i].f.extra_ns) s.server_target_latency_ns = 10000000;
    lg_test *t = run(&s, &cases[i].f, 256, 256);
    same_as_recomputed(t);
    lg_test_destroy(t);
  }
}

/* lg_settings_set_field reads back every field lg_settings_field writes. */
static void test_settings_field_round_trip(void **state) {
  (void)state;
  lg_settings a, b;
  lg_settings_default(&a, LG_SERVER);
  a.server_target_qps = 1234.5;
  a.min_duration_ms = 777;
  a.qsl_rng_seed = 42;
  a.early_stopping = false;
  a.server_target_latency_percentile = 0.97;
  lg_settings_default(&b, LG_SINGLE_STREAM);
  const char *name;
  char value[64], again[64], err[200];
  assert_int_equal(lg_settings_set_field(&b, "scenario", "Server", err, sizeof err), LG_OK);
  for (size_t i = 0; lg_settings_field(&a, i, &name, NULL, value, sizeof value); i++)
    assert_int_equal(lg_settings_set_field(&b, name, value, err, sizeof err), LG_OK);
  for (size_t i = 0; lg_settings_field(&a, i, &name, NULL, value, sizeof value); i++) {
    const char *name_b;
    assert_true(lg_settings_field(&b, i, &name_b, NULL, again, sizeof again));
    assert_string_equal(value, again);
  }
  assert_int_equal(b.scenario, LG_SERVER);
  assert_int_equal(lg_settings_set_field(&b, "min_duration_ms", "-5", err, sizeof err), LG_ECONFIG);
  assert_string_equal(err, "min_duration_ms: '-5': not a valid number");
  assert_int_equal(lg_settings_set_field(&b, "early_stopping", "maybe", err, sizeof err), LG_ECONFIG);
  assert_int_equal(lg_settings_set_field(&b, "warp_speed", "9", err, sizeof err), LG_ECONFIG);
  assert_string_equal(err, "warp_speed: not a loadgen setting");
  assert_int_equal(lg_settings_set_field(&b, "mode", "sideways", err, sizeof err), LG_ECONFIG);
}

static void test_single_stream_valid(void **state) {
  (void)state;
  fake f = {0};
  lg_settings s = quick(LG_SINGLE_STREAM, 50);
  lg_test *t = run(&s, &f, 1024, 256);
  const lg_result *r = lg_test_result(t);
  assert_true(r->valid);
  assert_true(r->queries_issued >= 100);
  assert_int_equal(r->samples_issued, r->queries_issued);
  assert_int_equal(r->samples_completed, r->samples_issued);
  assert_true(r->duration_ns >= 50000000);
  assert_int_equal(f.loads, 1);
  assert_int_equal(f.loaded, 256);
  assert_int_equal(f.unloads, 1);
  size_t n;
  const lg_record *rec = lg_test_records(t, &n);
  assert_int_equal(n, r->samples_issued);
  for (size_t i = 1; i < n; i++) /* next query only after the previous completed */
    assert_true(rec[i].issued_ns >= rec[i - 1].completed_ns);
  lg_test_destroy(t);
}

static void test_multi_stream_queries_of_8(void **state) {
  (void)state;
  fake f = {0};
  lg_settings s = quick(LG_MULTI_STREAM, 20);
  lg_test *t = run(&s, &f, 1024, 1024);
  const lg_result *r = lg_test_result(t);
  assert_true(r->queries_issued >= 662);
  assert_int_equal(r->samples_issued, r->queries_issued * 8);
  assert_int_equal(r->query_latency.count, r->queries_issued);
  size_t n;
  const lg_record *rec = lg_test_records(t, &n);
  /* 8 contiguous entries of the loaded set, issued together */
  assert_int_equal(rec[8].issued_ns, rec[15].issued_ns);
  assert_true(r->valid);
  lg_test_destroy(t);
}

static void test_server_poisson_and_latency_from_schedule(void **state) {
  (void)state;
  fake f = {.extra_ns = 1000000}; /* every sample takes 1 ms */
  lg_settings s = quick(LG_SERVER, 1000);
  s.server_target_qps = 5000;
  lg_test *t = run(&s, &f, 1024, 1024);
  const lg_result *r = lg_test_result(t);
  size_t n;
  const lg_record *rec = lg_test_records(t, &n);
  assert_true(n > 4000);
  /* exponential gaps: mean 1/qps, and coefficient of variation 1 */
  double sum = 0, sq = 0;
  for (size_t i = 1; i < n; i++) {
    double g = (double)(rec[i].scheduled_ns - rec[i - 1].scheduled_ns);
    sum += g, sq += g * g;
  }
  double mean = sum / (double)(n - 1), cv = sqrt(sq / (double)(n - 1) - mean * mean) / mean;
  assert_true(mean > 200000 * 0.95 && mean < 200000 * 1.05);
  assert_true(cv > 0.93 && cv < 1.07);
  /* latency counts from the scheduled time: >= 1 ms + issue delay */
  for (size_t i = 0; i < n; i++)
    assert_true(rec[i].completed_ns - rec[i].scheduled_ns >=
                1000000 + (rec[i].issued_ns - rec[i].scheduled_ns));
  assert_true(r->latency.p50_ns >= 1000000);
  assert_true(r->issue_delay.count == n);
  assert_true(r->latency_bound_met);
  assert_true(r->valid);
  lg_test_destroy(t);
}

static void test_server_same_seed_same_schedule(void **state) {
  (void)state;
  fake f = {0};
  lg_settings s = quick(LG_SERVER, 20);
  s.server_target_qps = 20000;
  s.schedule_rng_seed = 7;
  lg_test *a = run(&s, &f, 64, 64), *b = run(&s, &f, 64, 64);
  size_t na, nb;
  const lg_record *ra = lg_test_records(a, &na), *rb = lg_test_records(b, &nb);
  assert_int_equal(na, nb);
  for (size_t i = 0; i < na; i++) {
    assert_int_equal(ra[i].scheduled_ns, rb[i].scheduled_ns);
    assert_int_equal(ra[i].sample_index, rb[i].sample_index);
  }
  lg_test_destroy(a);
  lg_test_destroy(b);
}

static void test_offline_query_size_and_metric(void **state) {
  (void)state;
  fake f = {0};
  lg_settings s = quick(LG_OFFLINE, 100);
  s.offline_expected_qps = 10000; /* 1.1 x 0.1 s x 10000 = 1100 samples */
  lg_test *t = run(&s, &f, 1024, 100);
  const lg_result *r = lg_test_result(t);
  assert_int_equal(r->queries_issued, 1);
  assert_int_equal(r->samples_issued, 1100);
  size_t n;
  const lg_record *rec = lg_test_records(t, &n);
  assert_int_equal(rec[0].sample_index, rec[100].sample_index); /* load order, repeated */
  assert_true(r->samples_per_s > 0);
  assert_true(r->metric == r->samples_per_s);
  assert_false(r->valid); /* the fake finishes long before min_duration */
  assert_true(has_reason(r, LG_REASON_MIN_DURATION));
  lg_test_destroy(t);
}

static void test_hung_sut_ends_invalid_with_counts(void **state) {
  (void)state;
  fake f = {.drop_every = 10};
  lg_settings s = quick(LG_SERVER, 100);
  s.server_target_qps = 2000;
  time_t start = time(NULL);
  lg_test *t = run(&s, &f, 64, 64);
  const lg_result *r = lg_test_result(t);
  assert_true(time(NULL) - start < 5);
  assert_false(r->valid);
  assert_true(has_reason(r, LG_REASON_SAMPLES_LOST));
  assert_int_equal(r->samples_lost, r->samples_issued / 10);
  assert_int_equal(r->samples_completed + r->samples_lost, r->samples_issued);
  lg_test_destroy(t);
  /* SingleStream: a query that never completes ends the run after drain_timeout */
  fake g = {.drop_every = 50};
  s = quick(LG_SINGLE_STREAM, 1000);
  t = run(&s, &g, 64, 64);
  r = lg_test_result(t);
  assert_int_equal(r->samples_issued, 50);
  assert_int_equal(r->samples_lost, 1);
  assert_non_null(strstr(r->reason_text[r->reason_count - 1], "stopped completing"));
  lg_test_destroy(t);
}

static void test_duplicate_and_unknown_ids(void **state) {
  (void)state;
  fake f = {.duplicate_at = 5, .unknown_once = true};
  lg_settings s = quick(LG_SINGLE_STREAM, 10);
  lg_test *t = run(&s, &f, 64, 64);
  const lg_result *r = lg_test_result(t);
  assert_int_equal(r->duplicate_completions, 1);
  assert_int_equal(r->unknown_completions, 1);
  assert_true(has_reason(r, LG_REASON_SUT_ERRORS));
  assert_false(r->valid);
  lg_test_destroy(t);
}

static void test_validity_rules_flip(void **state) {
  (void)state;
  fake f = {0};
  /* too few queries for early stopping (and min_query_count) */
  lg_settings s = quick(LG_SINGLE_STREAM, 0);
  s.min_query_count = 10;
  lg_test *t = run(&s, &f, 64, 64);
  assert_true(has_reason(lg_test_result(t), LG_REASON_EARLY_STOPPING));
  assert_int_equal(lg_test_result(t)->es_min_queries, 64);
  lg_test_destroy(t);
  s.min_query_count = 64;
  t = run(&s, &f, 64, 64);
  assert_true(lg_test_result(t)->valid);
  lg_test_destroy(t);
  /* max_query_count stops the run before min_duration */
  s = quick(LG_SINGLE_STREAM, 60000);
  s.max_query_count = 200;
  t = run(&s, &f, 64, 64);
  assert_true(has_reason(lg_test_result(t), LG_REASON_MIN_DURATION));
  assert_true(has_reason(lg_test_result(t), LG_REASON_MAX_DURATION));
  assert_int_equal(lg_test_result(t)->queries_issued, 200);
  lg_test_destroy(t);
  /* latency bound: 20 ms per sample against a 10 ms bound */
  fake slow = {.extra_ns = 20000000};
  s = quick(LG_SERVER, 100);
  s.server_target_qps = 10000;
  s.server_target_latency_ns = 10000000;
  t = run(&s, &slow, 64, 64);
  assert_true(has_reason(lg_test_result(t), LG_REASON_LATENCY_BOUND));
  assert_true(has_reason(lg_test_result(t), LG_REASON_EARLY_STOPPING));
  assert_false(lg_test_result(t)->latency_bound_met);
  lg_test_destroy(t);
}

static void test_interrupt_keeps_measurements(void **state) {
  (void)state;
  fake f = {.stop_after = 500};
  lg_settings s = quick(LG_SERVER, 60000);
  s.server_target_qps = 50000;
  lg_test *t = run(&s, &f, 64, 64);
  const lg_result *r = lg_test_result(t);
  assert_true(has_reason(r, LG_REASON_INTERRUPTED));
  assert_true(r->samples_issued >= 500 && r->samples_issued < 600);
  assert_int_equal(r->samples_completed, r->samples_issued);
  lg_test_destroy(t);
}

static void test_accuracy_every_sample_once(void **state) {
  (void)state;
  uint32_t hits[300] = {0};
  fake f = {.hits = hits, .hits_n = 300};
  lg_settings s = quick(LG_OFFLINE, 0);
  s.mode = LG_MODE_ACCURACY;
  lg_test *t = run(&s, &f, 300, 128); /* loadable sets of 128, 128, 44 */
  const lg_result *r = lg_test_result(t);
  assert_int_equal(r->samples_issued, 300);
  assert_int_equal(f.loads, 3);
  assert_int_equal(f.unloads, 3);
  for (int i = 0; i < 300; i++) assert_int_equal(hits[i], 1);
  size_t n, size;
  const lg_record *rec = lg_test_records(t, &n);
  const uint8_t *out = lg_test_response(t, 7, &size);
  assert_non_null(out);
  assert_int_equal(size, 1);
  assert_int_equal(*out, rec[7].sample_index & 0xff);
  lg_test_destroy(t);
}

/* One simulated server with a 250 us service time saturates at 4000 qps; queueing
 * theory (M/D/1) puts the 10 ms p99 bound a few percent below that. */
static void test_find_peak(void **state) {
  (void)state;
  fake f = {.service_ns = 250000};
  lg_settings s = quick(LG_SERVER, 400);
  s.mode = LG_MODE_FIND_PEAK;
  s.server_target_qps = 1000;
  s.server_target_latency_ns = 10000000;
  s.find_peak_precision = 0.02;
  lg_test *t = run(&s, &f, 64, 64);
  const lg_result *r = lg_test_result(t);
  assert_int_equal(r->mode, LG_MODE_FIND_PEAK);
  assert_true(r->peak_qps > 3200 && r->peak_qps < 4000);
  assert_true(r->probe_count >= 4 && r->probe_count < 20);
  assert_true(r->probes[r->probe_count - 1].valid); /* the confirming run */
  assert_int_equal(r->probes[r->probe_count - 1].duration_ms, 400);
  assert_true(r->valid);
  lg_test_destroy(t);
}

/* A SUT completing from another thread (run under ThreadSanitizer too). */
typedef struct threaded {
  lg_test *t;
  lg_sample q[8];
  size_t n;
  int pending;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool quit;
  pthread_t th;
} threaded;

static void *threaded_main(void *arg) {
  threaded *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->pending && !w->quit) pthread_cond_wait(&w->cv, &w->mu);
    if (w->quit) break;
    w->pending = 0;
    for (size_t i = 0; i < w->n; i++) {
      lg_response r = {w->q[i].id, NULL, 0, 0};
      lg_complete(w->t, &r, 1);
    }
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

static void threaded_issue(void *ctx, lg_test *t, const lg_sample *s, size_t n) {
  threaded *w = ctx;
  pthread_mutex_lock(&w->mu);
  w->t = t;
  memcpy(w->q, s, n * sizeof *s);
  w->n = n;
  w->pending = 1;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

/* until_stable: the run goes on past its minimums until the interval is narrow, and
 * ends INVALID "unstable" when max_duration comes first. */
static void test_until_stable_single_stream(void **state) {
  (void)state;
  fake f = {.spread_ns = 1000000};
  lg_settings s = quick(LG_SINGLE_STREAM, 0);
  lg_test *t = run(&s, &f, 1024, 256);
  assert_int_equal(lg_test_result(t)->queries_issued, 100); /* the minimum, without */
  assert_int_equal(lg_test_result(t)->stable_target, 0);
  lg_test_destroy(t);
  s.until_stable = 0.02;
  t = run(&s, &f, 1024, 256);
  const lg_result *r = lg_test_result(t);
  assert_true(r->valid);
  assert_true(r->stable_met);
  assert_true(r->stable_rel <= 0.02);
  assert_true(r->stable_checks >= 2);
  /* uniform latencies: the p90 interval is +-2 % after roughly 1,800 queries */
  assert_true(r->queries_issued > 1000);
  assert_true(r->queries_issued < 20000);
  double rel = fmax(r->metric - r->metric_ci_low, r->metric_ci_high - r->metric) / r->metric;
  assert_true(fabs(rel - r->stable_rel) < 1e-12);
  lg_test_destroy(t);
}

static void test_until_stable_gives_up_at_max_duration(void **state) {
  (void)state;
  fake f = {.spread_ns = 1000000};
  lg_settings s = quick(LG_SINGLE_STREAM, 0);
  s.until_stable = 0.0001; /* needs ~10^8 queries */
  s.max_duration_ms = 30;
  lg_test *t = run(&s, &f, 1024, 256);
  const lg_result *r = lg_test_result(t);
  assert_false(r->valid);
  assert_false(r->stable_met);
  assert_true(r->stable_rel > 0.0001);
  assert_true(has_reason(r, LG_REASON_UNSTABLE));
  assert_true(r->queries_issued > 1000); /* went on past the minimum of 100 */
  lg_test_destroy(t);
}

static void test_until_stable_server(void **state) {
  (void)state;
  fake f = {.spread_ns = 100000};
  lg_settings s = quick(LG_SERVER, 0);
  s.server_target_qps = 100000;
  s.until_stable = 0.05;
  lg_test *t = run(&s, &f, 1024, 256);
  const lg_result *r = lg_test_result(t);
  assert_true(r->stable_met);
  /* the Poisson interval of the arrival rate alone needs (2.576 / 0.05)^2 = 2,654 */
  assert_true(r->queries_issued >= 2654);
  assert_true(r->latency_ci_low_ns <= r->latency_at_percentile_ns);
  assert_true(r->latency_ci_high_ns >= r->latency_at_percentile_ns);
  lg_test_destroy(t);
  char err[256];
  s.until_stable = 0.9;
  assert_int_equal(lg_settings_validate(&s, err, sizeof err), LG_ECONFIG);
  assert_non_null(strstr(err, "until_stable"));
}

static void test_completion_from_another_thread(void **state) {
  (void)state;
  threaded w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  pthread_create(&w.th, NULL, threaded_main, &w);
  lg_sut_ops ops = {"threaded", threaded_issue, NULL};
  lg_qsl_ops q = {"q", 64, 64, NULL, NULL};
  lg_settings s = quick(LG_MULTI_STREAM, 10);
  lg_test *t;
  assert_int_equal(lg_test_init(&t, &s, &ops, &w, &q, NULL, NULL), LG_OK);
  assert_int_equal(lg_test_run(t), LG_OK);
  const lg_result *r = lg_test_result(t);
  assert_int_equal(r->samples_completed, r->samples_issued);
  assert_true(r->valid);
  pthread_mutex_lock(&w.mu);
  w.quit = true;
  pthread_cond_signal(&w.cv);
  pthread_mutex_unlock(&w.mu);
  pthread_join(w.th, NULL);
  lg_test_destroy(t);
}

static void test_init_errors(void **state) {
  (void)state;
  lg_settings s = quick(LG_OFFLINE, 10);
  lg_qsl_ops q = {"q", 0, 0, NULL, NULL};
  lg_test *t;
  assert_int_equal(lg_test_init(&t, &s, &fake_sut, NULL, &q, NULL, NULL), LG_ECONFIG);
  assert_non_null(strstr(lg_test_error(t), "total_sample_count"));
  assert_int_equal(lg_test_run(t), LG_ECONFIG);
  lg_test_destroy(t);
  lg_test_destroy(NULL);
  assert_int_equal(lg_test_init(&t, NULL, &fake_sut, NULL, &q, NULL, NULL), LG_EINVAL);
  assert_string_equal(lg_strerror(LG_ECONFIG), "invalid configuration");
  lg_scenario sc;
  assert_int_equal(lg_scenario_parse("single-stream", &sc), LG_OK);
  assert_int_equal(sc, LG_SINGLE_STREAM);
  assert_int_equal(lg_scenario_parse("Offline", &sc), LG_OK);
  assert_int_equal(sc, LG_OFFLINE);
  assert_int_equal(lg_scenario_parse("nope", &sc), LG_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_stream_valid),
      cmocka_unit_test(test_multi_stream_queries_of_8),
      cmocka_unit_test(test_server_poisson_and_latency_from_schedule),
      cmocka_unit_test(test_server_same_seed_same_schedule),
      cmocka_unit_test(test_offline_query_size_and_metric),
      cmocka_unit_test(test_hung_sut_ends_invalid_with_counts),
      cmocka_unit_test(test_duplicate_and_unknown_ids),
      cmocka_unit_test(test_validity_rules_flip),
      cmocka_unit_test(test_interrupt_keeps_measurements),
      cmocka_unit_test(test_accuracy_every_sample_once),
      cmocka_unit_test(test_find_peak),
      cmocka_unit_test(test_until_stable_single_stream),
      cmocka_unit_test(test_until_stable_gives_up_at_max_duration),
      cmocka_unit_test(test_until_stable_server),
      cmocka_unit_test(test_completion_from_another_thread),
      cmocka_unit_test(test_init_errors),
      cmocka_unit_test(test_recompute_matches_live),
      cmocka_unit_test(test_settings_field_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
