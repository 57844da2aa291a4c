/*
 * loadgen/config.c - reads MLPerf's mlperf.conf / user.conf files unchanged.
 *
 * Each line is `model.Scenario.key = value` (tokens separated by blanks) or a `#`
 * comment. A key is looked up the way LoadGen does: model.Scenario, then *.Scenario,
 * then model.*, then *.*; within one file the last line of the same key wins. Unlike
 * LoadGen, every problem is an error naming file:line and the key: an unknown key (with
 * the closest known one suggested), a line without ` = `, a value that does not parse,
 * an out-of-range value. Keys LoadGen knows but mlsysbench does not act on are accepted
 * and reported as ignored through the note callback.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/lg_internal.h"

typedef enum { LG_T_U64, LG_T_DOUBLE, LG_T_BOOL, LG_T_MODE, LG_T_NONE } lg_ktype;

typedef struct lg_key_def {
  const char *name;
  int scope;           /* -1: the run's scenario; else the lg_scenario LoadGen uses */
  lg_ktype type;
  size_t offset;       /* into lg_settings; unused for LG_T_NONE / LG_T_MODE */
  double mult;         /* config unit -> setting unit (ms -> ns, percent -> fraction) */
  double min, max;     /* accepted range in config units */
  lg_key_info info;
} lg_key_def;

#define ANY (-1)
#define OFF(f) offsetof(lg_settings, f)
#define KEY(n, sc, ty, field, mul, lo, hi, unit, help) \
  {n, sc, ty, OFF(field), mul, lo, hi, {n, unit, help, true}}
#define IGNORED(n, sc, unit, help) \
  {n, sc, LG_T_NONE, 0, 1, -INFINITY, INFINITY, {n, unit, help, false}}
#define U64MAX 18446744073709551615.0

static const lg_key_def lg_keys[] = {
    {"mode", ANY, LG_T_MODE, 0, 1, 0, 3,
     {"mode", "", "0 submission (runs performance), 1 accuracy, 2 performance, 3 find-peak", true}},
    KEY("min_duration", ANY, LG_T_U64, min_duration_ms, 1, 0, U64MAX, "ms", "minimum test duration"),
    KEY("max_duration", ANY, LG_T_U64, max_duration_ms, 1, 0, U64MAX, "ms", "maximum test duration, 0 = unlimited"),
    KEY("min_query_count", ANY, LG_T_U64, min_query_count, 1, 1, U64MAX, "count", "minimum queries (Offline: samples)"),
    KEY("max_query_count", ANY, LG_T_U64, max_query_count, 1, 0, U64MAX, "count", "maximum queries, 0 = unlimited"),
    KEY("qsl_rng_seed", ANY, LG_T_U64, qsl_rng_seed, 1, 0, U64MAX, "seed", "seed of the loaded sample set"),
    KEY("sample_index_rng_seed", ANY, LG_T_U64, sample_index_rng_seed, 1, 0, U64MAX, "seed", "seed of the sample order"),
    KEY("schedule_rng_seed", ANY, LG_T_U64, schedule_rng_seed, 1, 0, U64MAX, "seed", "seed of Server arrival times"),
    KEY("accuracy_log_rng_seed", ANY, LG_T_U64, accuracy_log_rng_seed, 1, 0, U64MAX, "seed", "seed of accuracy-log sampling"),
    KEY("accuracy_log_probability", ANY, LG_T_DOUBLE, accuracy_log_probability, 0.01, 0, 100, "percent", "share of performance responses logged"),
    KEY("accuracy_log_sampling_target", ANY, LG_T_U64, accuracy_log_sampling_target, 1, 0, U64MAX, "count", "responses to log in performance mode"),
    KEY("print_timestamps", ANY, LG_T_BOOL, print_timestamps, 1, 0, 1, "bool", "print timestamps in the detail log"),
    KEY("performance_issue_unique", ANY, LG_T_BOOL, performance_issue_unique, 1, 0, 1, "bool", "issue each loaded sample at most once"),
    KEY("performance_issue_same", ANY, LG_T_BOOL, performance_issue_same, 1, 0, 1, "bool", "issue the same sample every time"),
    KEY("performance_issue_same_index", ANY, LG_T_U64, performance_issue_same_index, 1, 0, U64MAX, "count", "the sample for performance_issue_same"),
    KEY("performance_sample_count_override", ANY, LG_T_U64, performance_sample_count_override, 1, 0, U64MAX, "count", "loaded set size, 0 = the QSL's"),
    KEY("accuracy_sample_count_override", ANY, LG_T_U64, accuracy_sample_count_override, 1, 0, U64MAX, "count", "samples in accuracy mode, 0 = all"),
    KEY("target_latency_percentile", LG_SINGLE_STREAM, LG_T_DOUBLE, single_stream_target_latency_percentile, 0.01, 1e-9, 99.999999, "percent", "SingleStream metric percentile"),
    KEY("target_latency", LG_SINGLE_STREAM, LG_T_U64, single_stream_expected_latency_ns, 1e6, 0, 1.8e10, "ms", "SingleStream expected latency"),
    KEY("target_latency_percentile", LG_MULTI_STREAM, LG_T_DOUBLE, multi_stream_target_latency_percentile, 0.01, 1e-9, 99.999999, "percent", "MultiStream metric percentile"),
    KEY("target_latency", LG_MULTI_STREAM, LG_T_U64, multi_stream_expected_latency_ns, 1e6, 0, 1.8e10, "ms", "MultiStream expected latency"),
    KEY("samples_per_query", LG_MULTI_STREAM, LG_T_U64, multi_stream_samples_per_query, 1, 1, 65536, "count", "MultiStream samples per query"),
    IGNORED("max_async_queries", LG_MULTI_STREAM, "count", "MultiStream async queries (always 1 here, as in MLPerf rules)"),
    KEY("target_latency_percentile", LG_SERVER, LG_T_DOUBLE, server_target_latency_percentile, 0.01, 1e-9, 99.999999, "percent", "Server latency-bound percentile"),
    KEY("target_latency", LG_SERVER, LG_T_U64, server_target_latency_ns, 1e6, 0, 1.8e10, "ms", "Server latency bound"),
    KEY("target_qps", LG_SERVER, LG_T_DOUBLE, server_target_qps, 1, 1e-6, 1e9, "qps", "Server arrival rate"),
    KEY("coalesce_queries", LG_SERVER, LG_T_BOOL, server_coalesce_queries, 1, 0, 1, "bool", "issue late queries together"),
    KEY("max_async_queries", LG_SERVER, LG_T_U64, server_max_async_queries, 1, 0, U64MAX, "count", "outstanding query cap, 0 = unlimited"),
    KEY("ttft_latency", LG_SERVER, LG_T_U64, server_ttft_latency_ns, 1e6, 0, 1.8e10, "ms", "Server bound on time to first token at the percentile (use_token_latencies)"),
    KEY("tpot_latency", LG_SERVER, LG_T_U64, server_tpot_latency_ns, 1e6, 0, 1.8e10, "ms", "Server bound on time per output token at the percentile (use_token_latencies)"),
    KEY("target_qps", LG_OFFLINE, LG_T_DOUBLE, offline_expected_qps, 1, 1e-6, 1e9, "qps", "Offline expected throughput (sizes the query)"),
    IGNORED("target_latency_percentile", LG_OFFLINE, "percent", "listed in mlperf.conf for Offline; unused"),
    IGNORED("target_duration", ANY, "ms", "LoadGen's target duration (unused by LoadGen's own config reader too)"),
    IGNORED("sample_concatenate_permutation", ANY, "bool", "equal-issue mode for non-uniform inputs"),
    KEY("use_token_latencies", ANY, LG_T_BOOL, use_token_latencies, 1, 0, 1, "bool", "measure TTFT, TPOT and tokens/s; Server bounds TTFT and TPOT"),
    IGNORED("infer_token_latencies", ANY, "bool", "infer token latencies from a scaling factor"),
    IGNORED("token_latency_scaling_factor", ANY, "count", "tokens per sample for inferred token latencies"),
    IGNORED("test05", ANY, "bool", "compliance TEST05 (obsolete since v5.0)"),
    IGNORED("test05_qsl_rng_seed", ANY, "seed", "compliance TEST05 seed"),
    IGNORED("test05_sample_index_rng_seed", ANY, "seed", "compliance TEST05 seed"),
    IGNORED("test05_schedule_rng_seed", ANY, "seed", "compliance TEST05 seed"),
    /* mlsysbench additions */
    KEY("drain_timeout", ANY, LG_T_U64, drain_timeout_ms, 1, 1, 3.6e6, "ms", "mlsysbench: give up on outstanding samples after this long without a completion"),
    KEY("early_stopping", ANY, LG_T_BOOL, early_stopping, 1, 0, 1, "bool", "mlsysbench: apply MLPerf's early-stopping check"),
    KEY("find_peak_probe_duration", ANY, LG_T_U64, find_peak_probe_ms, 1, 0, 3.6e6, "ms", "mlsysbench: find-peak probe length, 0 = min_duration/4"),
    KEY("find_peak_precision", ANY, LG_T_DOUBLE, find_peak_precision, 0.01, 0.01, 50, "percent", "mlsysbench: find-peak search precision"),
    KEY("until_stable", ANY, LG_T_DOUBLE, until_stable, 0.01, 0, 50, "percent", "mlsysbench: run past the minimums until the metric's 99 % interval is within this percent, 0 = off"),
};
#define LG_NKEYS (sizeof lg_keys / sizeof lg_keys[0])

const lg_key_info *lg_config_key(size_t i, const char **scenario) {
  if (i >= LG_NKEYS) return NULL;
  if (scenario)
    *scenario = lg_keys[i].scope == ANY ? "*" : lg_scenario_name((lg_scenario)lg_keys[i].scope);
  return &lg_keys[i].info;
}

/* ---- one parsed line --------------------------------------------------------------- */
typedef struct lg_entry {
  char model[96], scenario[16], name[64], value[64];
  char where[300];
  int scenario_id; /* -1 = '*' */
} lg_entry;

typedef struct lg_entries {
  lg_entry *v;
  size_t n, cap;
} lg_entries;

static size_t lg_edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), row[80];
  if (lb >= 80) return 99;
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      diag = up;
      row[j] = best;
    }
  }
  return row[lb];
}

static const char *lg_closest_key(const char *name) {
  const char *best = NULL;
  size_t best_d = 4; /* suggest only close matches */
  for (size_t i = 0; i < LG_NKEYS; i++) {
    size_t d = lg_edit_distance(name, lg_keys[i].name);
    if (d < best_d) best_d = d, best = lg_keys[i].name;
  }
  return best;
}

static const lg_key_def *lg_find_key(const char *name, int scenario_id) {
  for (size_t i = 0; i < LG_NKEYS; i++) {
    if (strcmp(lg_keys[i].name, name)) continue;
    if (lg_keys[i].scope == ANY || scenario_id < 0 || lg_keys[i].scope == scenario_id)
      return &lg_keys[i];
  }
  return NULL;
}

static bool lg_key_known(const char *name) {
  for (size_t i = 0; i < LG_NKEYS; i++)
    if (!strcmp(lg_keys[i].name, name)) return true;
  return false;
}

/* Split "model.Scenario.name" at its last two dots. */
static int lg_split_key(const char *key, lg_entry *e, char *err, size_t errlen) {
  const char *d2 = strrchr(key, '.');
  const char *d1 = NULL;
  for (const char *p = key; d2 && p < d2; p++)
    if (*p == '.') d1 = p;
  if (!d1 || d1 == key || d2 == d1 + 1 || !d2[1]) {
    lg_fmt(err, errlen, "%s: key '%s': expected model.Scenario.key (e.g. "
           "'*.Server.target_qps'); use '*' for any model or scenario", e->where, key);
    return LG_ECONFIG;
  }
  lg_fmt(e->model, sizeof e->model, "%.*s", (int)(d1 - key), key);
  lg_fmt(e->scenario, sizeof e->scenario, "%.*s", (int)(d2 - d1 - 1), d1 + 1);
  lg_fmt(e->name, sizeof e->name, "%s", d2 + 1);
  e->scenario_id = -1;
  if (strcmp(e->scenario, "*")) {
    int found = -1;
    for (int i = 0; i < LG_SCENARIO_COUNT; i++)
      if (!strcmp(e->scenario, lg_scenario_name((lg_scenario)i))) found = i;
    if (found < 0) {
      lg_fmt(err, errlen, "%s: key '%s': unknown scenario '%s'; use SingleStream, "
             "MultiStream, Server, Offline or *", e->where, key, e->scenario);
      return LG_ECONFIG;
    }
    e->scenario_id = found;
  }
  return LG_OK;
}

/* Parse a value for a key definition into config units; false when it does not parse. */
static bool lg_parse_number(const lg_key_def *k, const char *text, double *num,
                            uint64_t *u) {
  char *end;
  errno = 0;
  if (k->type == LG_T_DOUBLE || k->type == LG_T_NONE) {
    *num = strtod(text, &end);
    *u = 0;
    return end != text && !*end && errno == 0 && isfinite(*num);
  }
  if (text[0] == '-' || text[0] == '+') return false;
  *u = strtoull(text, &end, 0);
  *num = (double)*u;
  return end != text && !*end && errno == 0;
}

static int lg_check_entry(lg_entry *e, char *err, size_t errlen) {
  const lg_key_def *k = lg_find_key(e->name, e->scenario_id);
  char full[200];
  lg_fmt(full, sizeof full, "%s.%s.%s", e->model, e->scenario, e->name);
  if (!k) {
    if (lg_key_known(e->name)) {
      lg_fmt(err, errlen, "%s: key '%s': '%s' does not apply to the %s scenario",
             e->where, full, e->name, e->scenario);
    } else {
      const char *near = lg_closest_key(e->name);
      lg_fmt(err, errlen, "%s: key '%s': unknown key '%s'%s%s%s; `mlsysbench list` shows "
             "every key", e->where, full, e->name, near ? " (did you mean '" : "",
             near ? near : "", near ? "'?)" : "");
    }
    return LG_ECONFIG;
  }
  double num;
  uint64_t u;
  if (!lg_parse_number(k, e->value, &num, &u)) {
    lg_fmt(err, errlen, "%s: key '%s': value '%s' is not %s", e->where, full, e->value,
           k->type == LG_T_DOUBLE || k->type == LG_T_NONE ? "a number"
                                                           : "a non-negative integer");
    return LG_ECONFIG;
  }
  if (num < k->min || num > k->max) {
    lg_fmt(err, errlen, "%s: key '%s': value '%s' is out of range [%g, %g] (%s)",
           e->where, full, e->value, k->min, k->max, k->info.unit);
    return LG_ECONFIG;
  }
  return LG_OK;
}

static int lg_entries_push(lg_entries *es, const lg_entry *e) {
  if (es->n == es->cap) {
    size_t cap = es->cap ? es->cap * 2 : 64;
    lg_entry *v = realloc(es->v, cap * sizeof *v);
    if (!v) return LG_ENOMEM;
    es->v = v, es->cap = cap;
  }
  es->v[es->n++] = *e;
  return LG_OK;
}

/* Parse one line into tokens; returns LG_OK with *e filled, or 1 for a blank or
 * comment line, or LG_ECONFIG. */
static int lg_parse_line(char *line, lg_entry *e, char *err, size_t errlen) {
  char *tok[4] = {0};
  int n = 0;
  for (char *p = strtok(line, " \t\r\n"); p; p = strtok(NULL, " \t\r\n")) {
    if (p[0] == '#') break;
    if (n == 3) {
      lg_fmt(err, errlen, "%s: key '%s': unexpected text '%s' after the value; put "
             "comments after '#'", e->where, tok[0], p);
      return LG_ECONFIG;
    }
    tok[n++] = p;
  }
  if (n == 0) return 1;
  if (n == 1 || strcmp(tok[1], "=") || n == 2) {
    const char *eq = strchr(tok[0], '=');
    lg_fmt(err, errlen, "%s: key '%.*s': expected 'key = value' with spaces around "
           "'='%s", e->where, eq ? (int)(eq - tok[0]) : (int)strlen(tok[0]), tok[0],
           eq ? " (MLPerf LoadGen would silently ignore this line)" : "");
    return LG_ECONFIG;
  }
  if (strlen(tok[0]) >= 160 || strlen(tok[2]) >= sizeof e->value) {
    lg_fmt(err, errlen, "%s: line too long", e->where);
    return LG_ECONFIG;
  }
  lg_fmt(e->value, sizeof e->value, "%s", tok[2]);
  int rc = lg_split_key(tok[0], e, err, errlen);
  return rc ? rc : lg_check_entry(e, err, errlen);
}

static int lg_read_file(const char *path, lg_entries *es, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    lg_fmt(err, errlen, "%s: cannot open config file: %s", path, strerror(errno));
    return LG_EIO;
  }
  char line[1024];
  int rc = LG_OK;
  for (unsigned lineno = 1; fgets(line, sizeof line, f); lineno++) {
    lg_entry e;
    lg_fmt(e.where, sizeof e.where, "%s:%u", path, lineno);
    int r = lg_parse_line(line, &e, err, errlen);
    if (r == 1) continue;
    if (r == LG_OK) r = lg_entries_push(es, &e);
    if (r != LG_OK) {
      rc = r;
      break;
    }
  }
  fclose(f);
  return rc;
}

/* LoadGen's lookup: model.Scenario > *.Scenario > model.* > *.*; last line wins. */
static const lg_entry *lg_lookup(const lg_entries *es, const char *model, int scen,
                                 const char *name) {
  const char *sname = lg_scenario_name((lg_scenario)scen);
  const char *models[4] = {model, "*", model, "*"};
  const char *scens[4] = {sname, sname, "*", "*"};
  for (int level = 0; level < 4; level++) {
    for (size_t i = es->n; i-- > 0;) {
      const lg_entry *e = &es->v[i];
      if (!strcmp(e->name, name) && !strcmp(e->model, models[level]) &&
          !strcmp(e->scenario, scens[level]))
        return e;
    }
  }
  return NULL;
}

static void lg_set_value(lg_settings *s, const lg_key_def *k, const char *text) {
  double num;
  uint64_t u;
  lg_parse_number(k, text, &num, &u);
  char *field = (char *)s + k->offset;
  switch (k->type) {
    case LG_T_U64:
      *(uint64_t *)(void *)field = k->mult == 1 ? u : (uint64_t)llround(num * k->mult);
      break;
    case LG_T_DOUBLE:
      *(double *)(void *)field = num * k->mult;
      break;
    case LG_T_BOOL:
      *(bool *)field = u != 0;
      break;
    case LG_T_MODE: /* 0 submission and 2 performance both run performance here */
      s->mode = u == 1 ? LG_MODE_ACCURACY : u == 3 ? LG_MODE_FIND_PEAK
                                                   : LG_MODE_PERFORMANCE;
      break;
    case LG_T_NONE:
      break;
  }
}

/* Apply every key definition that the entries match for (model, scenario). */
static void lg_apply_entries(lg_settings *s, const lg_entries *es, const char *model,
                             lg_config_note_fn note, void *ctx) {
  for (size_t i = 0; i < LG_NKEYS; i++) {
    const lg_key_def *k = &lg_keys[i];
    int scen = k->scope == ANY ? (int)s->scenario : k->scope;
    const lg_entry *e = lg_lookup(es, model, scen, k->name);
    if (!e) continue;
    lg_set_value(s, k, e->value);
    if (note && (k->scope == ANY || k->scope == (int)s->scenario)) {
      char full[200];
      lg_fmt(full, sizeof full, "%s.%s.%s", e->model, e->scenario, e->name);
      note(ctx, e->where, full, e->value,
           k->info.acted_on ? LG_KEY_APPLIED : LG_KEY_IGNORED);
    }
  }
}

/* Values were range-checked when read; combinations of keys (max_duration >=
 * min_duration, ...) are judged once every source is applied (lg_settings_validate),
 * so a later file or --set may still complete them. */
static int lg_apply(lg_settings *s, lg_entries *es, const char *model,
                    lg_config_note_fn note, void *ctx) {
  lg_apply_entries(s, es, model, note, ctx);
  return LG_OK;
}

int lg_config_apply_file(lg_settings *s, const char *path, const char *model,
                         lg_config_note_fn note, void *note_ctx, char *err,
                         size_t errlen) {
  lg_entries es = {0};
  if (err && errlen) err[0] = '\0';
  int rc = lg_read_file(path, &es, err, errlen);
  if (rc == LG_OK) rc = lg_apply(s, &es, model, note, note_ctx);
  free(es.v);
  return rc;
}

int lg_config_apply_string(lg_settings *s, const char *where, const char *text,
                           const char *model, lg_config_note_fn note, void *note_ctx,
                           char *err, size_t errlen) {
  lg_entry e;
  char key[160], *eq = strchr(text, '=');
  if (err && errlen) err[0] = '\0';
  lg_fmt(e.where, sizeof e.where, "%s", where);
  if (!eq) {
    lg_fmt(err, errlen, "%s: '%s': expected key=value", where, text);
    return LG_ECONFIG;
  }
  lg_fmt(key, sizeof key, "%.*s", (int)(eq - text), text);
  for (char *p = key + strlen(key); p > key && isspace((unsigned char)p[-1]);) *--p = 0;
  const char *val = eq + 1;
  while (isspace((unsigned char)*val)) val++;
  lg_fmt(e.value, sizeof e.value, "%s", val);
  if (strchr(key, '.')) {
    int rc = lg_split_key(key, &e, err, errlen);
    if (rc) return rc;
  } else {
    if (!lg_key_known(key)) return LG_ECONFIG; /* not ours: err stays empty */
    lg_fmt(e.model, sizeof e.model, "*");
    lg_fmt(e.scenario, sizeof e.scenario, "*");
    lg_fmt(e.name, sizeof e.name, "%s", key);
    e.scenario_id = -1;
  }
  int rc = lg_check_entry(&e, err, errlen);
  if (rc) return rc;
  lg_entries es = {&e, 1, 1};
  return lg_apply(s, &es, model, note, note_ctx);
}
