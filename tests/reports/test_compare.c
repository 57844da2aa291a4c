/*
 * tests/reports/test_compare.c - the regression verdict: Mann-Whitney U on hand-computed
 * cases (with ties), bootstrap intervals that are reproducible for a seed, cover the
 * true change on synthetic runs and agree with brute-force resampling, the threshold
 * rule, comparability differences and --force, energy without an interval, loading run
 * folders (bad input named by file and line), the table and JSON, and the speed of a
 * 10^6-sample comparison.
 */
#include <json-c/json.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "reports/compare.h"

static char dir[] = "/tmp/rpt-compare-XXXXXX";

static int setup(void **state) { return mkdtemp(dir) ? 0 : -1; }

static int teardown(void **state) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd);
}

/* ---- synthetic runs ------------------------------------------------------------------- */
static uint64_t mix(uint64_t *x) { /* splitmix64: the test's own generator */
  uint64_t z = (*x += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

static double uniform(uint64_t *x) { return ((double)(mix(x) >> 11) + 0.5) * 0x1p-53; }

/* SingleStream-like rows: latency = scale * (200 us + Exp(mean 20 us)), each query
 * scheduled when the previous completed. */
static rpt_sample *make_rows(size_t n, double scale, uint64_t seed) {
  rpt_sample *rows = calloc(n, sizeof *rows);
  assert_non_null(rows);
  uint64_t t = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t lat = (uint64_t)(scale * (200000.0 - 20000.0 * log(uniform(&seed))));
    rows[i] = (rpt_sample){.scheduled_ns = t, .issued_ns = t, .completed_ns = t + lat,
                           .sample_index = (uint32_t)(i % 1024)};
    t += lat;
  }
  return rows;
}

/* Identity and settings of a comparable run. */
static void describe(rpt_results *r) {
  rpt_results_init(r);
  rpt_set_string(&r->workload.name, "delay");
  rpt_results_add_param(r, "delay_us", "200");
  rpt_set_string(&r->result.scenario, "SingleStream");
  rpt_set_string(&r->result.mode, "performance");
  rpt_set_string(&r->sut.name, "cpu");
  rpt_set_string(&r->host.hardware_profile, "x86-64-server");
  rpt_set_string(&r->build.git_describe, "v1-test");
  rpt_results_add_setting(r, "min_duration_ms", "300", "--duration-ms");
  rpt_results_add_setting(r, "min_query_count", "100", "default");
  rpt_results_add_setting(r, "server_target_qps", "1", "default");
  rpt_results_add_setting(r, "qsl_rng_seed", "0", "default");
  r->result.valid = rpt_bool(true);
}

static void make_run(rpt_compare_run *run, size_t n, double scale, uint64_t seed) {
  memset(run, 0, sizeof *run);
  describe(&run->results);
  rpt_sample *rows = make_rows(n, scale, seed);
  assert_int_equal(rpt_compare_run_set_samples(run, rows, n), RPT_OK);
  run->results.result.counts.samples_issued = n;
  run->results.result.counts.samples_completed = n;
  free(rows);
}

static rpt_compare_opts opts(void) {
  rpt_compare_opts o;
  rpt_compare_opts_default(&o);
  return o;
}

static const rpt_compare_metric *metric(const rpt_comparison *c, const char *key) {
  for (size_t i = 0; i < c->n_metrics; i++)
    if (strcmp(c->metrics[i].key, key) == 0) return &c->metrics[i];
  fail_msg("no metric %s", key);
  return NULL;
}

static const char *const latency_keys[] = {"latency_p50_ns", "latency_p90_ns", "latency_p99_ns"};

/* ---- Mann-Whitney U --------------------------------------------------------------------- */
static void test_mwu_hand_computed(void **state) {
  rpt_mwu t;
  /* No overlap: every new value is larger, U = 3 * 3 = 9, mean 4.5,
   * sigma^2 = 3*3/12 * (6 + 1) = 5.25, z = 4.5 / sqrt(5.25) = 1.9639610. */
  const double a[] = {1, 2, 3}, b[] = {4, 5, 6};
  assert_int_equal(rpt_compare_mwu(a, 3, b, 3, &t), RPT_OK);
  assert_true(t.u == 9);
  assert_true(fabs(t.z - 1.9639610121239315) < 1e-12);
  assert_true(fabs(t.p - 0.04953461343562674) < 1e-12);
  assert_int_equal(rpt_compare_mwu(b, 3, a, 3, &t), RPT_OK); /* reversed: U 0, z < 0 */
  assert_true(t.u == 0);
  assert_true(fabs(t.z + 1.9639610121239315) < 1e-12);

  /* Ties: base {1,2,2,3}, new {2,3,4}. Pooled ranks: 1 -> 1; the three 2s -> 3;
   * the two 3s -> 5.5; 4 -> 7. Rank sum of new = 3 + 5.5 + 7 = 15.5, U = 15.5 - 6 = 9.5
   * (pairs: new 2 beats 1 and ties two 2s = 2; new 3 beats 1,2,2, ties 3 = 3.5; new 4
   * beats all = 4). Tie term sum(t^3 - t) = 24 + 6 = 30, n = 7:
   * sigma^2 = 4*3/12 * (8 - 30/42) = 7.2857143, z = (9.5 - 6) / 2.6992062 = 1.2966775. */
  const double c[] = {1, 2, 2, 3}, d[] = {2, 3, 4};
  assert_int_equal(rpt_compare_mwu(c, 4, d, 3, &t), RPT_OK);
  assert_true(t.u == 9.5);
  assert_true(fabs(t.z - 1.2966775038611598) < 1e-12);
  assert_true(fabs(t.p - 0.1947421728395917) < 1e-12);

  /* More ties: U 49.5, z 1.3103273 (the same formula, computed separately). */
  const double e[] = {1, 1, 2, 3, 4, 5, 6, 9}, f[] = {2, 3, 3, 5, 5, 7, 8, 9, 9};
  assert_int_equal(rpt_compare_mwu(e, 8, f, 9, &t), RPT_OK);
  assert_true(t.u == 49.5);
  assert_true(fabs(t.z - 1.3103272896437124) < 1e-12);

  /* Everything tied: no spread, z 0, p 1. Empty: EINVAL. */
  const double g[] = {5, 5}, h[] = {5, 5, 5};
  assert_int_equal(rpt_compare_mwu(g, 2, h, 3, &t), RPT_OK);
  assert_true(t.u == 3 && t.z == 0 && t.p == 1);
  assert_int_equal(rpt_compare_mwu(g, 0, h, 3, &t), RPT_EINVAL);
  assert_int_equal(rpt_compare_mwu(NULL, 2, h, 3, &t), RPT_EINVAL);
}

/* ---- verdicts on synthetic runs ------------------------------------------------------- */
static void compare_scaled(double scale, rpt_comparison *c, rpt_compare_opts o) {
  rpt_compare_run a, b;
  make_run(&a, 20000, 1.0, 11);
  make_run(&b, 20000, scale, 22);
  char err[256];
  assert_int_equal(rpt_compare(&a, &b, &o, c, err, sizeof err), RPT_OK);
  rpt_compare_run_destroy(&a);
  rpt_compare_run_destroy(&b);
}

static void test_latency_plus_10_percent_is_slower(void **state) {
  rpt_comparison c;
  compare_scaled(1.10, &c, opts());
  assert_int_equal(c.verdict, RPT_OVERALL_REGRESSION);
  assert_int_equal(c.differences.count, 0);
  assert_int_equal(c.n_metrics, 4); /* no energy in either run */
  for (int i = 0; i < 3; i++) {
    const rpt_compare_metric *m = metric(&c, latency_keys[i]);
    assert_int_equal(m->verdict, RPT_VERDICT_SLOWER);
    assert_true(m->has_ci && m->ci_low > 0);            /* excludes 0 */
    assert_true(m->ci_low < 0.10 && 0.10 < m->ci_high); /* covers the true change */
    assert_true(m->has_test && m->test.z > 10 && m->test.p < 1e-20);
  }
  const rpt_compare_metric *tp = metric(&c, "throughput_samples_per_s");
  assert_int_equal(tp->verdict, RPT_VERDICT_SLOWER); /* lower throughput is slower */
  assert_true(tp->ci_high < 0);
  assert_true(tp->ci_low < 1 / 1.10 - 1 && 1 / 1.10 - 1 < tp->ci_high);
  rpt_comparison_destroy(&c);
}

/* Offline: one query, so latencies are queue positions: shown, never judged; the
 * throughput still is. */
static void test_offline_judges_throughput_only(void **state) {
  (void)state;
  rpt_compare_run a, b;
  make_run(&a, 20000, 1.0, 11);
  make_run(&b, 20000, 1.10, 22);
  rpt_set_string(&a.results.result.scenario, "Offline");
  rpt_set_string(&b.results.result.scenario, "Offline");
  rpt_comparison c;
  char err[256];
  rpt_compare_opts o = opts();
  assert_int_equal(rpt_compare(&a, &b, &o, &c, err, sizeof err), RPT_OK);
  for (int i = 0; i < 3; i++) {
    const rpt_compare_metric *m = metric(&c, latency_keys[i]);
    assert_int_equal(m->verdict, RPT_VERDICT_UNTESTED);
    assert_true(m->change > 0.05); /* the change is still shown */
  }
  assert_int_equal(metric(&c, "throughput_samples_per_s")->verdict, RPT_VERDICT_SLOWER);
  rpt_comparison_destroy(&c);
  rpt_compare_run_destroy(&a);
  rpt_compare_run_destroy(&b);
}

static void test_latency_minus_10_percent_is_faster(void **state) {
  rpt_comparison c;
  compare_scaled(1 / 1.10, &c, opts());
  assert_int_equal(c.verdict, RPT_OVERALL_IMPROVEMENT);
  for (int i = 0; i < 3; i++)
    assert_int_equal(metric(&c, latency_keys[i])->verdict, RPT_VERDICT_FASTER);
  assert_int_equal(metric(&c, "throughput_samples_per_s")->verdict, RPT_VERDICT_FASTER);
  rpt_comparison_destroy(&c);
}

static void test_identical_distributions_no_change(void **state) {
  rpt_comparison c;
  compare_scaled(1.0, &c, opts());
  assert_int_equal(c.verdict, RPT_OVERALL_SAME);
  for (size_t i = 0; i < c.n_metrics; i++) {
    const rpt_compare_metric *m = &c.metrics[i];
    assert_int_equal(m->verdict, RPT_VERDICT_SAME);
    assert_true(m->ci_low < 0.02 && m->ci_high > -0.02);
    assert_true(fabs(m->change) < 0.02);
  }
  assert_true(metric(&c, "latency_p50_ns")->test.p > 0.01);
  rpt_comparison_destroy(&c);
}

static void test_same_seed_same_interval(void **state) {
  rpt_comparison c1, c2, c3;
  rpt_compare_opts o = opts();
  compare_scaled(1.03, &c1, o);
  compare_scaled(1.03, &c2, o);
  o.seed = 99;
  compare_scaled(1.03, &c3, o);
  bool other = false;
  for (size_t i = 0; i < c1.n_metrics; i++) {
    assert_true(c1.metrics[i].ci_low == c2.metrics[i].ci_low);
    assert_true(c1.metrics[i].ci_high == c2.metrics[i].ci_high);
    other |= c1.metrics[i].ci_low != c3.metrics[i].ci_low;
  }
  assert_true(other); /* another seed, other resamples */
  rpt_comparison_destroy(&c1);
  rpt_comparison_destroy(&c2);
  rpt_comparison_destroy(&c3);
}

/* The exact order-statistic draw has the distribution of brute-force resampling. */
static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double brute_p90(const double *v, size_t n, double *buf, uint64_t *seed) {
  for (size_t i = 0; i < n; i++) buf[i] = v[(size_t)(uniform(seed) * (double)n)];
  qsort(buf, n, sizeof *buf, cmp_d);
  return buf[(size_t)floor((double)n * 0.9)];
}

static void test_bootstrap_matches_brute_force(void **state) {
  enum { N = 101, B = 20000 };
  rpt_compare_run a, b;
  rpt_comparison c;
  make_run(&a, N, 1.0, 5);
  make_run(&b, N, 1.1, 6);
  rpt_compare_opts o = opts();
  o.resamples = B;
  o.confidence = 0.90;
  assert_int_equal(rpt_compare(&a, &b, &o, &c, NULL, 0), RPT_OK);
  const rpt_compare_metric *m = metric(&c, "latency_p90_ns");
  double *changes = malloc(B * sizeof *changes), buf[N];
  uint64_t seed = 1234;
  for (size_t i = 0; i < B; i++) {
    double x = brute_p90(a.latency_ns, N, buf, &seed), y = brute_p90(b.latency_ns, N, buf, &seed);
    changes[i] = y / x - 1;
  }
  qsort(changes, B, sizeof *changes, cmp_d);
  double lo = changes[B / 20], hi = changes[B - B / 20 - 1];
  if (fabs(lo - m->ci_low) > 0.015 || fabs(hi - m->ci_high) > 0.015)
    fail_msg("exact draw [%g, %g], brute force [%g, %g]", m->ci_low, m->ci_high, lo, hi);
  free(changes);
  rpt_comparison_destroy(&c);
  rpt_compare_run_destroy(&a);
  rpt_compare_run_destroy(&b);
}

/* ---- the threshold rule ------------------------------------------------------------------ */
static void test_threshold_rule(void **state) {
  rpt_comparison c;
  rpt_compare_opts o = opts();
  /* +1 % on 20000 samples: the p50 interval excludes 0, but 1 % is under 2 %. */
  compare_scaled(1.01, &c, o);
  const rpt_compare_metric *m = metric(&c, "latency_p50_ns");
  assert_true(m->ci_low > 0);
  assert_int_equal(m->verdict, RPT_VERDICT_SAME);
  rpt_comparison_destroy(&c);
  o.threshold = 0.005; /* the same change over a 0.5 % threshold is slower */
  compare_scaled(1.01, &c, o);
  assert_int_equal(metric(&c, "latency_p50_ns")->verdict, RPT_VERDICT_SLOWER);
  assert_int_equal(c.verdict, RPT_OVERALL_REGRESSION);
  rpt_comparison_destroy(&c);

  /* +30 % on 6 samples each: over the threshold, but the interval includes 0. */
  rpt_compare_run a, b;
  make_run(&a, 6, 1.0, 1);
  make_run(&b, 6, 1.0, 2);
  double raw[6] = {100e3, 150e3, 200e3, 400e3, 600e3, 900e3};
  for (int i = 0; i < 6; i++) a.latency_ns[i] = raw[i], b.latency_ns[i] = raw[i] * 1.3;
  assert_int_equal(rpt_compare(&a, &b, &o, &c, NULL, 0), RPT_OK);
  m = metric(&c, "latency_p50_ns");
  assert_true(m->change > 0.29 && m->ci_low < 0);
  assert_int_equal(m->verdict, RPT_VERDICT_SAME);
  rpt_comparison_destroy(&c);
  rpt_compare_run_destroy(&a);
  rpt_compare_run_destroy(&b);
}

/* ---- comparability ------------------------------------------------------------------------ */
static const rpt_compare_diff *diff(const rpt_comparison *c, const char *key) {
  for (size_t i = 0; i < c->differences.count; i++)
    if (strcmp(c->differences.items[i].key, key) == 0) return &c->differences.items[i];
  return NULL;
}

static void assert_diff(const rpt_comparison *c, const char *key, const char *a, const char *b) {
  const rpt_compare_diff *d = diff(c, key);
  if (d == NULL) fail_msg("difference '%s' not listed", key);
  assert_string_equal(d->baseline, a);
  assert_string_equal(d->new_value, b);
}

static void test_differences_listed(void **state) {
  rpt_compare_run a, b;
  rpt_comparison c;
  make_run(&a, 500, 1.0, 1);
  make_run(&b, 500, 1.0, 2);
  rpt_results *r = &b.results;
  rpt_set_string(&r->workload.name, "kws");
  r->workload.params.items[0].value[0] = '3';             /* delay_us 300 */
  rpt_results_add_param(r, "delay_dist", "exponential");  /* only in new */
  rpt_set_string(&r->result.scenario, "Server");
  rpt_set_string(&r->result.mode, "accuracy");
  rpt_set_string(&r->settings.items[0].value, "600");     /* min_duration_ms */
  rpt_set_string(&r->settings.items[1].value, "100.0");   /* min_query_count: same number */
  rpt_set_string(&r->host.hardware_profile, "nvidia-h100");
  rpt_set_string(&r->sut.name, "cuda");
  rpt_results_add_setting(r, "schedule_rng_seed", "7", "--set");
  rpt_compare_opts o = opts();
  assert_int_equal(rpt_compare(&a, &b, &o, &c, NULL, 0), RPT_OK);
  assert_int_equal(c.verdict, RPT_OVERALL_NOT_COMPARABLE);
  assert_int_equal(c.n_metrics, 0);
  assert_diff(&c, "workload", "delay", "kws");
  assert_diff(&c, "workload param delay_us", "200", "300");
  assert_diff(&c, "workload param delay_dist", "(unset)", "exponential");
  assert_diff(&c, "scenario", "SingleStream", "Server");
  assert_diff(&c, "mode", "performance", "accuracy");
  assert_diff(&c, "min_duration_ms", "300", "600");
  assert_diff(&c, "schedule_rng_seed", "(unset)", "7");
  assert_diff(&c, "hardware profile", "x86-64-server", "nvidia-h100");
  assert_diff(&c, "SUT", "cpu", "cuda");
  assert_null(diff(&c, "min_query_count"));
  assert_int_equal(c.differences.count, 9);
  rpt_comparison_destroy(&c);

  o.force = true; /* compared anyway, the differences still listed and noted */
  assert_int_equal(rpt_compare(&a, &b, &o, &c, NULL, 0), RPT_OK);
  assert_int_equal(c.differences.count, 9);
  assert_int_equal(c.n_metrics, 4);
  assert_int_equal(c.verdict, RPT_OVERALL_SAME);
  assert_non_null(strstr(c.notes.items[0], "--force"));
  rpt_comparison_destroy(&c);
  rpt_compare_run_destroy(&a);
  rpt_compare_run_destroy(&b);
}

static void test_energy_without_interval(void **state) {
  rpt_compare_run a, b;
  rpt_comparison c;
  make_run(&a, 500, 1.0, 1);
  make_run(&b, 500, 1.0, 2);
  rpt_compare_opts o = opts();
  a.results.energy = (rpt_energy){.present = true, .available = true,
                                  .joules_per_inference = rpt_f64(0.002)};
  assert_int_equal(rpt_compare(&a, &b, &o, &c, NULL, 0), RPT_OK);
  assert_int_equal(c.n_metrics, 4); /* only the baseline has it: a note, no metric */
  assert_non_null(strstr(c.notes.items[c.notes.count - 1], "only in the baseline"));
  rpt_comparison_destroy(&c);
  b.results.energy = (rpt_energy){.present = true, .available = true,
                                  .joules_per_inference = rpt_f64(0.003),
                                  .estimate = rpt_bool(true)};
  assert_int_equal(rpt_compare(&a, &b, &o, &c, NULL, 0), RPT_OK);
  const rpt_compare_metric *m = metric(&c, "energy_joules_per_inference");
  assert_true(fabs(m->change - 0.5) < 1e-12);
  assert_false(m->has_ci);
  assert_false(m->has_test);
  assert_int_equal(m->verdict, RPT_VERDICT_UNTESTED);
  assert_non_null(strstr(m->note, "no CI"));
  assert_non_null(strstr(c.notes.items[c.notes.count - 1], "estimate"));
  assert_int_equal(c.verdict, RPT_OVERALL_SAME); /* an untested change is no regression */
  rpt_comparison_destroy(&c);
  a.results.energy = (rpt_energy){0}; /* the struct literals own no strings */
  b.results.energy = (rpt_energy){0};
  rpt_compare_run_destroy(&a);
  rpt_compare_run_destroy(&b);
}

static void test_bad_options(void **state) {
  rpt_compare_run a, b;
  rpt_comparison c;
  char err[256];
  make_run(&a, 50, 1.0, 1);
  make_run(&b, 50, 1.0, 2);
  rpt_compare_opts o = opts();
  o.confidence = 1.0;
  assert_int_equal(rpt_compare(&a, &b, &o, &c, err, sizeof err), RPT_EINVAL);
  assert_non_null(strstr(err, "confidence"));
  o = opts();
  b.n_completed = 0;
  assert_int_equal(rpt_compare(&a, &b, &o, &c, err, sizeof err), RPT_EINVAL);
  assert_non_null(strstr(err, "new run has no completed samples"));
  rpt_compare_run_destroy(&a);
  rpt_compare_run_destroy(&b);
}

/* ---- run folders ------------------------------------------------------------------------ */
static void folder(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "%s/%s", dir, name);
  mkdir(buf, 0755);
}

static void write_file(const char *folder_path, const char *name, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", folder_path, name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* A run folder with n rows, the second one lost. */
static void write_run(const char *path, size_t n) {
  char p[512], err[256];
  rpt_results r;
  describe(&r);
  rpt_sample *rows = make_rows(n, 1.0, 3);
  rows[1].lost = true;
  r.result.counts.samples_issued = n;
  r.result.counts.samples_completed = n - 1;
  r.result.counts.samples_lost = 1;
  snprintf(p, sizeof p, "%s/results.json", path);
  assert_int_equal(rpt_results_write_json(p, &r, err, sizeof err), RPT_OK);
  snprintf(p, sizeof p, "%s/samples.csv", path);
  assert_int_equal(rpt_samples_write_array(p, rows, n, err, sizeof err), RPT_OK);
  free(rows);
  rpt_results_destroy(&r);
}

static void test_load_run_folder(void **state) {
  char p[300], err[512];
  rpt_compare_run run;
  folder(p, sizeof p, "good");
  write_run(p, 200);
  assert_int_equal(rpt_compare_run_load(p, &run, err, sizeof err), RPT_OK);
  assert_string_equal(run.folder, p);
  assert_int_equal(run.n_rows, 200);
  assert_int_equal(run.n_completed, 199); /* the lost one left out */
  for (size_t i = 1; i < run.n_completed; i++) assert_true(run.latency_ns[i - 1] <= run.latency_ns[i]);
  assert_string_equal(run.results.workload.name, "delay");
  rpt_compare_run_destroy(&run);
  rpt_compare_run_destroy(NULL);
}

/* Loading `name` fails with status rc and a message holding every string in want. */
static void expect_load_error(const char *path, int rc, const char *want1, const char *want2) {
  char err[1024] = "";
  rpt_compare_run run;
  assert_int_equal(rpt_compare_run_load(path, &run, err, sizeof err), rc);
  if (!strstr(err, want1) || (want2 && !strstr(err, want2)))
    fail_msg("message '%s' lacks '%s' / '%s'", err, want1, want2 ? want2 : "");
  assert_null(run.latency_ns);
  assert_null(run.folder);
}

static void test_load_bad_input(void **state) {
  char p[300], q[512];
  snprintf(p, sizeof p, "%s/nosuch", dir);
  expect_load_error(p, RPT_EIO, p, "cannot open run folder");
  folder(p, sizeof p, "empty");
  expect_load_error(p, RPT_EIO, "empty/results.json", NULL);
  folder(p, sizeof p, "schema");
  write_run(p, 20);
  write_file(p, "results.json", "{\"schema\": \"something.else\", \"schema_version\": 1}\n");
  expect_load_error(p, RPT_ESCHEMA, "schema/results.json", "schema");
  folder(p, sizeof p, "notjson");
  write_run(p, 20);
  write_file(p, "results.json", "{\n  \"schema\": \n");
  expect_load_error(p, RPT_EFORMAT, "notjson/results.json", NULL);
  folder(p, sizeof p, "csv");
  write_run(p, 20);
  snprintf(q, sizeof q, "%s/samples.csv", p);
  FILE *f = fopen(q, "a");
  fputs("20,1,5,5,x,0,0\n", f);
  fclose(f);
  expect_load_error(p, RPT_EFORMAT, "csv/samples.csv:22", NULL);
  folder(p, sizeof p, "nocsv");
  write_run(p, 20);
  snprintf(q, sizeof q, "%s/samples.csv", p);
  unlink(q);
  expect_load_error(p, RPT_EIO, "nocsv/samples.csv", NULL);
  folder(p, sizeof p, "mixed"); /* samples.csv of another run */
  write_run(p, 20);
  snprintf(q, sizeof q, "%s/samples.csv", p);
  rpt_sample *rows = make_rows(30, 1.0, 9);
  char err[256];
  assert_int_equal(rpt_samples_write_array(q, rows, 30, err, sizeof err), RPT_OK);
  free(rows);
  expect_load_error(p, RPT_EFORMAT, "mixed/samples.csv: 30 rows", "not from the same run");
}

/* ---- table and JSON ---------------------------------------------------------------------- */
static void test_table_and_json(void **state) {
  rpt_compare_run a, b;
  rpt_comparison c;
  char *text = NULL, p[300], err[256];
  size_t len = 0;
  make_run(&a, 5000, 1.0, 1);
  make_run(&b, 5000, 1.2, 2);
  rpt_compare_opts o = opts();
  assert_int_equal(rpt_compare(&a, &b, &o, &c, NULL, 0), RPT_OK);
  FILE *f = open_memstream(&text, &len);
  assert_int_equal(rpt_comparison_print(f, &a, &b, &c), RPT_OK);
  fclose(f);
  const char *want[] = {"metric", "baseline", "new", "change", "99% CI", "p (MWU)", "verdict",
                        "p90 latency", "throughput", "slower", "+20.", "Mann-Whitney U",
                        "verdict: regression", "seed 1"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++)
    if (!strstr(text, want[i])) fail_msg("table lacks '%s':\n%s", want[i], text);
  free(text);

  snprintf(p, sizeof p, "%s/compare.json", dir);
  assert_int_equal(rpt_comparison_write_json(p, &a, &b, &c, err, sizeof err), RPT_OK);
  json_object *j = json_object_from_file(p), *v, *m;
  assert_non_null(j);
  assert_true(json_object_object_get_ex(j, "schema", &v));
  assert_string_equal(json_object_get_string(v), RPT_COMPARE_SCHEMA);
  assert_true(json_object_object_get_ex(j, "verdict", &v));
  assert_string_equal(json_object_get_string(v), "regression");
  assert_true(json_object_object_get_ex(j, "differences", &v));
  assert_int_equal(json_object_array_length(v), 0);
  assert_true(json_object_object_get_ex(j, "metrics", &v));
  assert_int_equal(json_object_array_length(v), 4);
  m = json_object_array_get_idx(v, 2);
  assert_true(json_object_object_get_ex(m, "key", &v));
  assert_string_equal(json_object_get_string(v), "latency_p90_ns");
  assert_true(json_object_object_get_ex(m, "ci_low", &v) && json_object_get_double(v) > 0);
  assert_true(json_object_object_get_ex(m, "mann_whitney", &v));
  assert_true(json_object_object_get_ex(v, "z", &v) && json_object_get_double(v) > 10);
  json_object_put(j);
  snprintf(p, sizeof p, "%s/no/such/dir/c.json", dir);
  assert_int_equal(rpt_comparison_write_json(p, &a, &b, &c, err, sizeof err), RPT_EIO);
  assert_non_null(strstr(err, p));
  rpt_comparison_destroy(&c);
  rpt_compare_run_destroy(&a);
  rpt_compare_run_destroy(&b);
}

/* ---- a million samples: the statistics stay exact (speed lives in make bench) ---- */
static void test_million_samples(void **state) {
  enum { N = 1000000 };
  rpt_compare_run a, b;
  rpt_comparison c;
  make_run(&a, N, 1.0, 1);
  make_run(&b, N, 1.01, 2);
  rpt_compare_opts o = opts();
  assert_int_equal(rpt_compare(&a, &b, &o, &c, NULL, 0), RPT_OK);
  const rpt_compare_metric *m = metric(&c, "latency_p50_ns");
  assert_true(m->ci_low < 0.01 && 0.01 < m->ci_high && m->ci_low > 0);
  rpt_comparison_destroy(&c);
  rpt_compare_run_destroy(&a);
  rpt_compare_run_destroy(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mwu_hand_computed),
      cmocka_unit_test(test_latency_plus_10_percent_is_slower),
      cmocka_unit_test(test_latency_minus_10_percent_is_faster),
      cmocka_unit_test(test_offline_judges_throughput_only),
      cmocka_unit_test(test_identical_distributions_no_change),
      cmocka_unit_test(test_same_seed_same_interval),
      cmocka_unit_test(test_bootstrap_matches_brute_force),
      cmocka_unit_test(test_threshold_rule),
      cmocka_unit_test(test_differences_listed),
      cmocka_unit_test(test_energy_without_interval),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_load_run_folder),
      cmocka_unit_test(test_load_bad_input),
      cmocka_unit_test(test_table_and_json),
      cmocka_unit_test(test_million_samples),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
