/*
 * tests/loadgen/test_tokens.c - token latencies (use_token_latencies): a synthetic SUT
 * reports each sample's first token and completion at times it chooses, so TTFT, TPOT,
 * tokens/s, their percentiles and intervals, and the Server verdicts on ttft_latency
 * and tpot_latency can be checked against numbers worked out by hand; plus the
 * reporting errors (no first token, too few tokens, duplicates) and the no-op when
 * token latencies are off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "loadgen/loadgen.h"

/* Sample id i has 2 + i % 7 tokens; its first token comes ttft_ns after issue and each
 * later token tpot_ns(i) after the previous one, so TPOT is exactly tpot_ns(i). */
typedef struct tok_sut {
  uint64_t ttft_ns;
  uint64_t tpot_base_ns;   /* TPOT of id i: tpot_base_ns * (1 + i % 100) */
  bool spread;             /* false: every TPOT is tpot_base_ns */
  bool no_first_token;     /* never call lg_first_token */
  bool first_token_twice;  /* report id 0's first token twice */
  bool late_first_token;   /* report id 1's first token after its completion */
  uint64_t fixed_tokens;   /* when > 0: every sample has this many tokens */
} tok_sut;

static uint64_t tokens_of(const tok_sut *f, uint64_t id) {
  return f->fixed_tokens ? f->fixed_tokens : 2 + id % 7;
}

static uint64_t tpot_of(const tok_sut *f, uint64_t id) {
  return f->spread ? f->tpot_base_ns * (1 + id % 100) : f->tpot_base_ns;
}

static void tok_issue(void *ctx, lg_test *t, const lg_sample *s, size_t n) {
  tok_sut *f = ctx;
  for (size_t i = 0; i < n; i++) {
    uint64_t id = s[i].id, k = tokens_of(f, id);
    uint64_t first = lg_now_ns() + f->ttft_ns, done = first + (k - 1) * tpot_of(f, id);
    lg_response r = {id, NULL, 0, k};
    if (!f->no_first_token && !(f->late_first_token && id == 1)) lg_first_token_at(t, &r, 1, first);
    if (f->first_token_twice && id == 0) lg_first_token_at(t, &r, 1, first);
    lg_complete_at(t, &r, 1, done);
    if (f->late_first_token && id == 1) lg_first_token_at(t, &r, 1, first);
  }
}

static const lg_sut_ops tok_ops = {"tokens", tok_issue, NULL};

static lg_test *run(const lg_settings *s, tok_sut *f) {
  lg_qsl_ops q = {"qsl", 1024, 256, NULL, NULL};
  lg_test *t;
  assert_int_equal(lg_test_init(&t, s, &tok_ops, f, &q, NULL, NULL), LG_OK);
  assert_int_equal(lg_test_run(t), LG_OK);
  return t;
}

/* The run's reasons as a bit set (bit = lg_reason). */
static unsigned reasons(const lg_result *r) {
  unsigned bits = 0;
  for (size_t i = 0; i < r->reason_count; i++) bits |= 1u << r->reasons[i];
  return bits;
}
#define HAS(r, code) ((reasons(r) >> (code)) & 1u)

/* Exactly 100 SingleStream queries. */
static lg_settings hundred(lg_scenario sc) {
  lg_settings s;
  lg_settings_default(&s, sc);
  s.min_duration_ms = 0;
  s.min_query_count = 100;
  s.max_query_count = 100;
  s.use_token_latencies = true;
  return s;
}

static void test_single_stream_token_math(void **state) {
  tok_sut f = {.ttft_ns = 3000, .tpot_base_ns = 1000, .spread = true};
  lg_settings s = hundred(LG_SINGLE_STREAM);
  lg_test *t = run(&s, &f);
  const lg_result *r = lg_test_result(t);
  const lg_token_result *k = &r->tokens;
  assert_true(r->valid);
  assert_true(k->enabled);
  assert_int_equal(r->samples_completed, 100);
  /* tokens: sum over ids 0..99 of 2 + id % 7 = 200 + 14 x 21 + 0 + 1 = 495 */
  assert_int_equal(k->tokens, 495);
  /* TPOT of id i is 1000 (1 + i % 100) ns: 1000, 2000, ..., 100000, once each */
  assert_int_equal(k->tpot.count, 100);
  assert_int_equal(k->tpot.min_ns, 1000);
  assert_int_equal(k->tpot.max_ns, 100000);
  assert_true(k->tpot.mean_ns == 50500.0);
  assert_int_equal(k->tpot.p50_ns, 51000); /* sorted[floor(100 x 0.5)] */
  assert_int_equal(k->tpot.p90_ns, 91000);
  assert_int_equal(k->tpot.p99_ns, 100000);
  assert_true(k->percentile == 0.90);
  assert_int_equal(k->tpot_at_percentile_ns, 91000);
  /* 99 % order-statistic interval around index 90 of 100: [82, 98] */
  assert_int_equal(k->tpot_ci_low_ns, 83000);
  assert_int_equal(k->tpot_ci_high_ns, 99000);
  assert_int_equal(k->missing_first_token, 0);
  assert_int_equal(k->missing_tokens, 0);
  assert_int_equal(k->first_token_errors, 0);
  /* per record: TTFT = latency - (n - 1) TPOT, and the first token came at issue + 3 us */
  size_t n, nt;
  const lg_record *rec = lg_test_records(t, &n);
  const lg_token_record *tr = lg_test_token_records(t, &nt);
  assert_non_null(tr);
  assert_int_equal(nt, n);
  uint64_t ttft_min = UINT64_MAX, ttft_max = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t ttft = tr[i].first_token_ns - rec[i].scheduled_ns;
    assert_int_equal(tr[i].n_tokens, 2 + i % 7);
    assert_int_equal(rec[i].completed_ns - tr[i].first_token_ns, (1 + i % 7) * 1000 * (1 + i % 100));
    assert_true(ttft >= 3000);
    ttft_min = ttft < ttft_min ? ttft : ttft_min;
    ttft_max = ttft > ttft_max ? ttft : ttft_max;
  }
  assert_int_equal(k->ttft.count, 100);
  assert_int_equal(k->ttft.min_ns, ttft_min);
  assert_int_equal(k->ttft.max_ns, ttft_max);
  assert_true(k->tokens_per_s == 495 * 1e9 / (double)r->last_completion_ns);
  lg_test_destroy(t);
}

/* Server: the TTFT and TPOT bounds decide, each with its own reason. */
static void test_server_token_verdicts(void **state) {
  lg_settings s;
  lg_settings_default(&s, LG_SERVER);
  s.min_duration_ms = 20;
  s.server_target_qps = 50000;
  s.use_token_latencies = true;
  s.server_target_latency_ns = 1; /* ignored with token latencies, as in MLPerf */
  s.server_ttft_latency_ns = 10000000000ULL;
  s.server_tpot_latency_ns = 3000000;
  tok_sut f = {.ttft_ns = 5000000, .tpot_base_ns = 2000000};
  lg_test *t = run(&s, &f);
  const lg_result *r = lg_test_result(t);
  assert_true(r->queries_issued >= 500);
  assert_true(r->tokens.ttft_bound_met);
  assert_true(r->tokens.tpot_bound_met);
  assert_int_equal(r->tokens.tpot_at_percentile_ns, 2000000);
  assert_int_equal(r->tokens.ttft_overlatency_count, 0);
  assert_int_equal(r->tokens.es_min_queries, 459); /* h(0, 0.99) */
  assert_true(r->latency_bound_met);
  assert_false(HAS(r, LG_REASON_LATENCY_BOUND));
  assert_true(r->valid);
  /* a checker replaying the records and token records reaches the same verdict */
  size_t n;
  const lg_record *rec = lg_test_records(t, &n);
  lg_replay_counts c = {.queries_issued = r->queries_issued,
                        .tokens = lg_test_token_records(t, NULL)};
  lg_result again;
  assert_int_equal(lg_result_recompute(&s, rec, n, &c, &again), LG_OK);
  assert_true(again.valid);
  assert_int_equal(again.tokens.tokens, r->tokens.tokens);
  assert_int_equal(again.tokens.ttft.p99_ns, r->tokens.ttft.p99_ns);
  assert_int_equal(again.tokens.tpot_at_percentile_ns, 2000000);
  c.tokens = NULL; /* without them it cannot judge the token bounds */
  assert_int_equal(lg_result_recompute(&s, rec, n, &c, &again), LG_OK);
  assert_false(again.tokens.enabled);
  assert_false(again.valid);
  lg_test_destroy(t);

  s.server_ttft_latency_ns = 1000000; /* every TTFT is >= 5 ms */
  s.server_tpot_latency_ns = 1000000; /* every TPOT is 2 ms */
  t = run(&s, &f);
  r = lg_test_result(t);
  assert_false(r->valid);
  assert_false(r->tokens.ttft_bound_met);
  assert_false(r->tokens.tpot_bound_met);
  assert_true(HAS(r, LG_REASON_TTFT_BOUND));
  assert_true(HAS(r, LG_REASON_TPOT_BOUND));
  assert_true(HAS(r, LG_REASON_EARLY_STOPPING));
  assert_int_equal(r->tokens.tpot_overlatency_count, r->samples_completed);
  assert_int_equal(r->tokens.ttft_overlatency_count, r->samples_completed);
  lg_test_destroy(t);
}

/* Offline needs no first token; tokens/s carries the samples/s interval scaled. */
static void test_offline_tokens_per_second(void **state) {
  lg_settings s;
  lg_settings_default(&s, LG_OFFLINE);
  s.min_duration_ms = 0;
  s.min_query_count = 1000;
  s.use_token_latencies = true;
  tok_sut f = {.tpot_base_ns = 1000, .no_first_token = true, .fixed_tokens = 4};
  lg_test *t = run(&s, &f);
  const lg_result *r = lg_test_result(t);
  const lg_token_result *k = &r->tokens;
  assert_true(r->valid);
  assert_int_equal(r->samples_completed, 1000);
  assert_int_equal(k->tokens, 4000);
  assert_int_equal(k->missing_first_token, 0);
  assert_int_equal(k->ttft.count, 0);
  assert_true(k->tokens_per_s == 4 * r->samples_per_s);
  assert_non_null(r->metric_ci_method);
  assert_true(k->tokens_per_s_ci_low == 4 * r->metric_ci_low);
  assert_true(k->tokens_per_s_ci_high == 4 * r->metric_ci_high);
  lg_test_destroy(t);
}

static void test_reporting_errors(void **state) {
  lg_settings s = hundred(LG_SINGLE_STREAM);
  tok_sut f = {.tpot_base_ns = 1000, .no_first_token = true};
  lg_test *t = run(&s, &f);
  const lg_result *r = lg_test_result(t);
  assert_false(r->valid);
  assert_true(HAS(r, LG_REASON_TOKENS));
  assert_int_equal(r->tokens.missing_first_token, 100);
  assert_int_equal(r->tokens.tpot.count, 0);
  lg_test_destroy(t);

  tok_sut g = {.tpot_base_ns = 1000, .first_token_twice = true, .late_first_token = true,
               .fixed_tokens = 1};
  t = run(&s, &g);
  r = lg_test_result(t);
  assert_int_equal(r->tokens.first_token_errors, 2); /* id 0 twice, id 1 after completion */
  assert_int_equal(r->tokens.missing_first_token, 1); /* id 1 */
  assert_int_equal(r->tokens.missing_tokens, 100);    /* one token: no TPOT */
  assert_int_equal(r->tokens.ttft.count, 99);
  assert_int_equal(r->tokens.tpot.count, 0);
  assert_true(HAS(r, LG_REASON_TOKENS));
  lg_test_destroy(t);
}

static void test_off_is_a_no_op(void **state) {
  lg_settings s = hundred(LG_SINGLE_STREAM);
  s.use_token_latencies = false;
  tok_sut f = {.tpot_base_ns = 1000};
  lg_test *t = run(&s, &f);
  const lg_result *r = lg_test_result(t);
  assert_true(r->valid);
  assert_false(r->tokens.enabled);
  assert_int_equal(r->tokens.tokens, 0);
  size_t n = 7;
  assert_null(lg_test_token_records(t, &n));
  assert_int_equal(n, 0);
  lg_test_destroy(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_stream_token_math),
      cmocka_unit_test(test_server_token_verdicts),
      cmocka_unit_test(test_offline_tokens_per_second),
      cmocka_unit_test(test_reporting_errors),
      cmocka_unit_test(test_off_is_a_no_op),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
