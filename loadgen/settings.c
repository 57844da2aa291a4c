/*
 * loadgen/settings.c - MLPerf's default test settings and their validation.
 * Defaults are those of MLPerf LoadGen's test_settings.h (not mlperf.conf's official
 * values, which a user loads with --config mlperf.conf).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
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
  s->server_ttft_latency_ns = 100000000;
  s->server_tpot_latency_ns = 100000000;
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
  char other[96];
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
    lg_fmt(other, sizeof other, "must be 0 (unlimited) or >= min_duration_ms, which is %llu",
           (unsigned long long)s->min_duration_ms);
    key = "max_duration_ms", why = other;
    v = (double)s->max_duration_ms;
  } else if (s->max_query_count && s->max_query_count < s->min_query_count) {
    lg_fmt(other, sizeof other, "must be 0 (unlimited) or >= min_query_count, which is %llu",
           (unsigned long long)s->min_query_count);
    key = "max_query_count", why = other;
    v = (double)s->max_query_count;
  } else if (s->drain_timeout_ms < 1) {
    key = "drain_timeout_ms", why = "must be >= 1", v = (double)s->drain_timeout_ms;
  } else if (!(s->find_peak_precision >= 0.0001 && s->find_peak_precision <= 0.5)) {
    key = "find_peak_precision", why = "must be in [0.0001, 0.5]";
    v = s->find_peak_precision;
  } else if (s->until_stable != 0 && !(s->until_stable >= 0.0001 && s->until_stable <= 0.5)) {
    key = "until_stable", why = "must be 0 (off) or in [0.0001, 0.5]";
    v = s->until_stable;
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

/* ---- a printable view of every field, for reports ------------------------------------ */
typedef enum { LG_F_U64, LG_F_DOUBLE, LG_F_BOOL } lg_ftype;
typedef struct lg_field {
  const char *name;
  const char *config_key; /* the mlperf.conf key that sets it */
  lg_ftype type;
  size_t offset;
} lg_field;

#define LG_FIELD(f, key, ty) {#f, key, ty, offsetof(lg_settings, f)}
static const lg_field lg_fields[] = {
    LG_FIELD(single_stream_expected_latency_ns, "target_latency", LG_F_U64),
    LG_FIELD(single_stream_target_latency_percentile, "target_latency_percentile", LG_F_DOUBLE),
    LG_FIELD(multi_stream_expected_latency_ns, "target_latency", LG_F_U64),
    LG_FIELD(multi_stream_target_latency_percentile, "target_latency_percentile", LG_F_DOUBLE),
    LG_FIELD(multi_stream_samples_per_query, "samples_per_query", LG_F_U64),
    LG_FIELD(server_target_qps, "target_qps", LG_F_DOUBLE),
    LG_FIELD(server_target_latency_ns, "target_latency", LG_F_U64),
    LG_FIELD(server_target_latency_percentile, "target_latency_percentile", LG_F_DOUBLE),
    LG_FIELD(server_coalesce_queries, "coalesce_queries", LG_F_BOOL),
    LG_FIELD(server_max_async_queries, "max_async_queries", LG_F_U64),
    LG_FIELD(offline_expected_qps, "target_qps", LG_F_DOUBLE),
    LG_FIELD(use_token_latencies, "use_token_latencies", LG_F_BOOL),
    LG_FIELD(server_ttft_latency_ns, "ttft_latency", LG_F_U64),
    LG_FIELD(server_tpot_latency_ns, "tpot_latency", LG_F_U64),
    LG_FIELD(min_duration_ms, "min_duration", LG_F_U64),
    LG_FIELD(max_duration_ms, "max_duration", LG_F_U64),
    LG_FIELD(min_query_count, "min_query_count", LG_F_U64),
    LG_FIELD(max_query_count, "max_query_count", LG_F_U64),
    LG_FIELD(qsl_rng_seed, "qsl_rng_seed", LG_F_U64),
    LG_FIELD(sample_index_rng_seed, "sample_index_rng_seed", LG_F_U64),
    LG_FIELD(schedule_rng_seed, "schedule_rng_seed", LG_F_U64),
    LG_FIELD(accuracy_log_rng_seed, "accuracy_log_rng_seed", LG_F_U64),
    LG_FIELD(accuracy_log_probability, "accuracy_log_probability", LG_F_DOUBLE),
    LG_FIELD(accuracy_log_sampling_target, "accuracy_log_sampling_target", LG_F_U64),
    LG_FIELD(print_timestamps, "print_timestamps", LG_F_BOOL),
    LG_FIELD(performance_issue_unique, "performance_issue_unique", LG_F_BOOL),
    LG_FIELD(performance_issue_same, "performance_issue_same", LG_F_BOOL),
    LG_FIELD(performance_issue_same_index, "performance_issue_same_index", LG_F_U64),
    LG_FIELD(performance_sample_count_override, "performance_sample_count_override", LG_F_U64),
    LG_FIELD(accuracy_sample_count_override, "accuracy_sample_count_override", LG_F_U64),
    LG_FIELD(drain_timeout_ms, "drain_timeout", LG_F_U64),
    LG_FIELD(early_stopping, "early_stopping", LG_F_BOOL),
    LG_FIELD(find_peak_probe_ms, "find_peak_probe_duration", LG_F_U64),
    LG_FIELD(find_peak_precision, "find_peak_precision", LG_F_DOUBLE),
    LG_FIELD(until_stable, "until_stable", LG_F_DOUBLE),
};

bool lg_settings_field(const lg_settings *s, size_t i, const char **name,
                       const char **config_key, char *value, size_t len) {
  if (i >= sizeof lg_fields / sizeof lg_fields[0]) return false;
  const lg_field *f = &lg_fields[i];
  const char *p = (const char *)s + f->offset;
  *name = f->name;
  if (config_key) *config_key = f->config_key;
  if (f->type == LG_F_U64)
    lg_fmt(value, len, "%llu", (unsigned long long)*(const uint64_t *)(const void *)p);
  else if (f->type == LG_F_DOUBLE)
    lg_fmt(value, len, "%.17g", *(const double *)(const void *)p);
  else
    lg_fmt(value, len, "%s", *(const bool *)p ? "true" : "false");
  return true;
}

static bool lg_parse_field(const lg_field *f, const char *text, void *p) {
  char *end;
  if (f->type == LG_F_BOOL) {
    bool t = !strcmp(text, "true") || !strcmp(text, "1");
    if (!t && strcmp(text, "false") && strcmp(text, "0")) return false;
    *(bool *)p = t;
    return true;
  }
  errno = 0;
  if (f->type == LG_F_U64) {
    if (!text[0] || text[0] == '-') return false;
    *(uint64_t *)p = strtoull(text, &end, 10);
  } else {
    *(double *)p = strtod(text, &end);
  }
  return end != text && !*end && errno == 0;
}

int lg_settings_set_field(lg_settings *s, const char *name, const char *value, char *err,
                          size_t errlen) {
  if (!s || !name || !value) return LG_EINVAL;
  if (!strcmp(name, "scenario") || !strcmp(name, "mode")) {
    int rc = !strcmp(name, "mode") ? lg_mode_parse(value, &s->mode)
                                   : lg_scenario_parse(value, &s->scenario);
    if (rc) lg_fmt(err, errlen, "%s: '%s': not a known %s", name, value, name);
    return rc ? LG_ECONFIG : LG_OK;
  }
  for (size_t i = 0; i < sizeof lg_fields / sizeof lg_fields[0]; i++) {
    if (strcmp(lg_fields[i].name, name)) continue;
    if (lg_parse_field(&lg_fields[i], value, (char *)s + lg_fields[i].offset)) return LG_OK;
    lg_fmt(err, errlen, "%s: '%s': not a valid %s", name, value,
           lg_fields[i].type == LG_F_BOOL ? "true/false" : "number");
    return LG_ECONFIG;
  }
  lg_fmt(err, errlen, "%s: not a loadgen setting", name);
  return LG_ECONFIG;
}

uint64_t lg_max_duration_ns(const lg_settings *s) {
  if (s->max_duration_ms) return s->max_duration_ms * 1000000ULL;
  return s->until_stable > 0 ? LG_STABLE_MAX_MS * 1000000ULL : 0;
}
