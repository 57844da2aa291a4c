/*
 * tests/reports/test_results.c - the results model: setters copy, results.json round
 * trip keeps every field (set and unset), and the reader rejects wrong schemas, newer
 * versions, wrong types and broken JSON with messages naming the file and the field.
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
#include <json-c/json.h>

#include "reports/results.h"

static char dir[] = "/tmp/rpt-results-XXXXXX";

static int setup(void **state) { return mkdtemp(dir) ? 0 : -1; }

static int teardown(void **state) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd);
}

static void path_of(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "%s/%s", dir, name);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static rpt_latency latency(uint64_t base) {
  return (rpt_latency){true, 1000, base, base * 9, (double)base * 2.25, base * 2,
                       base * 3, base * 4, base * 5, base * 6, base * 7};
}

/* Every field set, with values that are easy to get wrong (big, fractional, quoted). */
static void fill_all(rpt_results *r) {
  assert_int_equal(rpt_results_init(r), RPT_OK);
  assert_int_equal(rpt_set_string(&r->build.git_describe, "v0.3-12-gabc123-dirty"), RPT_OK);
  rpt_set_string(&r->build.tool_version, "0.3");
  assert_int_equal(rpt_results_set_created(r, 1795594500), RPT_OK);
  const char *argv[] = {"mlsysbench", "run", "--set", "name=\"quoted\" \\ and tab\t"};
  assert_int_equal(rpt_results_set_command(r, 4, argv), RPT_OK);

  rpt_set_string(&r->workload.name, "kws");
  rpt_set_string(&r->workload.description, "keyword spotting DS-CNN");
  rpt_set_string(&r->workload.input_shape, "49x10x1 f32");
  rpt_set_string(&r->workload.output_shape, "12 f32");
  assert_int_equal(rpt_results_add_param(r, "width", "64"), RPT_OK);
  assert_int_equal(rpt_results_add_param(r, "variant", NULL), RPT_OK);
  r->workload.macs = rpt_u64(2656000);
  r->workload.flops = rpt_u64(5312000);
  r->workload.bytes_moved = rpt_u64(95000);
  r->workload.weight_seed = rpt_u64(UINT64_MAX); /* beyond int64 */

  rpt_set_string(&r->sut.name, "cpu");
  rpt_set_string(&r->sut.device, "cpu");
  r->sut.threads = rpt_u64(4);
  r->sut.batch = rpt_u64(1);
  r->sut.inline_completion = rpt_bool(false);
  rpt_set_string(&r->sut.pinning, "cores");
  assert_int_equal(rpt_results_add_worker_cpus(r, "0"), RPT_OK);
  assert_int_equal(rpt_results_add_worker_cpus(r, "1,17"), RPT_OK);

  rpt_set_string(&r->host.hostname, "lab-07");
  rpt_set_string(&r->host.os, "Debian GNU/Linux 12");
  rpt_set_string(&r->host.kernel, "6.1.0-18-amd64");
  rpt_set_string(&r->host.cpu_model, "AMD EPYC 7543 32-Core Processor");
  rpt_set_string(&r->host.hardware_profile, "epyc-7543");
  r->host.topology = (rpt_topology){rpt_u64(2), rpt_u64(64), rpt_u64(128), rpt_u64(8),
                                    rpt_u64(32768), rpt_u64(524288), rpt_u64(33554432)};

  assert_int_equal(rpt_results_add_setting(r, "server_target_qps", "2000", "user.conf:3"), RPT_OK);
  assert_int_equal(rpt_results_add_setting(r, "min_duration_ms", "10000", "default"), RPT_OK);
  r->seeds = (rpt_seeds){rpt_u64(1), rpt_u64(2), rpt_u64(3), rpt_u64(4)};

  rpt_run_result *res = &r->result;
  rpt_set_string(&res->scenario, "Server");
  rpt_set_string(&res->mode, "find-peak");
  res->valid = rpt_bool(false);
  assert_int_equal(rpt_results_add_reason(r, "latency_bound", "p99 12.5 ms > 10 ms"), RPT_OK);
  assert_int_equal(rpt_results_add_reason(r, "samples_lost", "3 samples never completed"), RPT_OK);
  res->counts = (rpt_counts){20000, 20000, 19997, 3, 1, 2, 4, 5, rpt_u64(100), rpt_u64(100)};
  res->durations = (rpt_durations){rpt_u64(10000000001), rpt_u64(9999999000),
                                   rpt_u64(9999998000), rpt_u64(10000500000)};
  res->latency = latency(100);
  res->query_latency = latency(800);
  res->issue_delay = latency(3);
  res->samples_per_s = rpt_f64(1999.7000000000001);
  res->queries_per_s = rpt_f64(0.1);
  rpt_set_string(&res->metric.name, "target QPS");
  rpt_set_string(&res->metric.unit, "qps");
  res->metric.value = rpt_f64(2000);
  res->metric.ci_low = rpt_f64(1e-300);
  res->metric.ci_high = rpt_f64(123456.789);
  rpt_set_string(&res->metric.ci_method, "binomial order statistic");
  res->checks = (rpt_checks){rpt_bool(true), rpt_bool(true), rpt_bool(true), rpt_bool(false),
                             rpt_bool(true), rpt_f64(0.99), rpt_u64(12500000)};
  res->early_stopping = (rpt_early_stopping){rpt_u64(250), rpt_u64(20100), rpt_u64(12000000)};
  res->find_peak.peak_qps = rpt_f64(1843.5);
  assert_int_equal(rpt_results_add_probe(r, &(rpt_probe){1000, true, 4000000, 2500}), RPT_OK);
  assert_int_equal(rpt_results_add_probe(r, &(rpt_probe){2000.5, false, 12500000, 2500}), RPT_OK);

  r->accuracy = (rpt_accuracy){.present = true, .samples = 1000, .top1_agreement = rpt_f64(0.998),
                                .max_abs_error = rpt_f64(3.5e-6), .missing = 2};
  rpt_set_string(&r->accuracy.dataset, "workloads/datasets/kws-tiny");
  r->accuracy.top1_accuracy = rpt_f64(0.96875);
  r->accuracy.token_agreement = rpt_f64(0.75);
  r->workload.kv_cache_bytes = rpt_u64(1048576);
  r->workload.prefill_flops = rpt_u64(104795525);
  res->tokens = (rpt_tokens){.present = true, .tokens = 3200, .tokens_per_s = rpt_f64(313.25),
                             .ttft = latency(16), .tpot = latency(1),
                             .percentile = rpt_f64(0.99), .tpot_ci_high_ns = rpt_u64(1061303),
                             .ttft_bound_met = rpt_bool(false), .missing_tokens = 3};

  char name[] = "task-clock"; /* copied, so a later change must not show */
  assert_int_equal(rpt_results_add_counter(r, &(rpt_counter){name, "perf", "ns", true, rpt_f64(5.5e8), rpt_f64(1234.5), NULL}), RPT_OK);
  name[0] = 'X';
  assert_int_equal(rpt_results_add_counter(r, &(rpt_counter){"PAPI_TOT_INS", "papi", "count", false, {0}, {0}, "component perf_event disabled: no PMU"}), RPT_OK);
  rpt_set_string(&r->counters.requested, "default");
  r->energy.available = true;
  rpt_set_string(&r->energy.source, "rapl");
  r->energy.estimate = rpt_bool(false);
  r->energy.joules = rpt_f64(12.25);
  assert_int_equal(rpt_results_add_energy_domain(r, &(rpt_energy_domain){"package-0", 10.5}), RPT_OK);
  r->roofline = (rpt_roofline){.present = true, .achieved_flops = rpt_f64(2.5e10), .fraction = rpt_f64(0.25),
                                .peak_flops_per_core = rpt_f64(1e11), .cores_used = rpt_u64(2),
                                .peak_flops_cores_used = rpt_f64(2e11),
                                .fraction_of_peak_cores_used = rpt_f64(0.125)};
  rpt_set_string(&r->roofline.bound, "memory");
}

static void assert_latency_equal(const rpt_latency *a, const rpt_latency *b) {
  assert_int_equal(a->present, b->present);
  assert_int_equal(a->count, b->count);
  assert_int_equal(a->min_ns, b->min_ns);
  assert_int_equal(a->max_ns, b->max_ns);
  assert_true(a->mean_ns == b->mean_ns);
  assert_int_equal(a->p50_ns, b->p50_ns);
  assert_int_equal(a->p999_ns, b->p999_ns);
}

/* Field-by-field checks of the values most likely to be mangled. */
static void assert_same(const rpt_results *a, const rpt_results *b) {
  assert_string_equal(a->build.created_utc, "2026-11-25T08:15:00Z");
  assert_string_equal(b->build.created_utc, a->build.created_utc);
  assert_int_equal(b->build.command.count, 4);
  assert_string_equal(b->build.command.items[3], a->build.command.items[3]);
  assert_int_equal(b->workload.params.count, 2);
  assert_string_equal(b->workload.params.items[0].key, "width");
  assert_string_equal(b->workload.params.items[0].value, "64");
  assert_null(b->workload.params.items[1].value);
  assert_true(b->workload.weight_seed.set);
  assert_true(b->workload.weight_seed.v == UINT64_MAX);
  assert_true(b->sut.inline_completion.set && !b->sut.inline_completion.v);
  assert_string_equal(b->sut.worker_cpus.items[1], "1,17");
  assert_int_equal(b->host.topology.l3_bytes.v, 33554432);
  assert_string_equal(b->settings.items[0].source, "user.conf:3");
  assert_int_equal(b->seeds.accuracy_log_rng_seed.v, 4);
  assert_string_equal(b->result.reasons.items[1].code, "samples_lost");
  assert_memory_equal(&a->result.counts, &b->result.counts, sizeof a->result.counts);
  assert_memory_equal(&a->result.durations, &b->result.durations, sizeof a->result.durations);
  assert_latency_equal(&a->result.latency, &b->result.latency);
  assert_latency_equal(&a->result.query_latency, &b->result.query_latency);
  assert_latency_equal(&a->result.issue_delay, &b->result.issue_delay);
  assert_true(b->result.samples_per_s.v == 1999.7000000000001);
  assert_true(b->result.queries_per_s.v == 0.1);
  assert_true(b->result.metric.ci_low.v == 1e-300);
  assert_true(b->result.metric.ci_high.v == 123456.789);
  assert_true(b->result.checks.latency_bound_met.set && !b->result.checks.latency_bound_met.v);
  assert_true(b->result.checks.percentile.v == 0.99);
  assert_int_equal(b->result.early_stopping.min_queries.v, 20100);
  assert_int_equal(b->result.find_peak.probes.count, 2);
  assert_true(b->result.find_peak.probes.items[1].target_qps == 2000.5);
  assert_false(b->result.find_peak.probes.items[1].valid);
  assert_true(b->accuracy.present);
  assert_true(b->accuracy.max_abs_error.v == 3.5e-6);
  assert_int_equal(b->accuracy.missing, 2);
  assert_string_equal(b->accuracy.dataset, "workloads/datasets/kws-tiny");
  assert_true(b->accuracy.top1_accuracy.v == 0.96875);
  assert_false(b->accuracy.auc.set);
  assert_true(b->accuracy.token_agreement.v == 0.75);
  assert_int_equal(b->workload.kv_cache_bytes.v, 1048576);
  assert_int_equal(b->workload.prefill_flops.v, 104795525);
  assert_false(b->workload.decode_flops.set);
  assert_true(b->result.tokens.present);
  assert_int_equal(b->result.tokens.tokens, 3200);
  assert_true(b->result.tokens.tokens_per_s.v == 313.25);
  assert_latency_equal(&a->result.tokens.ttft, &b->result.tokens.ttft);
  assert_latency_equal(&a->result.tokens.tpot, &b->result.tokens.tpot);
  assert_int_equal(b->result.tokens.tpot_ci_high_ns.v, 1061303);
  assert_true(b->result.tokens.ttft_bound_met.set && !b->result.tokens.ttft_bound_met.v);
  assert_false(b->result.tokens.tpot_bound_met.set);
  assert_int_equal(b->result.tokens.missing_tokens, 3);
  assert_int_equal(b->counters.items.count, 2);
  assert_string_equal(b->counters.items.items[0].name, "task-clock");
  assert_true(b->counters.items.items[0].per_inference.v == 1234.5);
  assert_false(b->counters.items.items[1].available);
  assert_false(b->counters.items.items[1].total.set); /* unavailable is never a 0 */
  assert_string_equal(b->counters.items.items[1].reason, "component perf_event disabled: no PMU");
  assert_true(b->energy.present && b->energy.available);
  assert_true(b->energy.domains.items[0].joules == 10.5);
  assert_true(b->energy.estimate.set && !b->energy.estimate.v);
  assert_true(b->roofline.fraction.v == 0.25);
  assert_string_equal(b->roofline.bound, "memory");
  assert_true(b->roofline.cores_used.set && b->roofline.cores_used.v == 2);
  assert_true(b->roofline.peak_flops_per_core.v == 1e11);
  assert_true(b->roofline.peak_flops_cores_used.v == 2e11);
  assert_true(b->roofline.fraction_of_peak_cores_used.v == 0.125);
}

/* Both documents serialize to equal JSON. */
static void assert_json_equal(const rpt_results *a, const rpt_results *b) {
  json_object *ja = rpt_results_to_json(a), *jb = rpt_results_to_json(b);
  assert_non_null(ja);
  assert_non_null(jb);
  assert_int_equal(json_object_equal(ja, jb), 1);
  json_object_put(ja);
  json_object_put(jb);
}

static void test_round_trip_every_field(void **state) {
  rpt_results a, b;
  char path[256], err[512] = "";
  fill_all(&a);
  path_of(path, sizeof path, "full.json");
  assert_int_equal(rpt_results_write_json(path, &a, err, sizeof err), RPT_OK);
  assert_int_equal(rpt_results_read_json(path, &b, err, sizeof err), RPT_OK);
  assert_same(&a, &b);
  assert_json_equal(&a, &b);
  rpt_results_destroy(&a);
  rpt_results_destroy(&b);
}

/* Partly filled results: what was unset stays unset, and is null in the JSON. */
static void test_round_trip_keeps_nulls(void **state) {
  rpt_results a, b;
  char path[256], err[512] = "";
  rpt_results_init(&a);
  rpt_set_string(&a.result.scenario, "Offline");
  rpt_set_string(&a.result.mode, "accuracy");
  a.result.counts.samples_issued = 0; /* a real zero stays a zero */
  a.host.topology.cores = rpt_u64(8);
  a.workload.flops = rpt_u64(0);
  json_object *doc = rpt_results_to_json(&a), *v;
  assert_true(json_object_object_get_ex(doc, "workload", &v));
  assert_true(json_object_object_get_ex(v, "macs", &v));
  assert_null(v); /* null, not 0 */
  json_object *res;
  assert_true(json_object_object_get_ex(doc, "result", &res));
  const char *null_blocks[] = {"valid", "latency", "query_latency", "issue_delay", "metric",
                               "checks", "early_stopping", "find_peak", "samples_per_s"};
  for (size_t i = 0; i < sizeof null_blocks / sizeof null_blocks[0]; i++) {
    assert_true(json_object_object_get_ex(res, null_blocks[i], &v));
    assert_null(v);
  }
  assert_true(json_object_object_get_ex(doc, "accuracy", &v));
  assert_null(v);
  json_object_put(doc);

  path_of(path, sizeof path, "partial.json");
  assert_int_equal(rpt_results_write_json(path, &a, err, sizeof err), RPT_OK);
  assert_int_equal(rpt_results_read_json(path, &b, err, sizeof err), RPT_OK);
  assert_false(b.workload.macs.set);
  assert_true(b.workload.flops.set);
  assert_int_equal(b.workload.flops.v, 0);
  assert_true(b.host.topology.cores.set);
  assert_false(b.host.topology.pus.set);
  assert_null(b.build.git_describe);
  assert_false(b.result.valid.set);
  assert_false(b.result.latency.present);
  assert_false(b.result.metric.value.set);
  assert_null(b.result.metric.name);
  assert_false(b.accuracy.present);
  assert_false(b.result.checks.min_duration_met.set);
  assert_int_equal(b.settings.count, 0);
  assert_json_equal(&a, &b);
  rpt_results_destroy(&a);
  rpt_results_destroy(&b);
}

static void test_setters_copy(void **state) {
  rpt_results r;
  char name[] = "cpu";
  rpt_results_init(&r);
  assert_int_equal(rpt_set_string(&r.sut.name, name), RPT_OK);
  name[0] = 'X';
  assert_string_equal(r.sut.name, "cpu");
  assert_int_equal(rpt_set_string(&r.sut.name, "cuda"), RPT_OK); /* old one freed (ASan) */
  assert_int_equal(rpt_set_string(&r.sut.name, NULL), RPT_OK);
  assert_null(r.sut.name);
  char key[] = "min_duration_ms";
  assert_int_equal(rpt_results_add_setting(&r, key, "600000", "--set"), RPT_OK);
  key[0] = 'X';
  const rpt_setting *s = rpt_results_find_setting(&r, "min_duration_ms");
  assert_non_null(s);
  assert_string_equal(s->value, "600000");
  assert_null(rpt_results_find_setting(&r, "nope"));
  assert_int_equal(rpt_results_add_setting(&r, NULL, "1", "cli"), RPT_EINVAL);
  for (int i = 0; i < 100; i++) rpt_results_add_reason(&r, "min_duration", "short");
  assert_int_equal(r.result.reasons.count, 100);
  assert_int_equal(rpt_results_set_created(&r, 0), RPT_OK);
  assert_string_equal(r.build.created_utc, "1970-01-01T00:00:00Z");
  rpt_results_destroy(&r);
  rpt_results_destroy(&r); /* empty after destroy */
  rpt_results_destroy(NULL);
}

static void test_non_finite_becomes_null(void **state) {
  rpt_results r, back;
  char path[256], err[512];
  rpt_results_init(&r);
  r.result.samples_per_s = rpt_f64(1.0 / 0.0);
  path_of(path, sizeof path, "inf.json");
  assert_int_equal(rpt_results_write_json(path, &r, err, sizeof err), RPT_OK);
  assert_int_equal(rpt_results_read_json(path, &back, err, sizeof err), RPT_OK);
  assert_false(back.result.samples_per_s.set);
  rpt_results_destroy(&r);
  rpt_results_destroy(&back);
}

/* Write `text` to name, read it, expect status and every needle in the message. */
static void expect_read_error(const char *name, const char *text, int status, ...) {
  char path[256], err[512] = "";
  rpt_results r;
  path_of(path, sizeof path, name);
  write_text(path, text);
  assert_int_equal(rpt_results_read_json(path, &r, err, sizeof err), status);
  assert_non_null(strstr(err, path));
  va_list ap;
  va_start(ap, status);
  for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;) {
    if (strstr(err, needle) == NULL) fail_msg("'%s' not in message: %s", needle, err);
  }
  va_end(ap);
  rpt_results_destroy(&r); /* safe after a failed read */
}

static void test_rejects_newer_version(void **state) {
  expect_read_error("v99.json", "{\"schema\": \"mlsysbench.results\", \"schema_version\": 99}",
                    RPT_ESCHEMA, "field 'schema_version'", "99", "newer", NULL);
}

static void test_rejects_wrong_schema(void **state) {
  expect_read_error("other.json", "{\"schema\": \"other.thing\", \"schema_version\": 1}",
                    RPT_ESCHEMA, "field 'schema'", "other.thing", NULL);
  expect_read_error("none.json", "{\"result\": {}}", RPT_ESCHEMA, "field 'schema'", NULL);
  expect_read_error("v0.json", "{\"schema\": \"mlsysbench.results\", \"schema_version\": 0}",
                    RPT_ESCHEMA, "field 'schema_version'", NULL);
  expect_read_error("array.json", "[1, 2]", RPT_EFORMAT, "not a JSON object", NULL);
}

/* A valid file with one field replaced. */
static void test_rejects_wrong_types(void **state) {
  rpt_results r;
  char path[256], err[512];
  fill_all(&r);
  path_of(path, sizeof path, "base.json");
  assert_int_equal(rpt_results_write_json(path, &r, err, sizeof err), RPT_OK);
  rpt_results_destroy(&r);
  json_object *doc = json_object_from_file(path), *res, *counts;
  assert_non_null(doc);
  json_object_object_get_ex(doc, "result", &res);
  json_object_object_get_ex(res, "counts", &counts);
  json_object_object_add(counts, "samples_lost", json_object_new_string("three"));
  expect_read_error("type.json", json_object_to_json_string(doc), RPT_EFORMAT,
                    "field 'result.counts.samples_lost'", "unsigned integer", "string", NULL);
  json_object_object_add(counts, "samples_lost", json_object_new_int(-3));
  expect_read_error("neg.json", json_object_to_json_string(doc), RPT_EFORMAT,
                    "field 'result.counts.samples_lost'", NULL);
  json_object_object_del(counts, "samples_lost");
  expect_read_error("missing.json", json_object_to_json_string(doc), RPT_EFORMAT,
                    "field 'result.counts.samples_lost'", "missing", NULL);
  json_object_object_add(counts, "samples_lost", json_object_new_int(3));
  json_object *probes, *peak;
  json_object_object_get_ex(res, "find_peak", &peak);
  json_object_object_get_ex(peak, "probes", &probes);
  json_object_object_add(json_object_array_get_idx(probes, 1), "valid", json_object_new_int(1));
  expect_read_error("probe.json", json_object_to_json_string(doc), RPT_EFORMAT,
                    "field 'result.find_peak.probes[1].valid'", NULL);
  json_object_put(doc);
}

static void test_rejects_broken_json(void **state) {
  expect_read_error("broken.json", "{\n  \"schema\": \"mlsysbench.results\",\n  \"x\": [1,\n}\n",
                    RPT_EFORMAT, "broken.json:", "not valid JSON", NULL);
  expect_read_error("trail.json", "{\"schema\": \"mlsysbench.results\"} x", RPT_EFORMAT,
                    "text after", NULL);
  char err[512] = "";
  rpt_results r;
  assert_int_equal(rpt_results_read_json("/nonexistent/results.json", &r, err, sizeof err),
                   RPT_EIO);
  assert_non_null(strstr(err, "/nonexistent/results.json"));
  assert_non_null(strstr(err, "No such file"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_every_field),
      cmocka_unit_test(test_round_trip_keeps_nulls),
      cmocka_unit_test(test_setters_copy),
      cmocka_unit_test(test_non_finite_becomes_null),
      cmocka_unit_test(test_rejects_newer_version),
      cmocka_unit_test(test_rejects_wrong_schema),
      cmocka_unit_test(test_rejects_wrong_types),
      cmocka_unit_test(test_rejects_broken_json),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
