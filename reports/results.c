/*
 * reports/results.c - the results model: setters, and results.json in and out.
 *
 * One set of field tables describes the whole document (JSON name, C type, offset);
 * the same tables drive writing, reading and freeing, so the three cannot drift
 * apart and a round trip preserves every field, unset ones included.
 */
#include "reports/results.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "reports/internal.h"

/* ---- field tables ------------------------------------------------------------------ */
typedef enum {
  F_STR,     /* char *, NULL = null */
  F_U64,     /* uint64_t, always written */
  F_F64,     /* double, non-finite = null */
  F_BOOL,    /* bool */
  F_OU64,    /* rpt_opt_u64 */
  F_OF64,    /* rpt_opt_f64 */
  F_OBOOL,   /* rpt_opt_bool */
  F_OBJ,     /* nested struct, described by sub */
  F_LIST,    /* list of structs described by sub (count, cap, items) */
  F_STRLIST, /* rpt_strlist: JSON array of strings */
  F_MAP,     /* rpt_kvlist: JSON object of strings */
} ftype;

typedef struct table table;
typedef struct field {
  const char *name;
  ftype type;
  size_t off;
  const table *sub;
} field;

struct table {
  const field *fields;
  size_t count;
  size_t size;       /* sizeof the struct (list elements) */
  long present;      /* offset of a `bool present` member, or -1 */
  bool null_empty;   /* written as null when every value in it is unset */
};

/* Every list type has this layout; lists are accessed through it with memcpy. */
typedef struct anylist { size_t count, cap; void *items; } anylist;
#define SAME_LAYOUT_(T)                                                        \
  _Static_assert(offsetof(T, items) == offsetof(anylist, items) &&             \
                     sizeof(T) == sizeof(anylist),                             \
                 #T " must have the anylist layout")
SAME_LAYOUT_(rpt_strlist);
SAME_LAYOUT_(rpt_kvlist);
SAME_LAYOUT_(rpt_settinglist);
SAME_LAYOUT_(rpt_reasonlist);
SAME_LAYOUT_(rpt_probelist);
SAME_LAYOUT_(rpt_counterlist);
SAME_LAYOUT_(rpt_domainlist);
SAME_LAYOUT_(rpt_windowlist);

#define FLD(S, m, t) {#m, t, offsetof(S, m), NULL}
#define SUB(S, m, t, tab) {#m, t, offsetof(S, m), &tab}
#define TABLE(S, arr, present, null_empty) \
  {arr, sizeof arr / sizeof arr[0], sizeof(S), present, null_empty}

static const field setting_f[] = {FLD(rpt_setting, key, F_STR),
                                  FLD(rpt_setting, value, F_STR),
                                  FLD(rpt_setting, source, F_STR)};
static const table setting_t = TABLE(rpt_setting, setting_f, -1, false);

static const field reason_f[] = {FLD(rpt_reason, code, F_STR), FLD(rpt_reason, text, F_STR)};
static const table reason_t = TABLE(rpt_reason, reason_f, -1, false);

static const field probe_f[] = {
    FLD(rpt_probe, target_qps, F_F64), FLD(rpt_probe, valid, F_BOOL),
    FLD(rpt_probe, p99_ns, F_U64), FLD(rpt_probe, duration_ms, F_U64)};
static const table probe_t = TABLE(rpt_probe, probe_f, -1, false);

static const field build_f[] = {
    FLD(rpt_build, git_describe, F_STR), FLD(rpt_build, tool_version, F_STR),
    FLD(rpt_build, created_utc, F_STR), FLD(rpt_build, command, F_STRLIST)};
static const table build_t = TABLE(rpt_build, build_f, -1, false);

static const field workload_f[] = {
    FLD(rpt_workload, name, F_STR),         FLD(rpt_workload, description, F_STR),
    FLD(rpt_workload, input_shape, F_STR),  FLD(rpt_workload, output_shape, F_STR),
    FLD(rpt_workload, params, F_MAP),       FLD(rpt_workload, macs, F_OU64),
    FLD(rpt_workload, flops, F_OU64),       FLD(rpt_workload, bytes_moved, F_OU64),
    FLD(rpt_workload, weight_seed, F_OU64), FLD(rpt_workload, prompt_tokens, F_OU64),
    FLD(rpt_workload, output_tokens, F_OU64), FLD(rpt_workload, context_tokens, F_OU64),
    FLD(rpt_workload, prefill_flops, F_OU64), FLD(rpt_workload, decode_flops, F_OU64),
    FLD(rpt_workload, kv_cache_bytes, F_OU64)};
static const table workload_t = TABLE(rpt_workload, workload_f, -1, false);

static const field accel_f[] = {
    FLD(rpt_accelerator, api, F_STR),
    FLD(rpt_accelerator, name, F_STR),
    FLD(rpt_accelerator, pci_bus_id, F_STR),
    FLD(rpt_accelerator, compute_capability, F_STR),
    FLD(rpt_accelerator, sm_count, F_OU64),
    FLD(rpt_accelerator, memory_bytes, F_OU64),
    FLD(rpt_accelerator, sm_clock_mhz, F_OU64),
    FLD(rpt_accelerator, memory_clock_mhz, F_OU64),
    FLD(rpt_accelerator, driver_version, F_STR),
    FLD(rpt_accelerator, runtime_version, F_STR),
    FLD(rpt_accelerator, precision, F_STR),
    FLD(rpt_accelerator, streams, F_OU64),
    FLD(rpt_accelerator, max_batch, F_OU64),
    FLD(rpt_accelerator, max_delay_us, F_OU64),
    FLD(rpt_accelerator, batches, F_OU64),
    FLD(rpt_accelerator, samples, F_OU64),
    FLD(rpt_accelerator, samples_failed, F_OU64),
    FLD(rpt_accelerator, samples_per_batch_mean, F_OF64),
    FLD(rpt_accelerator, host_batch_ns_mean, F_OF64),
    FLD(rpt_accelerator, device_batch_ns_mean, F_OF64),
    FLD(rpt_accelerator, overhead_ns_mean, F_OF64),
    FLD(rpt_accelerator, device_batch_ns_min, F_OU64),
    FLD(rpt_accelerator, device_batch_ns_max, F_OU64),
    FLD(rpt_accelerator, copy_in_ns_mean, F_OF64),
    FLD(rpt_accelerator, compute_ns_mean, F_OF64),
    FLD(rpt_accelerator, copy_out_ns_mean, F_OF64),
    FLD(rpt_accelerator, last_error, F_STR)};
static const table accel_t =
    TABLE(rpt_accelerator, accel_f, (long)offsetof(rpt_accelerator, present), false);

static const field sut_f[] = {
    FLD(rpt_sut, name, F_STR),     FLD(rpt_sut, device, F_STR),
    FLD(rpt_sut, threads, F_OU64), FLD(rpt_sut, batch, F_OU64),
    {"inline", F_OBOOL, offsetof(rpt_sut, inline_completion), NULL},
    FLD(rpt_sut, pinning, F_STR),  FLD(rpt_sut, worker_cpus, F_STRLIST),
    FLD(rpt_sut, loadgen_cpus, F_STR), SUB(rpt_sut, accelerator, F_OBJ, accel_t)};
static const table sut_t = TABLE(rpt_sut, sut_f, -1, false);

static const field topology_f[] = {
    FLD(rpt_topology, packages, F_OU64),   FLD(rpt_topology, cores, F_OU64),
    FLD(rpt_topology, pus, F_OU64),        FLD(rpt_topology, numa_nodes, F_OU64),
    FLD(rpt_topology, l1d_bytes, F_OU64),  FLD(rpt_topology, l2_bytes, F_OU64),
    FLD(rpt_topology, l3_bytes, F_OU64)};
static const table topology_t = TABLE(rpt_topology, topology_f, -1, true);

static const field host_f[] = {
    FLD(rpt_host, hostname, F_STR),  FLD(rpt_host, os, F_STR),
    FLD(rpt_host, kernel, F_STR),    FLD(rpt_host, cpu_model, F_STR),
    FLD(rpt_host, hardware_profile, F_STR),
    SUB(rpt_host, topology, F_OBJ, topology_t)};
static const table host_t = TABLE(rpt_host, host_f, -1, false);

static const field seeds_f[] = {
    FLD(rpt_seeds, qsl_rng_seed, F_OU64), FLD(rpt_seeds, sample_index_rng_seed, F_OU64),
    FLD(rpt_seeds, schedule_rng_seed, F_OU64),
    FLD(rpt_seeds, accuracy_log_rng_seed, F_OU64)};
static const table seeds_t = TABLE(rpt_seeds, seeds_f, -1, false);

static const field latency_f[] = {
    FLD(rpt_latency, count, F_U64),  FLD(rpt_latency, min_ns, F_U64),
    FLD(rpt_latency, max_ns, F_U64), FLD(rpt_latency, mean_ns, F_F64),
    FLD(rpt_latency, p50_ns, F_U64), FLD(rpt_latency, p90_ns, F_U64),
    FLD(rpt_latency, p95_ns, F_U64), FLD(rpt_latency, p97_ns, F_U64),
    FLD(rpt_latency, p99_ns, F_U64), FLD(rpt_latency, p999_ns, F_U64)};
static const table latency_t =
    TABLE(rpt_latency, latency_f, (long)offsetof(rpt_latency, present), false);

static const field counts_f[] = {
    FLD(rpt_counts, queries_issued, F_U64),
    FLD(rpt_counts, samples_issued, F_U64),
    FLD(rpt_counts, samples_completed, F_U64),
    FLD(rpt_counts, samples_lost, F_U64),
    FLD(rpt_counts, duplicate_completions, F_U64),
    FLD(rpt_counts, unknown_completions, F_U64),
    FLD(rpt_counts, late_completions, F_U64),
    FLD(rpt_counts, oversized_responses, F_U64),
    FLD(rpt_counts, min_queries_required, F_OU64),
    FLD(rpt_counts, min_samples_required, F_OU64)};
static const table counts_t = TABLE(rpt_counts, counts_f, -1, false);

static const field durations_f[] = {
    FLD(rpt_durations, duration_ns, F_OU64), FLD(rpt_durations, last_issue_ns, F_OU64),
    FLD(rpt_durations, last_scheduled_ns, F_OU64),
    FLD(rpt_durations, last_completion_ns, F_OU64)};
static const table durations_t = TABLE(rpt_durations, durations_f, -1, false);

static const field metric_f[] = {
    FLD(rpt_metric, name, F_STR),    FLD(rpt_metric, unit, F_STR),
    FLD(rpt_metric, value, F_OF64),  FLD(rpt_metric, ci_low, F_OF64),
    FLD(rpt_metric, ci_high, F_OF64), FLD(rpt_metric, ci_method, F_STR)};
static const table metric_t = TABLE(rpt_metric, metric_f, -1, true);

static const field checks_f[] = {
    FLD(rpt_checks, min_duration_met, F_OBOOL), FLD(rpt_checks, min_queries_met, F_OBOOL),
    FLD(rpt_checks, min_samples_met, F_OBOOL),  FLD(rpt_checks, latency_bound_met, F_OBOOL),
    FLD(rpt_checks, early_stopping_met, F_OBOOL), FLD(rpt_checks, percentile, F_OF64),
    FLD(rpt_checks, latency_at_percentile_ns, F_OU64)};
static const table checks_t = TABLE(rpt_checks, checks_f, -1, true);

static const field es_f[] = {FLD(rpt_early_stopping, overlatency_count, F_OU64),
                             FLD(rpt_early_stopping, min_queries, F_OU64),
                             FLD(rpt_early_stopping, estimate_ns, F_OU64)};
static const table es_t = TABLE(rpt_early_stopping, es_f, -1, true);

static const field stable_f[] = {FLD(rpt_until_stable, target, F_OF64),
                                 FLD(rpt_until_stable, ci_relative, F_OF64),
                                 FLD(rpt_until_stable, met, F_OBOOL),
                                 FLD(rpt_until_stable, checks, F_OU64)};
static const table stable_t = TABLE(rpt_until_stable, stable_f, -1, true);

static const field peak_f[] = {FLD(rpt_find_peak, peak_qps, F_OF64),
                               SUB(rpt_find_peak, probes, F_LIST, probe_t)};
static const table peak_t = TABLE(rpt_find_peak, peak_f, -1, true);

static const field tokens_f[] = {
    FLD(rpt_tokens, tokens, F_U64),
    FLD(rpt_tokens, tokens_per_s, F_OF64),
    FLD(rpt_tokens, tokens_per_s_ci_low, F_OF64),
    FLD(rpt_tokens, tokens_per_s_ci_high, F_OF64),
    SUB(rpt_tokens, ttft, F_OBJ, latency_t),
    SUB(rpt_tokens, tpot, F_OBJ, latency_t),
    FLD(rpt_tokens, percentile, F_OF64),
    FLD(rpt_tokens, ttft_at_percentile_ns, F_OU64),
    FLD(rpt_tokens, ttft_ci_low_ns, F_OU64),
    FLD(rpt_tokens, ttft_ci_high_ns, F_OU64),
    FLD(rpt_tokens, tpot_at_percentile_ns, F_OU64),
    FLD(rpt_tokens, tpot_ci_low_ns, F_OU64),
    FLD(rpt_tokens, tpot_ci_high_ns, F_OU64),
    FLD(rpt_tokens, ttft_bound_ns, F_OU64),
    FLD(rpt_tokens, tpot_bound_ns, F_OU64),
    FLD(rpt_tokens, ttft_bound_met, F_OBOOL),
    FLD(rpt_tokens, tpot_bound_met, F_OBOOL),
    FLD(rpt_tokens, ttft_overlatency_count, F_OU64),
    FLD(rpt_tokens, tpot_overlatency_count, F_OU64),
    FLD(rpt_tokens, missing_first_token, F_U64),
    FLD(rpt_tokens, missing_tokens, F_U64),
    FLD(rpt_tokens, first_token_errors, F_U64)};
static const table tokens_t =
    TABLE(rpt_tokens, tokens_f, (long)offsetof(rpt_tokens, present), false);

static const field result_f[] = {
    FLD(rpt_run_result, scenario, F_STR),
    FLD(rpt_run_result, mode, F_STR),
    FLD(rpt_run_result, valid, F_OBOOL),
    SUB(rpt_run_result, reasons, F_LIST, reason_t),
    SUB(rpt_run_result, counts, F_OBJ, counts_t),
    SUB(rpt_run_result, durations, F_OBJ, durations_t),
    SUB(rpt_run_result, latency, F_OBJ, latency_t),
    SUB(rpt_run_result, query_latency, F_OBJ, latency_t),
    SUB(rpt_run_result, issue_delay, F_OBJ, latency_t),
    FLD(rpt_run_result, samples_per_s, F_OF64),
    FLD(rpt_run_result, queries_per_s, F_OF64),
    SUB(rpt_run_result, metric, F_OBJ, metric_t),
    SUB(rpt_run_result, checks, F_OBJ, checks_t),
    SUB(rpt_run_result, early_stopping, F_OBJ, es_t),
    SUB(rpt_run_result, until_stable, F_OBJ, stable_t),
    SUB(rpt_run_result, find_peak, F_OBJ, peak_t),
    SUB(rpt_run_result, tokens, F_OBJ, tokens_t)};
static const table result_t = TABLE(rpt_run_result, result_f, -1, false);

static const field accuracy_f[] = {
    FLD(rpt_accuracy, samples, F_U64), FLD(rpt_accuracy, top1_agreement, F_OF64),
    FLD(rpt_accuracy, max_abs_error, F_OF64), FLD(rpt_accuracy, missing, F_U64),
    FLD(rpt_accuracy, dataset, F_STR), FLD(rpt_accuracy, top1_accuracy, F_OF64),
    FLD(rpt_accuracy, auc, F_OF64), FLD(rpt_accuracy, token_agreement, F_OF64)};
static const table accuracy_t =
    TABLE(rpt_accuracy, accuracy_f, (long)offsetof(rpt_accuracy, present), false);

static const field counter_f[] = {
    FLD(rpt_counter, name, F_STR),      FLD(rpt_counter, source, F_STR),
    FLD(rpt_counter, unit, F_STR),      FLD(rpt_counter, available, F_BOOL),
    FLD(rpt_counter, total, F_OF64),    FLD(rpt_counter, per_inference, F_OF64),
    FLD(rpt_counter, reason, F_STR)};
static const table counter_t = TABLE(rpt_counter, counter_f, -1, false);

static const field counters_f[] = {
    FLD(rpt_counters, requested, F_STR), SUB(rpt_counters, items, F_LIST, counter_t),
    FLD(rpt_counters, ipc, F_OF64)};
static const table counters_t =
    TABLE(rpt_counters, counters_f, (long)offsetof(rpt_counters, present), false);

static const field domain_f[] = {FLD(rpt_energy_domain, name, F_STR),
                                 FLD(rpt_energy_domain, joules, F_F64)};
static const table domain_t = TABLE(rpt_energy_domain, domain_f, -1, false);

static const field energy_f[] = {
    FLD(rpt_energy, available, F_BOOL),     FLD(rpt_energy, requested, F_STR),
    FLD(rpt_energy, source, F_STR),         FLD(rpt_energy, method, F_STR),
    FLD(rpt_energy, estimate, F_OBOOL),     FLD(rpt_energy, joules, F_OF64),
    FLD(rpt_energy, avg_watts, F_OF64),     FLD(rpt_energy, joules_per_inference, F_OF64),
    FLD(rpt_energy, interval_s, F_OF64),    FLD(rpt_energy, sampling_interval_s, F_OF64),
    SUB(rpt_energy, domains, F_LIST, domain_t), FLD(rpt_energy, reason, F_STR)};
static const table energy_t =
    TABLE(rpt_energy, energy_f, (long)offsetof(rpt_energy, present), false);

static const field roofline_f[] = {
    FLD(rpt_roofline, profile, F_STR),           FLD(rpt_roofline, precision, F_STR),
    FLD(rpt_roofline, achieved_flops, F_OF64),   FLD(rpt_roofline, arithmetic_intensity, F_OF64),
    FLD(rpt_roofline, peak_flops, F_OF64),       FLD(rpt_roofline, bandwidth_bytes_per_s, F_OF64),
    FLD(rpt_roofline, attainable_flops, F_OF64), FLD(rpt_roofline, fraction, F_OF64),
    FLD(rpt_roofline, bound, F_STR),             FLD(rpt_roofline, reason, F_STR),
    FLD(rpt_roofline, peak_flops_per_core, F_OF64), FLD(rpt_roofline, cores_used, F_OU64),
    FLD(rpt_roofline, peak_flops_cores_used, F_OF64),
    FLD(rpt_roofline, fraction_of_peak_cores_used, F_OF64)};
static const table roofline_t =
    TABLE(rpt_roofline, roofline_f, (long)offsetof(rpt_roofline, present), false);

static const field window_f[] = {
    FLD(rpt_device_window, sample_index, F_U64), FLD(rpt_device_window, inferences, F_U64),
    FLD(rpt_device_window, dut_us, F_U64), FLD(rpt_device_window, samples_per_s, F_F64)};
static const table window_t = TABLE(rpt_device_window, window_f, -1, false);

static const field device_f[] = {
    FLD(rpt_device, name, F_STR),           FLD(rpt_device, model, F_STR),
    FLD(rpt_device, timing, F_STR),         SUB(rpt_device, latency, F_OBJ, latency_t),
    FLD(rpt_device, samples_per_s, F_OF64), SUB(rpt_device, windows, F_LIST, window_t),
    FLD(rpt_device, counter_wraps, F_OU64), FLD(rpt_device, recoveries, F_OU64),
    FLD(rpt_device, garbage_lines, F_OU64), FLD(rpt_device, last_fault, F_STR),
    FLD(rpt_device, failure, F_STR)};
static const table device_t =
    TABLE(rpt_device, device_f, (long)offsetof(rpt_device, present), false);

static const field doc_f[] = {
    SUB(rpt_results, build, F_OBJ, build_t),
    SUB(rpt_results, workload, F_OBJ, workload_t),
    SUB(rpt_results, sut, F_OBJ, sut_t),
    SUB(rpt_results, host, F_OBJ, host_t),
    SUB(rpt_results, settings, F_LIST, setting_t),
    SUB(rpt_results, seeds, F_OBJ, seeds_t),
    SUB(rpt_results, result, F_OBJ, result_t),
    SUB(rpt_results, accuracy, F_OBJ, accuracy_t),
    SUB(rpt_results, counters, F_OBJ, counters_t),
    SUB(rpt_results, energy, F_OBJ, energy_t),
    SUB(rpt_results, roofline, F_OBJ, roofline_t),
    SUB(rpt_results, device, F_OBJ, device_t)};
static const table doc_t = TABLE(rpt_results, doc_f, -1, false);

/* ---- generic helpers ------------------------------------------------------------- */
static int append_copy(void *p, const table *t, const void *elem);
static anylist list_get(const char *p) {
  anylist l;
  memcpy(&l, p, sizeof l);
  return l;
}

static void list_put(char *p, const anylist *l) { memcpy(p, l, sizeof *l); }

static bool table_present(const table *t, const char *base) {
  return t->present < 0 || *(const bool *)(base + t->present);
}

static bool field_unset(const field *f, const char *p);

static bool table_empty(const table *t, const char *base) {
  if (t->present >= 0) return !table_present(t, base);
  for (size_t i = 0; i < t->count; i++)
    if (!field_unset(&t->fields[i], base + t->fields[i].off)) return false;
  return true;
}

/* True when the value at p is unset (plain numbers are always set). */
static bool field_unset(const field *f, const char *p) {
  switch (f->type) {
  case F_STR: return *(char *const *)p == NULL;
  case F_OU64: return !((const rpt_opt_u64 *)p)->set;
  case F_OF64: return !((const rpt_opt_f64 *)p)->set;
  case F_OBOOL: return !((const rpt_opt_bool *)p)->set;
  case F_OBJ: return table_empty(f->sub, p);
  case F_LIST: case F_STRLIST: case F_MAP: return list_get(p).count == 0;
  default: return false;
  }
}

static void free_table(const table *t, char *base);

static void free_field(const field *f, char *p) {
  anylist l;
  switch (f->type) {
  case F_STR: free(*(char **)p); *(char **)p = NULL; return;
  case F_OBJ: free_table(f->sub, p); return;
  case F_LIST:
    l = list_get(p);
    for (size_t i = 0; i < l.count; i++) free_table(f->sub, (char *)l.items + i * f->sub->size);
    break;
  case F_STRLIST:
    l = list_get(p);
    for (size_t i = 0; i < l.count; i++) free(((char **)l.items)[i]);
    break;
  case F_MAP:
    l = list_get(p);
    for (size_t i = 0; i < l.count; i++) {
      free(((rpt_kv *)l.items)[i].key);
      free(((rpt_kv *)l.items)[i].value);
    }
    break;
  default: return;
  }
  free(l.items);
  memset(p, 0, sizeof l);
}

static void free_table(const table *t, char *base) {
  for (size_t i = 0; i < t->count; i++) free_field(&t->fields[i], base + t->fields[i].off);
}

/* ---- life cycle and setters ---------------------------------------------------------- */
int rpt_results_init(rpt_results *r) {
  if (r == NULL) return RPT_EINVAL;
  memset(r, 0, sizeof *r);
  return RPT_OK;
}

void rpt_results_destroy(rpt_results *r) {
  if (r == NULL) return;
  free_table(&doc_t, (char *)r);
  memset(r, 0, sizeof *r);
}

int rpt_set_string(char **slot, const char *value) {
  if (slot == NULL) return RPT_EINVAL;
  char *copy = NULL;
  if (value != NULL && (copy = strdup(value)) == NULL) return RPT_ENOMEM;
  free(*slot);
  *slot = copy;
  return RPT_OK;
}

int rpt_results_set_created(rpt_results *r, time_t t) {
  char buf[32];
  if (r == NULL || rpt__utc_format(buf, sizeof buf, t, "%Y-%m-%dT%H:%M:%SZ") != RPT_OK)
    return RPT_EINVAL;
  return rpt_set_string(&r->build.created_utc, buf);
}

/* Append one element made of n strings (copies; NULL allowed) to the list at p, whose
 * items are structs of n char * (rpt_kv, rpt_setting, rpt_reason) or char *. */
static int add_strings(void *p, size_t n, const char *const s[]) {
  anylist l = list_get(p);
  void *items = rpt__grow(l.items, &l.cap, l.count + 1, n * sizeof(char *));
  if (items == NULL) return RPT_ENOMEM;
  l.items = items;
  list_put(p, &l);
  char **slot = (char **)items + l.count * n;
  for (size_t i = 0; i < n; i++) {
    if (rpt_set_string(&slot[i], s[i]) != RPT_OK) {
      for (size_t j = 0; j < i; j++) rpt_set_string(&slot[j], NULL);
      return RPT_ENOMEM;
    }
  }
  l.count++;
  list_put(p, &l);
  return RPT_OK;
}

int rpt_results_set_command(rpt_results *r, int argc, const char *const argv[]) {
  if (r == NULL || argc < 0 || (argc > 0 && argv == NULL)) return RPT_EINVAL;
  static const field command = {"command", F_STRLIST, 0, NULL};
  free_field(&command, (char *)&r->build.command);
  for (int i = 0; i < argc; i++) {
    int rc = add_strings(&r->build.command, 1, &argv[i]);
    if (rc != RPT_OK) return rc;
  }
  return RPT_OK;
}

int rpt_results_add_param(rpt_results *r, const char *key, const char *value) {
  if (r == NULL || key == NULL) return RPT_EINVAL;
  _Static_assert(sizeof(rpt_kv) == 2 * sizeof(char *), "rpt_kv is two strings");
  return add_strings(&r->workload.params, 2, (const char *const[]){key, value});
}

int rpt_results_add_worker_cpus(rpt_results *r, const char *cpus) {
  if (r == NULL) return RPT_EINVAL;
  return add_strings(&r->sut.worker_cpus, 1, &cpus);
}

int rpt_results_add_setting(rpt_results *r, const char *key, const char *value,
                            const char *source) {
  if (r == NULL || key == NULL) return RPT_EINVAL;
  _Static_assert(sizeof(rpt_setting) == 3 * sizeof(char *), "rpt_setting is 3 strings");
  return add_strings(&r->settings, 3, (const char *const[]){key, value, source});
}

int rpt_results_add_reason(rpt_results *r, const char *code, const char *text) {
  if (r == NULL || code == NULL) return RPT_EINVAL;
  _Static_assert(sizeof(rpt_reason) == 2 * sizeof(char *), "rpt_reason is 2 strings");
  return add_strings(&r->result.reasons, 2, (const char *const[]){code, text});
}

int rpt_results_add_probe(rpt_results *r, const rpt_probe *probe) {
  if (r == NULL || probe == NULL) return RPT_EINVAL;
  return append_copy(&r->result.find_peak.probes, &probe_t, probe);
}

/* Append a copy of *elem (a struct described by t) to the list at p: every F_STR field
 * is duplicated; other fields are copied as they are. */
static int append_copy(void *p, const table *t, const void *elem) {
  anylist l = list_get(p);
  void *items = rpt__grow(l.items, &l.cap, l.count + 1, t->size);
  if (items == NULL) return RPT_ENOMEM;
  l.items = items;
  list_put(p, &l);
  char *dst = (char *)items + l.count * t->size;
  memcpy(dst, elem, t->size);
  for (size_t i = 0; i < t->count; i++) {
    if (t->fields[i].type != F_STR) continue;
    char **slot = (char **)(void *)(dst + t->fields[i].off);
    const char *src = *slot;
    *slot = NULL;
    if (rpt_set_string(slot, src) != RPT_OK) {
      for (size_t j = 0; j < i; j++)
        if (t->fields[j].type == F_STR) rpt_set_string((char **)(void *)(dst + t->fields[j].off), NULL);
      return RPT_ENOMEM;
    }
  }
  l.count++;
  list_put(p, &l);
  return RPT_OK;
}

int rpt_results_add_counter(rpt_results *r, const rpt_counter *c) {
  if (r == NULL || c == NULL || c->name == NULL) return RPT_EINVAL;
  r->counters.present = true;
  return append_copy(&r->counters.items, &counter_t, c);
}

int rpt_results_add_device_window(rpt_results *r, const rpt_device_window *w) {
  if (!r || !w) return RPT_EINVAL;
  r->device.present = true;
  return append_copy(&r->device.windows, &window_t, w);
}

int rpt_results_add_energy_domain(rpt_results *r, const rpt_energy_domain *d) {
  if (r == NULL || d == NULL || d->name == NULL) return RPT_EINVAL;
  r->energy.present = true;
  return append_copy(&r->energy.domains, &domain_t, d);
}

const rpt_setting *rpt_results_find_setting(const rpt_results *r, const char *key) {
  if (r == NULL || key == NULL) return NULL;
  for (size_t i = 0; i < r->settings.count; i++)
    if (r->settings.items[i].key && strcmp(r->settings.items[i].key, key) == 0)
      return &r->settings.items[i];
  return NULL;
}

/* ---- writing ------------------------------------------------------------------------ */
static int table_to_json(const table *t, const char *base, json_object **out);

/* json-c's array of a given size; it cannot start at size 0. */
static json_object *new_array(size_t n) {
  return json_object_new_array_ext(n > 0 && n < INT_MAX ? (int)n : 1);
}

/* A scalar field's JSON value into *out (NULL = null). RPT_OK or RPT_ENOMEM. */
static int scalar_to_json(const field *f, const char *p, json_object **out) {
  json_object *v = NULL;
  bool is_null = false;
  switch (f->type) {
  case F_STR:
    is_null = *(char *const *)p == NULL;
    if (!is_null) v = json_object_new_string(*(char *const *)p);
    break;
  case F_U64: v = json_object_new_uint64(*(const uint64_t *)p); break;
  case F_BOOL: v = json_object_new_boolean(*(const bool *)p); break;
  case F_OU64:
    is_null = !((const rpt_opt_u64 *)p)->set;
    if (!is_null) v = json_object_new_uint64(((const rpt_opt_u64 *)p)->v);
    break;
  case F_OBOOL:
    is_null = !((const rpt_opt_bool *)p)->set;
    if (!is_null) v = json_object_new_boolean(((const rpt_opt_bool *)p)->v);
    break;
  case F_F64: /* rpt__json_double gives NULL only for non-finite values */
    is_null = true;
    v = rpt__json_double(*(const double *)p);
    break;
  case F_OF64:
    is_null = true;
    if (((const rpt_opt_f64 *)p)->set) v = rpt__json_double(((const rpt_opt_f64 *)p)->v);
    break;
  default: return RPT_EINVAL;
  }
  *out = v;
  return v == NULL && !is_null ? RPT_ENOMEM : RPT_OK;
}

static const field string_field = {"", F_STR, 0, NULL};

/* Item i of a list field as JSON into *e; *key is its key for F_MAP, else NULL. */
static int item_to_json(const field *f, const anylist *l, size_t i, const char **key,
                        json_object **e) {
  *key = NULL;
  if (f->type == F_LIST) return table_to_json(f->sub, (const char *)l->items + i * f->sub->size, e);
  if (f->type == F_STRLIST)
    return scalar_to_json(&string_field, (const char *)((char **)l->items + i), e);
  const rpt_kv *kv = (const rpt_kv *)l->items + i;
  *key = kv->key;
  return scalar_to_json(&string_field, (const char *)&kv->value, e);
}

/* A list field (F_LIST, F_STRLIST, F_MAP) as a JSON array or object. */
static int list_to_json(const field *f, const char *p, json_object **out) {
  anylist l = list_get(p);
  json_object *v = f->type == F_MAP ? json_object_new_object() : new_array(l.count);
  if (v == NULL) return RPT_ENOMEM;
  for (size_t i = 0; i < l.count; i++) {
    json_object *e = NULL;
    const char *key;
    int rc = item_to_json(f, &l, i, &key, &e);
    if (rc == RPT_OK && (key ? json_object_object_add(v, key, e) : json_object_array_add(v, e)))
      rc = RPT_ENOMEM;
    if (rc != RPT_OK) {
      json_object_put(e);
      json_object_put(v);
      return RPT_ENOMEM;
    }
  }
  *out = v;
  return RPT_OK;
}

static int field_to_json(const field *f, const char *p, json_object **out) {
  *out = NULL;
  switch (f->type) {
  case F_OBJ: return table_to_json(f->sub, p, out);
  case F_LIST: case F_STRLIST: case F_MAP: return list_to_json(f, p, out);
  default: return scalar_to_json(f, p, out);
  }
}

/* Add every field of t at base to the object o. RPT_OK or RPT_ENOMEM. */
static int fields_to_json(const table *t, const char *base, json_object *o) {
  for (size_t i = 0; i < t->count; i++) {
    const field *f = &t->fields[i];
    json_object *v;
    if (field_to_json(f, base + f->off, &v) != RPT_OK) return RPT_ENOMEM;
    if (json_object_object_add(o, f->name, v) != 0) {
      json_object_put(v);
      return RPT_ENOMEM;
    }
  }
  return RPT_OK;
}

static int table_to_json(const table *t, const char *base, json_object **out) {
  *out = NULL;
  if (!table_present(t, base) || (t->null_empty && table_empty(t, base))) return RPT_OK;
  json_object *o = json_object_new_object();
  if (o == NULL) return RPT_ENOMEM;
  if (fields_to_json(t, base, o) != RPT_OK) {
    json_object_put(o);
    return RPT_ENOMEM;
  }
  *out = o;
  return RPT_OK;
}

json_object *rpt_results_to_json(const rpt_results *r) {
  if (r == NULL) return NULL;
  json_object *doc = json_object_new_object();
  if (doc == NULL) return NULL;
  if (json_object_object_add(doc, "schema", json_object_new_string(RPT_SCHEMA_NAME)) ||
      json_object_object_add(doc, "schema_version", json_object_new_int(RPT_SCHEMA_VERSION)) ||
      fields_to_json(&doc_t, (const char *)r, doc) != RPT_OK) {
    json_object_put(doc);
    return NULL;
  }
  return doc;
}

int rpt__accuracy_json(const rpt_accuracy *a, json_object **out) {
  return table_to_json(&accuracy_t, (const char *)a, out);
}

int rpt_results_write_json(const char *path, const rpt_results *r, char *err,
                           size_t errlen) {
  if (path == NULL || r == NULL) return rpt__errf(err, errlen, RPT_EINVAL, "no path or results");
  json_object *doc = rpt_results_to_json(r);
  if (doc == NULL) return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", path);
  int rc = rpt__json_write_file(path, doc, err, errlen);
  json_object_put(doc);
  return rc;
}

/* ---- reading ------------------------------------------------------------------------ */
typedef struct reader {
  const char *name;   /* the file, for messages */
  char path[200];     /* dotted field path of the current object */
  char *err;
  size_t errlen;
} reader;

static int read_fail(reader *c, const char *key, int status, const char *fmt, ...)
    RPT__PRINTF(4, 5);

static int read_fail(reader *c, const char *key, int status, const char *fmt, ...) {
  char why[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  return rpt__errf(c->err, c->errlen, status, "%s: field '%s%s%s': %s", c->name, c->path,
                   c->path[0] ? "." : "", key, why);
}

static const char *jtype(json_object *v) {
  return json_type_to_name(json_object_get_type(v));
}

static int wrong_type(reader *c, const char *key, const char *want, json_object *v) {
  return read_fail(c, key, RPT_EFORMAT, "expected %s, found %s", want, jtype(v));
}

static bool is_number(json_object *v) {
  return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static int read_u64(reader *c, const char *key, json_object *v, uint64_t *out) {
  if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
    return wrong_type(c, key, "an unsigned integer", v);
  *out = json_object_get_uint64(v);
  return RPT_OK;
}

static int read_table(reader *c, const table *t, char *base, json_object *o);

/* Descend into key (or key[index] when index >= 0) for messages; returns old length. */
static size_t path_push(reader *c, const char *key, long index) {
  size_t old = strlen(c->path);
  if (index < 0)
    snprintf(c->path + old, sizeof c->path - old, "%s%s", old ? "." : "", key);
  else
    snprintf(c->path + old, sizeof c->path - old, "%s%s[%ld]", old ? "." : "", key, index);
  return old;
}

static int read_nested(reader *c, const field *f, char *p, json_object *v, long index) {
  size_t old = path_push(c, f->name, index);
  int rc = read_table(c, f->sub, p, v);
  c->path[old] = '\0';
  return rc;
}

static int read_list(reader *c, const field *f, char *p, json_object *v) {
  if (!json_object_is_type(v, json_type_array)) return wrong_type(c, f->name, "an array", v);
  size_t n = json_object_array_length(v);
  bool strs = f->type == F_STRLIST;
  size_t elem = strs ? sizeof(char *) : f->sub->size;
  anylist l = {0, n, n ? calloc(n, elem) : NULL};
  if (n && l.items == NULL) return RPT_ENOMEM;
  list_put(p, &l); /* owned by *p from here, freed with it */
  for (size_t i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(v, i);
    char *slot = (char *)l.items + i * elem;
    int rc;
    if (strs && e != NULL && !json_object_is_type(e, json_type_string))
      rc = wrong_type(c, f->name, "an array of strings", e);
    else if (strs)
      rc = rpt_set_string((char **)slot, e ? json_object_get_string(e) : NULL);
    else if (!json_object_is_type(e, json_type_object))
      rc = wrong_type(c, f->name, "an array of objects", e);
    else
      rc = read_nested(c, f, slot, e, (long)i);
    l.count = i + 1; /* free what was read, even on failure */
    list_put(p, &l);
    if (rc != RPT_OK) return rc;
  }
  return RPT_OK;
}

static int read_map(reader *c, const field *f, char *p, json_object *v) {
  if (!json_object_is_type(v, json_type_object)) return wrong_type(c, f->name, "an object", v);
  json_object_object_foreach((json_object *)v, key, val) {
    if (val != NULL && !json_object_is_type(val, json_type_string))
      return wrong_type(c, f->name, "an object of strings", val);
    const char *kv[2] = {key, val ? json_object_get_string(val) : NULL};
    if (add_strings(p, 2, kv) != RPT_OK) return RPT_ENOMEM;
  }
  return RPT_OK;
}

/* Optional values: absent or null leaves them unset. */
static int read_optional(reader *c, const field *f, char *p, json_object *v) {
  switch (f->type) {
  case F_STR:
    if (!json_object_is_type(v, json_type_string)) return wrong_type(c, f->name, "a string", v);
    return rpt_set_string((char **)p, json_object_get_string(v));
  case F_OU64: {
    uint64_t x = 0;
    int rc = read_u64(c, f->name, v, &x);
    if (rc == RPT_OK) *(rpt_opt_u64 *)p = rpt_u64(x);
    return rc;
  }
  case F_OF64:
    if (!is_number(v)) return wrong_type(c, f->name, "a number", v);
    *(rpt_opt_f64 *)p = rpt_f64(json_object_get_double(v));
    return RPT_OK;
  case F_OBOOL:
    if (!json_object_is_type(v, json_type_boolean))
      return wrong_type(c, f->name, "true or false", v);
    *(rpt_opt_bool *)p = rpt_bool(json_object_get_boolean(v));
    return RPT_OK;
  case F_LIST: case F_STRLIST: return read_list(c, f, p, v);
  case F_MAP: return read_map(c, f, p, v);
  default: return RPT_EINVAL;
  }
}

/* Required values: always written, so absent is an error (never a silent 0). */
static int read_required(reader *c, const field *f, char *p, json_object *v) {
  switch (f->type) {
  case F_U64: return read_u64(c, f->name, v, (uint64_t *)p);
  case F_F64:
    if (v == NULL) return *(double *)p = (double)NAN, RPT_OK; /* written for NaN */
    if (!is_number(v)) return wrong_type(c, f->name, "a number", v);
    *(double *)p = json_object_get_double(v);
    return RPT_OK;
  case F_BOOL:
    if (!json_object_is_type(v, json_type_boolean))
      return wrong_type(c, f->name, "true or false", v);
    *(bool *)p = json_object_get_boolean(v);
    return RPT_OK;
  default: return RPT_EINVAL;
  }
}

static int read_field(reader *c, const field *f, char *p, json_object *o) {
  json_object *v = NULL;
  bool exists = json_object_object_get_ex(o, f->name, &v);
  bool required = f->type == F_U64 || f->type == F_F64 || f->type == F_BOOL;
  if (f->type == F_OBJ) {
    bool optional = f->sub->present >= 0 || f->sub->null_empty;
    if (v == NULL && optional) return RPT_OK;
    if (v == NULL) return read_fail(c, f->name, RPT_EFORMAT, exists ? "is null" : "is missing");
    if (!json_object_is_type(v, json_type_object)) return wrong_type(c, f->name, "an object", v);
    return read_nested(c, f, p, v, -1);
  }
  if (required && !exists) return read_fail(c, f->name, RPT_EFORMAT, "is missing");
  if (required) return read_required(c, f, p, v);
  return v == NULL ? RPT_OK : read_optional(c, f, p, v);
}

static int read_table(reader *c, const table *t, char *base, json_object *o) {
  if (t->present >= 0) *(bool *)(base + t->present) = true;
  for (size_t i = 0; i < t->count; i++) {
    const field *f = &t->fields[i];
    int rc = read_field(c, f, base + f->off, o);
    if (rc == RPT_ENOMEM) return rpt__errf(c->err, c->errlen, rc, "%s: out of memory", c->name);
    if (rc != RPT_OK) return rc;
  }
  return RPT_OK;
}

static int check_schema(reader *c, json_object *doc) {
  json_object *v = NULL;
  if (!json_object_object_get_ex(doc, "schema", &v) || !json_object_is_type(v, json_type_string))
    return read_fail(c, "schema", RPT_ESCHEMA,
                     "missing or not a string; this is not an mlsysbench results file");
  if (strcmp(json_object_get_string(v), RPT_SCHEMA_NAME) != 0)
    return read_fail(c, "schema", RPT_ESCHEMA, "\"%s\" is not \"%s\"",
                     json_object_get_string(v), RPT_SCHEMA_NAME);
  if (!json_object_object_get_ex(doc, "schema_version", &v) ||
      !json_object_is_type(v, json_type_int))
    return read_fail(c, "schema_version", RPT_ESCHEMA, "missing or not an integer");
  int64_t version = json_object_get_int64(v);
  if (version > RPT_SCHEMA_VERSION)
    return read_fail(c, "schema_version", RPT_ESCHEMA,
                     "version %lld is newer than this mlsysbench reads (%d); "
                     "use a newer mlsysbench",
                     (long long)version, RPT_SCHEMA_VERSION);
  if (version < 1)
    return read_fail(c, "schema_version", RPT_ESCHEMA, "%lld is not a valid version",
                     (long long)version);
  return RPT_OK;
}

int rpt_results_from_json(const json_object *cdoc, const char *name, rpt_results *out,
                          char *err, size_t errlen) {
  if (out == NULL) return rpt__errf(err, errlen, RPT_EINVAL, "no results to fill");
  rpt_results_init(out);
  json_object *doc = (json_object *)cdoc; /* json-c getters take non-const */
  reader c = {name ? name : "results", "", err, errlen};
  if (!json_object_is_type(doc, json_type_object))
    return rpt__errf(err, errlen, RPT_EFORMAT, "%s: not a JSON object", c.name);
  int rc = check_schema(&c, doc);
  if (rc == RPT_OK) rc = read_table(&c, &doc_t, (char *)out, doc);
  if (rc != RPT_OK) rpt_results_destroy(out);
  return rc;
}

/* The whole file into a NUL-terminated buffer the caller frees. */
static int slurp(const char *path, char **text, size_t *len, char *err, size_t errlen) {
  FILE *f = rpt__fopen(path, "rb", err, errlen);
  if (f == NULL) return RPT_EIO;
  char *buf = NULL;
  size_t cap = 0, n = 0, got;
  do {
    char *p = rpt__grow(buf, &cap, n + 65536, 1);
    if (p == NULL) {
      free(buf);
      fclose(f);
      return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", path);
    }
    buf = p;
    n += got = fread(buf + n, 1, cap - n - 1, f);
  } while (got > 0);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return rpt__errf(err, errlen, RPT_EIO, "%s: cannot read", path);
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return RPT_OK;
}

static int line_of(const char *text, size_t offset) {
  int line = 1;
  for (size_t i = 0; i < offset && text[i]; i++) line += text[i] == '\n';
  return line;
}

int rpt_results_read_json(const char *path, rpt_results *out, char *err, size_t errlen) {
  if (path == NULL || out == NULL) return rpt__errf(err, errlen, RPT_EINVAL, "no path or results");
  rpt_results_init(out);
  char *text = NULL;
  size_t len = 0;
  int rc = slurp(path, &text, &len, err, errlen);
  if (rc != RPT_OK) return rc;
  json_tokener *tok = json_tokener_new();
  if (tok == NULL) {
    free(text);
    return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", path);
  }
  json_object *doc = json_tokener_parse_ex(tok, text, (int)len);
  enum json_tokener_error jerr = json_tokener_get_error(tok);
  size_t end = json_tokener_get_parse_end(tok);
  if (doc == NULL || jerr != json_tokener_success) {
    if (jerr == json_tokener_continue) jerr = json_tokener_error_parse_eof;
    rc = rpt__errf(err, errlen, RPT_EFORMAT, "%s:%d: not valid JSON: %s", path,
                   line_of(text, end), json_tokener_error_desc(jerr));
  } else if (text[end + strspn(text + end, " \t\r\n")] != '\0') {
    rc = rpt__errf(err, errlen, RPT_EFORMAT, "%s:%d: text after the JSON document", path,
                   line_of(text, end));
  } else {
    rc = rpt_results_from_json(doc, path, out, err, errlen);
  }
  json_object_put(doc);
  json_tokener_free(tok);
  free(text);
  return rc;
}
