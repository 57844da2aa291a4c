/*
 * harness/report.c - copies a finished libloadgen test into the results model of
 * reports/ (which knows nothing of loadgen): every setting with its source, the seeds,
 * counts, statistics, the metric, the checks, early stopping and find-peak probes.
 */
#include <math.h>
#include <string.h>

#include "harness/harness.h"

void mb_copy_latency_stats(rpt_latency *to, const lg_latency_stats *from) {
  to->present = from->count > 0;
  to->count = from->count;
  to->min_ns = from->min_ns, to->max_ns = from->max_ns, to->mean_ns = from->mean_ns;
  to->p50_ns = from->p50_ns, to->p90_ns = from->p90_ns, to->p95_ns = from->p95_ns;
  to->p97_ns = from->p97_ns, to->p99_ns = from->p99_ns, to->p999_ns = from->p999_ns;
}

static void mb_fill_settings(rpt_results *r, const lg_settings *s,
                             const mb_setting_source *src, size_t n_src) {
  const char *name, *key;
  char value[64];
  rpt_results_add_setting(r, "scenario", lg_scenario_name(s->scenario), "--scenario");
  rpt_results_add_setting(r, "mode", lg_mode_name(s->mode), "default or --mode");
  for (size_t i = 0; lg_settings_field(s, i, &name, &key, value, sizeof value); i++) {
    const char *from = "default";
    for (size_t j = 0; j < n_src; j++)
      if (!strcmp(src[j].key, key)) from = src[j].where;
    rpt_results_add_setting(r, name, value, from);
  }
  r->seeds.qsl_rng_seed = rpt_u64(s->qsl_rng_seed);
  r->seeds.sample_index_rng_seed = rpt_u64(s->sample_index_rng_seed);
  r->seeds.schedule_rng_seed = rpt_u64(s->schedule_rng_seed);
  r->seeds.accuracy_log_rng_seed = rpt_u64(s->accuracy_log_rng_seed);
}

static void mb_fill_counts(rpt_run_result *o, const lg_result *lr) {
  o->counts.queries_issued = lr->queries_issued;
  o->counts.samples_issued = lr->samples_issued;
  o->counts.samples_completed = lr->samples_completed;
  o->counts.samples_lost = lr->samples_lost;
  o->counts.duplicate_completions = lr->duplicate_completions;
  o->counts.unknown_completions = lr->unknown_completions;
  o->counts.late_completions = lr->late_completions;
  o->counts.oversized_responses = lr->oversized_responses;
  o->durations.last_issue_ns = rpt_u64(lr->last_issue_ns);
  o->durations.last_scheduled_ns = rpt_u64(lr->last_scheduled_ns);
  o->durations.last_completion_ns = rpt_u64(lr->last_completion_ns);
  mb_copy_latency_stats(&o->latency, &lr->latency);
  mb_copy_latency_stats(&o->query_latency, &lr->query_latency);
  mb_copy_latency_stats(&o->issue_delay, &lr->issue_delay);
  if (lr->last_completion_ns) {
    o->samples_per_s = rpt_f64(lr->samples_per_s);
    o->queries_per_s = rpt_f64(lr->queries_per_s);
  }
}

/* Validity, metric and checks: only for performance and find-peak runs. */
static void mb_fill_validity(rpt_run_result *o, const lg_result *lr) {
  o->valid = rpt_bool(lr->valid);
  o->counts.min_queries_required = rpt_u64(lr->min_queries_required);
  o->counts.min_samples_required = rpt_u64(lr->min_samples_required);
  o->durations.duration_ns = rpt_u64(lr->duration_ns);
  rpt_set_string(&o->metric.name, lr->metric_name);
  rpt_set_string(&o->metric.unit, lr->metric_unit);
  o->metric.value = rpt_f64(lr->mode == LG_MODE_FIND_PEAK ? lr->peak_qps : lr->metric);
  bool no_peak = lr->mode == LG_MODE_FIND_PEAK && !(lr->peak_qps > 0);
  if (lr->metric_ci_method && !no_peak) { /* no valid QPS found: no interval of it */
    o->metric.ci_low = rpt_f64(lr->metric_ci_low);
    o->metric.ci_high = rpt_f64(lr->metric_ci_high);
    rpt_set_string(&o->metric.ci_method, lr->metric_ci_method);
  }
  o->checks.min_duration_met = rpt_bool(lr->min_duration_met);
  o->checks.min_queries_met = rpt_bool(lr->min_queries_met);
  o->checks.min_samples_met = rpt_bool(lr->min_samples_met);
  if (lr->scenario == LG_SERVER) {
    o->checks.latency_bound_met = rpt_bool(lr->latency_bound_met);
    o->early_stopping.overlatency_count = rpt_u64(lr->es_overlatency_count);
  }
  if (lr->scenario != LG_OFFLINE) {
    o->checks.early_stopping_met = rpt_bool(lr->early_stopping_met);
    o->checks.percentile = rpt_f64(lr->latency_percentile);
    o->checks.latency_at_percentile_ns = rpt_u64(lr->latency_at_percentile_ns);
    o->early_stopping.min_queries = rpt_u64(lr->es_min_queries);
    if (lr->es_estimate_ns) o->early_stopping.estimate_ns = rpt_u64(lr->es_estimate_ns);
  }
  if (lr->stable_target > 0) {
    o->until_stable.target = rpt_f64(lr->stable_target);
    if (isfinite(lr->stable_rel)) o->until_stable.ci_relative = rpt_f64(lr->stable_rel);
    o->until_stable.met = rpt_bool(lr->stable_met);
    o->until_stable.checks = rpt_u64(lr->stable_checks);
  }
}

/* Token latencies: statistics always, the Server bounds when they apply. */
static void mb_fill_tokens(rpt_tokens *o, const lg_result *lr, const lg_settings *s) {
  const lg_token_result *k = &lr->tokens;
  o->present = k->enabled;
  if (!k->enabled) return;
  o->tokens = k->tokens;
  if (lr->last_completion_ns) o->tokens_per_s = rpt_f64(k->tokens_per_s);
  if (k->tokens_per_s_ci_high > 0) {
    o->tokens_per_s_ci_low = rpt_f64(k->tokens_per_s_ci_low);
    o->tokens_per_s_ci_high = rpt_f64(k->tokens_per_s_ci_high);
  }
  mb_copy_latency_stats(&o->ttft, &k->ttft);
  mb_copy_latency_stats(&o->tpot, &k->tpot);
  o->percentile = rpt_f64(k->percentile);
  if (k->ttft.count) {
    o->ttft_at_percentile_ns = rpt_u64(k->ttft_at_percentile_ns);
    o->ttft_ci_low_ns = rpt_u64(k->ttft_ci_low_ns), o->ttft_ci_high_ns = rpt_u64(k->ttft_ci_high_ns);
  }
  if (k->tpot.count) {
    o->tpot_at_percentile_ns = rpt_u64(k->tpot_at_percentile_ns);
    o->tpot_ci_low_ns = rpt_u64(k->tpot_ci_low_ns), o->tpot_ci_high_ns = rpt_u64(k->tpot_ci_high_ns);
  }
  if (lr->scenario == LG_SERVER && lr->mode != LG_MODE_ACCURACY) {
    o->ttft_bound_ns = rpt_u64(s->server_ttft_latency_ns);
    o->tpot_bound_ns = rpt_u64(s->server_tpot_latency_ns);
    o->ttft_bound_met = rpt_bool(k->ttft_bound_met);
    o->tpot_bound_met = rpt_bool(k->tpot_bound_met);
    o->ttft_overlatency_count = rpt_u64(k->ttft_overlatency_count);
    o->tpot_overlatency_count = rpt_u64(k->tpot_overlatency_count);
  }
  o->missing_first_token = k->missing_first_token;
  o->missing_tokens = k->missing_tokens;
  o->first_token_errors = k->first_token_errors;
}

void mb_fill_result(rpt_results *r, const lg_test *t, const mb_setting_source *src,
                    size_t n_src) {
  const lg_result *lr = lg_test_result(t);
  const lg_settings *s = lg_test_settings(t);
  rpt_run_result *o = &r->result;
  mb_fill_settings(r, s, src, n_src);
  rpt_set_string(&o->scenario, lg_scenario_name(lr->scenario));
  rpt_set_string(&o->mode, lg_mode_name(lr->mode));
  mb_fill_counts(o, lr);
  for (size_t i = 0; i < lr->reason_count; i++)
    rpt_results_add_reason(r, lg_reason_name(lr->reasons[i]), lr->reason_text[i]);
  if (lr->mode != LG_MODE_ACCURACY) mb_fill_validity(o, lr);
  mb_fill_tokens(&o->tokens, lr, s);
  if (lr->mode == LG_MODE_FIND_PEAK) {
    o->find_peak.peak_qps = rpt_f64(lr->peak_qps);
    for (size_t i = 0; i < lr->probe_count; i++) {
      rpt_probe p = {lr->probes[i].target_qps, lr->probes[i].valid, lr->probes[i].p99_ns,
                     lr->probes[i].duration_ms};
      rpt_results_add_probe(r, &p);
    }
  }
}
