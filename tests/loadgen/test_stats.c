/*
 * tests/loadgen/test_stats.c - percentiles, latency summaries, early stopping (the
 * reference table of MLPerf's early_stopping.cc), confidence intervals and the
 * MT19937-64 generator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "loadgen/lg_internal.h"

static void test_percentile_hand_computed(void **state) {
  (void)state;
  uint64_t v[10] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  /* sorted[floor(n * p)], no interpolation */
  assert_int_equal(lg_percentile(v, 10, 0.50), 60);
  assert_int_equal(lg_percentile(v, 10, 0.90), 100);
  assert_int_equal(lg_percentile(v, 10, 0.85), 90);
  assert_int_equal(lg_percentile(v, 10, 0.0), 10);
  assert_int_equal(lg_percentile(v, 10, 0.999), 100);
  assert_int_equal(lg_percentile(v, 3, 0.5), 20);
}

static void test_latency_stats(void **state) {
  (void)state;
  uint64_t v[1000];
  for (int i = 0; i < 1000; i++) v[i] = (uint64_t)(999 - i) * 10; /* unsorted */
  lg_latency_stats s;
  lg_latency_stats_compute(v, 1000, &s);
  assert_int_equal(s.count, 1000);
  assert_int_equal(s.min_ns, 0);
  assert_int_equal(s.max_ns, 9990);
  assert_int_equal(s.p50_ns, 5000);
  assert_int_equal(s.p90_ns, 9000);
  assert_int_equal(s.p99_ns, 9900);
  assert_int_equal(s.p999_ns, 9990);
  assert_true(s.mean_ns > 4994.9 && s.mean_ns < 4995.1);
}

/* The reference values of h(t, p) in shared/MLPERF.md, from LoadGen's own function. */
static void test_early_stopping_reference_table(void **state) {
  (void)state;
  static const double ps[3] = {0.90, 0.99, 0.999};
  static const uint64_t ts[7] = {0, 1, 2, 5, 10, 100, 1000};
  static const uint64_t want[3][7] = {
      {44, 63, 79, 122, 187, 1146, 9722},
      {459, 661, 836, 1302, 2000, 12471, 106569},
      {4603, 6635, 8401, 13100, 20130, 125726, 1075032}};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 7; j++)
      assert_int_equal(lg_early_stopping_h(ts[j], ps[i], 0.99), want[i][j]);
}

static void test_early_stopping_single_stream_examples(void **state) {
  (void)state;
  uint64_t t;
  assert_false(lg_early_stopping_t(63, 0.90, 0.99, &t));
  assert_true(lg_early_stopping_t(64, 0.90, 0.99, &t));
  assert_int_equal(t, 1); /* N=64 -> sorted[N-1] */
  assert_true(lg_early_stopping_t(100, 0.90, 0.99, &t));
  assert_int_equal(t, 3); /* N=100 -> sorted[N-3] */
  assert_true(lg_early_stopping_t(1000, 0.90, 0.99, &t));
  assert_int_equal(t, 78); /* N=1000 -> sorted[N-78] */
  assert_false(lg_early_stopping_t(661, 0.99, 0.99, &t));
  assert_true(lg_early_stopping_t(662, 0.99, 0.99, &t)); /* MultiStream's 662 */
}

/* Large runs (millions of queries) take the fast path: still the exact boundary. */
static void test_early_stopping_large_n(void **state) {
  (void)state;
  uint64_t t, n = 3000000;
  assert_true(lg_early_stopping_t(n, 0.90, 0.99, &t));
  assert_true(lg_early_stopping_h(t, 0.90, 0.99) + t <= n);
  assert_true(lg_early_stopping_h(t + 1, 0.90, 0.99) + t + 1 > n);
  assert_true(t > 298000 && t < 300000); /* about N(1-p) - 2.33 sigma */
}

static void test_quantile_ci(void **state) {
  (void)state;
  size_t lo, hi;
  lg_quantile_ci(10000, 0.90, 0.99, &lo, &hi);
  /* 9000 +- 2.576 * sqrt(10000*0.9*0.1) = 9000 +- 77.3 */
  assert_int_equal(lo, 8922);
  assert_int_equal(hi, 9078);
  lg_quantile_ci(10, 0.99, 0.99, &lo, &hi);
  assert_true(hi <= 9);
}

static void test_mt19937_64_matches_std(void **state) {
  (void)state;
  lg_rng r;
  lg_rng_seed(&r, 5489); /* std::mt19937_64's default seed */
  uint64_t x = 0;
  for (int i = 0; i < 10000; i++) x = lg_rng_next(&r);
  /* the C++ standard requires this 10000th value ([rand.predef]) */
  assert_true(x == 9981545732273789042ULL);
}

static void test_rng_below_is_uniform(void **state) {
  (void)state;
  lg_rng r;
  lg_rng_seed(&r, 42);
  int bins[7] = {0};
  for (int i = 0; i < 70000; i++) bins[lg_rng_below(&r, 7)]++;
  for (int i = 0; i < 7; i++) assert_true(bins[i] > 9500 && bins[i] < 10500);
  double sum = 0;
  for (int i = 0; i < 100000; i++) {
    double u = lg_rng_unit(&r);
    assert_true(u > 0 && u <= 1);
    sum += u;
  }
  assert_true(sum / 100000 > 0.497 && sum / 100000 < 0.503);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_percentile_hand_computed),
      cmocka_unit_test(test_latency_stats),
      cmocka_unit_test(test_early_stopping_reference_table),
      cmocka_unit_test(test_early_stopping_single_stream_examples),
      cmocka_unit_test(test_early_stopping_large_n),
      cmocka_unit_test(test_quantile_ci),
      cmocka_unit_test(test_mt19937_64_matches_std),
      cmocka_unit_test(test_rng_below_is_uniform),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
