/*
 * tests/reports/test_summary.c - summary.txt text: the VALID/INVALID line, every
 * check, reasons in words, the confidence interval, completion counts, issue delay in
 * Server summaries and not in Offline ones, unset values never printed as 0, and the
 * one-line table row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "reports/summary.h"

static rpt_latency lat(uint64_t p50, uint64_t p99, uint64_t max) {
  return (rpt_latency){true, 20000, 100, max, 1234.5, p50, p50 + 10, p50 + 20, p50 + 30, p99,
                       p99 + 1};
}

static void server_run(rpt_results *r, bool valid) {
  rpt_results_init(r);
  rpt_set_string(&r->sut.name, "cpu");
  rpt_set_string(&r->workload.name, "kws");
  rpt_set_string(&r->result.scenario, "Server");
  rpt_set_string(&r->result.mode, "performance");
  rpt_set_string(&r->result.metric.name, "Scheduled samples per second");
  rpt_set_string(&r->result.metric.unit, "qps");
  r->result.metric.value = rpt_f64(2000);
  r->result.metric.ci_low = rpt_f64(1987.25);
  r->result.metric.ci_high = rpt_f64(2012.5);
  rpt_set_string(&r->result.metric.ci_method, "Poisson count");
  r->result.valid = rpt_bool(valid);
  r->result.checks = (rpt_checks){rpt_bool(valid), rpt_bool(true), rpt_bool(true),
                                  rpt_bool(true), rpt_bool(true), rpt_f64(0.99),
                                  rpt_u64(8123456)};
  r->result.early_stopping.overlatency_count = rpt_u64(12);
  r->result.early_stopping.min_queries = rpt_u64(4567);
  r->result.counts = (rpt_counts){20000, 20000, 19997, 3, 1, 2, 0, 0, rpt_u64(100), {0}};
  r->result.durations.duration_ns = rpt_u64(10000123456);
  r->result.latency = lat(4000000, 8123456, 9999999);
  r->result.issue_delay = lat(1500, 4500, 77000);
  r->result.samples_per_s = rpt_f64(1999.7);
  rpt_results_add_setting(r, "server_target_qps", "2000", "user.conf:4");
  rpt_results_add_setting(r, "min_duration_ms", "10000", "default");
  if (!valid)
    rpt_results_add_reason(r, "min_duration",
                           "the run was shorter than min_duration: 8.2 s < 10 s");
}

/* The summary as a string (caller frees). */
static char *render(const rpt_results *r) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  assert_int_equal(rpt_summary_write(f, r), RPT_OK);
  fclose(f);
  return text;
}

static void has(const char *text, const char *needle) {
  if (strstr(text, needle) == NULL) fail_msg("missing '%s' in:\n%s", needle, text);
}

static void lacks(const char *text, const char *needle) {
  if (strstr(text, needle) != NULL) fail_msg("unexpected '%s' in:\n%s", needle, text);
}

/* A line "label<spaces>: value" exists. */
static void has_value(const char *text, const char *label, const char *value) {
  char line[160];
  snprintf(line, sizeof line, "\n%-36s: %s\n", label, value);
  has(text, line);
}

static void test_server_valid(void **state) {
  rpt_results r;
  server_run(&r, true);
  char *t = render(&r);
  has(t, "SUT name : cpu\n");
  has(t, "Scenario : Server\n");
  has(t, "Mode     : performance\n");
  has(t, "Scheduled samples per second : 2000\n");
  has(t, "  99% confidence interval : [1987.250, 2012.500] qps (Poisson count)\n");
  has(t, "\nResult is : VALID\n");
  has(t, "  Min duration satisfied : Yes\n");
  has(t, "  Min queries satisfied : Yes\n");
  has(t, "  Min samples satisfied : Yes\n");
  has(t, "  Latency bound satisfied : Yes\n");
  has(t, "  Early stopping satisfied : Yes\n");
  has(t, "  Latency at the 99th percentile (ns) : 8123456\n");
  lacks(t, "INVALID");
  has(t, "Early Stopping Result:\n * Run successful.\n");
  has(t, " * Queries over the latency bound : 12\n");
  has(t, " * Queries needed for the check to pass : 4567 (issued 20000)\n");
  has_value(t, "Samples lost", "3");
  has_value(t, "Duplicate completions", "1");
  has_value(t, "Unknown completions", "2");
  has_value(t, "Min latency (ns)", "100");
  has_value(t, "Max latency (ns)", "9999999");
  has_value(t, "Mean latency (ns)", "1234.500");
  has_value(t, "50.00 percentile latency (ns)", "4000000");
  has_value(t, "90.00 percentile latency (ns)", "4000010");
  has_value(t, "95.00 percentile latency (ns)", "4000020");
  has_value(t, "97.00 percentile latency (ns)", "4000030");
  has_value(t, "99.00 percentile latency (ns)", "8123456");
  has_value(t, "99.90 percentile latency (ns)", "8123457");
  has_value(t, "Issue delay p50 (ns)", "1500");
  has_value(t, "Issue delay p99 (ns)", "4500");
  has_value(t, "Issue delay max (ns)", "77000");
  has(t, "server_target_qps : 2000  (user.conf:4)\n");
  has(t, "min_duration_ms : 10000  (default)\n");
  lacks(t, "query latency"); /* not MultiStream */
  lacks(t, "Peak QPS");
  free(t);
  rpt_results_destroy(&r);
}

static void test_server_invalid(void **state) {
  rpt_results r;
  server_run(&r, false);
  r.result.checks.early_stopping_met = rpt_bool(false);
  char *t = render(&r);
  has(t, "\nResult is : INVALID\n");
  has(t, "  Min duration satisfied : NO\n");
  has(t, "  Early stopping satisfied : NO\n");
  has(t, "INVALID because:\n"
         "  * the run was shorter than min_duration: 8.2 s < 10 s [min_duration]\n");
  has(t, " * Run unsuccessful.\n");
  free(t);
  rpt_results_destroy(&r);
}

static void test_server_without_issue_delay(void **state) {
  rpt_results r;
  server_run(&r, true);
  r.result.issue_delay.present = false;
  r.result.metric.ci_low.set = false;
  char *t = render(&r);
  has_value(t, "Issue delay (ns)", "unavailable");
  has(t, "  99% confidence interval : unavailable\n");
  free(t);
  rpt_results_destroy(&r);
}

static void test_offline_has_no_issue_delay(void **state) {
  rpt_results r;
  server_run(&r, true);
  rpt_set_string(&r.result.scenario, "Offline");
  r.result.checks.latency_bound_met.set = false; /* Server only */
  r.result.early_stopping = (rpt_early_stopping){0};
  r.result.checks.early_stopping_met.set = false;
  char *t = render(&r);
  has(t, "Scenario : Offline\n");
  lacks(t, "Issue delay");
  lacks(t, "Latency bound satisfied");
  lacks(t, "Early stopping");
  has(t, "Result is : VALID\n");
  free(t);
  rpt_results_destroy(&r);
}

static void test_counters_energy_roofline(void **state) {
  rpt_results r;
  server_run(&r, true);
  rpt_results_add_counter(&r, &(rpt_counter){"task-clock", "perf", "ns", true, rpt_f64(5e8), rpt_f64(25000), NULL});
  rpt_results_add_counter(&r, &(rpt_counter){"PAPI_TOT_INS", "papi", "count", false, {0}, {0}, "perf_event component disabled"});
  r.energy = (rpt_energy){.present = true, .available = true, .estimate = rpt_bool(true),
                          .joules = rpt_f64(42.5), .joules_per_inference = rpt_f64(0.002125)};
  rpt_set_string(&r.energy.source, "estimate");
  rpt_set_string(&r.energy.method, "TDP x time");
  r.roofline = (rpt_roofline){.present = true, .attainable_flops = rpt_f64(1e11), .fraction = rpt_f64(0.125),
                              .peak_flops_per_core = rpt_f64(1e11), .cores_used = rpt_u64(2),
                              .peak_flops_cores_used = rpt_f64(2e11),
                              .fraction_of_peak_cores_used = rpt_f64(0.375)};
  rpt_set_string(&r.roofline.bound, "compute");
  char *t = render(&r);
  has_value(t, "task-clock (perf)", "500000000 ns, 25000 per inference");
  has_value(t, "PAPI_TOT_INS (papi)", "unavailable: perf_event component disabled");
  has(t, "Energy (ESTIMATE)");
  has_value(t, "Source", "estimate (estimate, not a measurement)");
  has_value(t, "Joules", "42.500");
  has_value(t, "Fraction of attainable", "0.125");
  has_value(t, "Bound", "compute");
  has_value(t, "Peak FLOP/s of the cores used", "200000000000 (2 x 100000000000 per core)");
  has_value(t, "Fraction of peak of the cores used", "0.375");
  free(t);
  rpt_results_destroy(&r);
}

static void test_unset_is_not_zero(void **state) {
  rpt_results r;
  rpt_results_init(&r);
  rpt_set_string(&r.result.scenario, "SingleStream");
  rpt_set_string(&r.result.mode, "accuracy");
  r.accuracy = (rpt_accuracy){.present = true, .samples = 500, .top1_agreement = rpt_f64(0.998), .missing = 1};
  char *t = render(&r);
  has(t, "SUT name : unavailable\n");
  has(t, "Result is : not judged (accuracy mode)\n");
  lacks(t, "Min latency");
  lacks(t, "Completed samples per second");
  lacks(t, "Max abs error");
  lacks(t, "MACs per inference");
  has_value(t, "Top-1 agreement", "0.998");
  has_value(t, "Missing outputs", "1");
  free(t);
  rpt_results_destroy(&r);
}

static void test_multistream_and_find_peak(void **state) {
  rpt_results r;
  server_run(&r, true);
  rpt_set_string(&r.result.scenario, "MultiStream");
  r.result.query_latency = lat(7000000, 9000000, 9500000);
  r.result.early_stopping = (rpt_early_stopping){{0}, {0}, rpt_u64(8999999)};
  r.result.find_peak.peak_qps = rpt_f64(1843.5);
  rpt_results_add_probe(&r, &(rpt_probe){2000, false, 12000000, 2500});
  char *t = render(&r);
  has_value(t, "99.00 percentile query latency (ns)", "9000000");
  has(t, " * Early stopping 99th percentile estimate (ns) : 8999999\n");
  has(t, "  Query latency (per query) at the 99th percentile (ns) : 8123456\n");
  has_value(t, "Peak QPS", "1843.500");
  has(t, "          2000 INVALID          12000000         2500\n");
  lacks(t, "Issue delay");
  free(t);
  rpt_results_destroy(&r);
}

/* Token latencies: MLPerf-like lines, the Server token bounds, the decoder's counts. */
static void test_token_lines(void **state) {
  rpt_results r;
  server_run(&r, false);
  r.result.tokens = (rpt_tokens){.present = true, .tokens = 3200, .tokens_per_s = rpt_f64(320),
                                 .ttft = lat(15000000, 36000000, 37000000),
                                 .tpot = lat(360000, 1061303, 1100000),
                                 .percentile = rpt_f64(0.99),
                                 .ttft_at_percentile_ns = rpt_u64(36000000),
                                 .ttft_ci_low_ns = rpt_u64(27000000),
                                 .ttft_ci_high_ns = rpt_u64(36500000),
                                 .tpot_at_percentile_ns = rpt_u64(1061303),
                                 .ttft_bound_ns = rpt_u64(2000000000),
                                 .tpot_bound_ns = rpt_u64(1000000),
                                 .ttft_bound_met = rpt_bool(true),
                                 .tpot_bound_met = rpt_bool(false),
                                 .ttft_overlatency_count = rpt_u64(0),
                                 .tpot_overlatency_count = rpt_u64(7)};
  r.workload.kv_cache_bytes = rpt_u64(1048576);
  r.workload.prefill_flops = rpt_u64(104795525);
  r.accuracy = (rpt_accuracy){.present = true, .samples = 64, .token_agreement = rpt_f64(0.75)};
  rpt_results_add_reason(&r, "tpot_bound", "99th percentile TPOT 1.061 ms > tpot_latency 1 ms");
  char *t = render(&r);
  has(t, "  TTFT bound satisfied : Yes\n  TPOT bound satisfied : NO\n");
  has(t, "  TPOT at the 99th percentile (ns) : 1061303 (bound 1000000)\n");
  has(t, "  Samples over the TTFT / TPOT bound : 0 / 7\n");
  has(t, "tpot_latency 1 ms [tpot_bound]");
  has_value(t, "Completed tokens per second", "320");
  has_value(t, "Tokens completed", "3200");
  has_value(t, "Mean First Token latency (ns)", "1234.500");
  has_value(t, "99th percentile first token latency (ns)",
            "36000000 (99% CI [27000000, 36500000])");
  has(t, "99.00 percentile Time to Output Token (ns): 1061303\n");
  has_value(t, "Token agreement", "0.75");
  has_value(t, "KV-cache bytes per worker", "1048576");
  has_value(t, "Prefill FLOPs", "104795525");
  lacks(t, "Decode FLOPs");
  free(t);
  rpt_results_destroy(&r);
}

static void test_row(void **state) {
  rpt_results r;
  server_run(&r, false);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_int_equal(rpt_summary_row_header(f), RPT_OK);
  assert_int_equal(rpt_summary_row(f, &r, "runs/20261125-081500-kws-server"), RPT_OK);
  fclose(f);
  char *second = strchr(text, '\n') + 1;
  has(text, "workload");
  has(text, "validity");
  has(second, "kws ");
  has(second, "Server ");
  has(second, "Scheduled samples per second");
  has(second, " 2000 qps ");
  has(second, " INVALID ");
  has(second, "runs/20261125-081500-kws-server\n");
  free(text);
  rpt_results_destroy(&r);
}

static void test_write_file(void **state) {
  rpt_results r;
  char err[256] = "";
  server_run(&r, true);
  assert_int_equal(rpt_summary_write_file("/nonexistent/summary.txt", &r, err, sizeof err),
                   RPT_EIO);
  assert_non_null(strstr(err, "/nonexistent/summary.txt"));
  char path[] = "/tmp/rpt-summary-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(rpt_summary_write_file(path, &r, err, sizeof err), RPT_OK);
  FILE *f = fopen(path, "r");
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  unlink(path);
  has(buf, "Result is : VALID\n");
  rpt_results_destroy(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_server_valid),
      cmocka_unit_test(test_token_lines),
      cmocka_unit_test(test_server_invalid),
      cmocka_unit_test(test_server_without_issue_delay),
      cmocka_unit_test(test_offline_has_no_issue_delay),
      cmocka_unit_test(test_counters_energy_roofline),
      cmocka_unit_test(test_unset_is_not_zero),
      cmocka_unit_test(test_multistream_and_find_peak),
      cmocka_unit_test(test_row),
      cmocka_unit_test(test_write_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
