/*
 * loadgen/settings.c - MLPerf's default test settings and their validation.
 * Defaults are those of MLPerf LoadGen's test_settings.h (not mlperf.conf's official
 * values, which a user loads with --config mlperf.conf).
 */
#include <string.h>

#include "loadgen/lg_internal.h"

void lg_settings_default(lg_settings *s, lg_scenario scenario) {
  memset(s, 0, sizeof *s);
  s->scenario = scenario;
  s->mode = LG_MODE_PERFORMANCE;
  s->single_stream_expected_latency_ns = 1000000;
  s->single_stream_target_latency_percentile = 0.90;
  s->multi_stream_expected_latency_ns = 8000000;
  s->multi_stream_target_latency_percentile = 0.99;
  s->multi_stream_samples_per_query = 8;
  s->server_target_qps = 1;
  s->server_target_latency_ns = 100000000;
  s->server_target_latency_percentile = 0.99;
  s->offline_expected_qps = 1;
  s->min_duration_ms = 10000;
  s->min_query_count = scenario == LG_MULTI_STREAM ? 662 : 100;
  s->drain_timeout_ms = 10000;
  s->early_stopping = true;
  s->find_peak_precision = 0.01;
}

double lg_settings_percentile(const lg_settings *s) {
  switch (s->scenario) {
    case LG_SINGLE_STREAM:
      return s->single_stream_target_latency_percentile;
    case LG_MULTI_STREAM:
      return s->multi_stream_target_latency_percentile;
    case LG_SERVER:
      return s->server_target_latency_percentile;
    default:
      return 0.90;
  }
}

uint64_t lg_settings_samples_per_query(const lg_settings *s) {
  return s->scenario == LG_MULTI_STREAM ? s->multi_stream_samples_per_query : 1;
}

uint64_t lg_performance_sample_count(const lg_settings *s, const lg_qsl_ops *q) {
  uint64_t n = s->performance_sample_count_override ? s->performance_sample_count_override
                                                    : q->performance_sample_count;
  if (n == 0 || n > q->total_sample_count) n = q->total_sample_count;
  return n;
}

static bool lg_bad_fraction(double p) { return !(p > 0.0 && p < 1.0); }

int lg_settings_validate(const lg_settings *s, char *err, size_t errlen) {
  const char *key = NULL, *why = NULL;
  double v = 0;
  if ((unsigned)s->scenario >= LG_SCENARIO_COUNT) {
    key = "scenario", why = "unknown scenario", v = s->scenario;
  } else if ((unsigned)s->mode >= LG_MODE_COUNT) {
    key = "mode", why = "unknown mode", v = s->mode;
  } else if (s->mode == LG_MODE_FIND_PEAK && s->scenario != LG_SERVER) {
    key = "mode", why = "find-peak needs the Server scenario", v = s->mode;
  } else if (lg_bad_fraction(s->single_stream_target_latency_percentile)) {
    key = "single_stream_target_latency_percentile", why = "must be in (0, 1)";
    v = s->single_stream_target_latency_percentile;
  } else if (lg_bad_fraction(s->multi_stream_target_latency_percentile)) {
    key = "multi_stream_target_latency_percentile", why = "must be in (0, 1)";
    v = s->multi_stream_target_latency_percentile;
  } else if (lg_bad_fraction(s->server_target_latency_percentile)) {
    key = "server_target_latency_percentile", why = "must be in (0, 1)";
    v = s->server_target_latency_percentile;
  } else if (!(s->server_target_qps > 0) || s->server_target_qps > 1e9) {
    key = "server_target_qps", why = "must be > 0 and <= 1e9", v = s->server_target_qps;
  } else if (!(s->offline_expected_qps > 0) || s->offline_expected_qps > 1e9) {
    key = "offline_expected_qps", why = "must be > 0 and <= 1e9";
    v = s->offline_expected_qps;
  } else if (s->multi_stream_samples_per_query < 1 ||
             s->multi_stream_samples_per_query > 65536) {
    key = "multi_stream_samples_per_query", why = "must be in 1..65536";
    v = (double)s->multi_stream_samples_per_query;
  } else if (s->max_duration_ms && s->max_duration_ms < s->min_duration_ms) {
    key = "max_duration_ms", why = "must be 0 (unlimited) or >= min_duration_ms";
    v = (double)s->max_duration_ms;
  } else if (s->max_query_count && s->max_query_count < s->min_query_count) {
    key = "max_query_count", why = "must be 0 (unlimited) or >= min_query_count";
    v = (double)s->max_query_count;
  } else if (s->drain_timeout_ms < 1) {
    key = "drain_timeout_ms", why = "must be >= 1", v = (double)s->drain_timeout_ms;
  } else if (!(s->find_peak_precision >= 0.0001 && s->find_peak_precision <= 0.5)) {
    key = "find_peak_precision", why = "must be in [0.0001, 0.5]";
    v = s->find_peak_precision;
  } else if (s->performance_issue_same && s->performance_issue_unique) {
    key = "performance_issue_same", why = "cannot be combined with performance_issue_unique";
    v = 1;
  } else if (!(s->accuracy_log_probability >= 0 && s->accuracy_log_probability <= 1)) {
    key = "accuracy_log_probability", why = "must be in [0, 1]";
    v = s->accuracy_log_probability;
  }
  if (!key) return LG_OK;
  lg_fmt(err, errlen, "%s: %g: %s", key, v, why);
  return LG_ECONFIG;
}
