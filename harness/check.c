/*
 * harness/check.c - the submission checker (mb_check_bundle, see harness/submit.h):
 * the bundle's structure and signature (reports/bundle.c), then, per run, every
 * headline figure of results.json recomputed from samples.csv with loadgen's own
 * statistics and validity rules (lg_result_recompute), seeds against settings, and the
 * leaderboard row of each run.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "harness/harness.h"
#include "harness/submit.h"
#include "reports/samples.h"

/* Where the problems of one run go. */
typedef struct mb_chk {
  rpt_problems *p;
  char file[160];        /* "runs/<name>/results.json" */
} mb_chk;

/* Remove every "dir/" from msg, so messages name paths inside the bundle. */
static void mb_strip_dir(char *msg, const char *dir) {
  size_t n = strlen(dir);
  for (char *s; (s = strstr(msg, dir)) != NULL && s[n] == '/';)
    memmove(s, s + n + 1, strlen(s + n + 1) + 1);
}

static void mb_inconsistent(mb_chk *c, const char *key, const char *claimed,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void mb_inconsistent(mb_chk *c, const char *key, const char *claimed,
                            const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  rpt_problems_add(c->p, RPT_PROBLEM_INCONSISTENT, c->file, key, claimed, "%s", what);
}

static void mb_cmp_u64(mb_chk *c, const char *key, uint64_t claimed, uint64_t derived) {
  char text[32];
  if (claimed == derived) return;
  snprintf(text, sizeof text, "%llu", (unsigned long long)claimed);
  mb_inconsistent(c, key, text, "samples.csv and the settings give %llu",
                  (unsigned long long)derived);
}

static void mb_cmp_opt_u64(mb_chk *c, const char *key, rpt_opt_u64 claimed, uint64_t derived) {
  if (!claimed.set)
    mb_inconsistent(c, key, NULL, "missing; samples.csv and the settings give %llu",
                    (unsigned long long)derived);
  else
    mb_cmp_u64(c, key, claimed.v, derived);
}

/* Doubles round-trip exactly through results.json; the tolerance only absorbs the
 * order of floating-point sums. */
static void mb_cmp_f64(mb_chk *c, const char *key, rpt_opt_f64 claimed, double derived) {
  char text[40];
  if (!isfinite(derived) && !claimed.set) return;
  if (claimed.set && (claimed.v == derived ||
                      fabs(claimed.v - derived) <= 1e-9 * fmax(fabs(claimed.v), fabs(derived))))
    return;
  snprintf(text, sizeof text, "%.17g", claimed.v);
  mb_inconsistent(c, key, claimed.set ? text : NULL, "%ssamples.csv and the settings give %.17g",
                  claimed.set ? "" : "missing; ", derived);
}

static void mb_cmp_bool(mb_chk *c, const char *key, rpt_opt_bool claimed, bool derived) {
  if (claimed.set && claimed.v == derived) return;
  mb_inconsistent(c, key, claimed.set ? (claimed.v ? "true" : "false") : NULL,
                  "%ssamples.csv and the settings give %s", claimed.set ? "" : "missing; ",
                  derived ? "true" : "false");
}

static void mb_cmp_latency(mb_chk *c, const char *block, const rpt_latency *claimed,
                           const lg_latency_stats *d) {
  char key[96];
#define MB_CMP_LAT_(field)                                                        \
  snprintf(key, sizeof key, "%s.%s", block, #field);                              \
  mb_cmp_u64(c, key, claimed->present ? claimed->field : 0, d->field);
  MB_CMP_LAT_(count) MB_CMP_LAT_(min_ns) MB_CMP_LAT_(max_ns) MB_CMP_LAT_(p50_ns)
  MB_CMP_LAT_(p90_ns) MB_CMP_LAT_(p95_ns) MB_CMP_LAT_(p97_ns) MB_CMP_LAT_(p99_ns)
  MB_CMP_LAT_(p999_ns)
#undef MB_CMP_LAT_
  if (d->count) {
    snprintf(key, sizeof key, "%s.mean_ns", block);
    mb_cmp_f64(c, key, claimed->present ? rpt_f64(claimed->mean_ns) : (rpt_opt_f64){0},
               d->mean_ns);
  }
}

/* lg_settings from results.json's settings list; false (with problems) when they do
 * not make a valid test. */
static bool mb_settings_of(mb_chk *c, const rpt_results *r, lg_settings *s) {
  lg_scenario sc;
  char err[300];
  if (!r->result.scenario || lg_scenario_parse(r->result.scenario, &sc)) {
    mb_inconsistent(c, "result.scenario", r->result.scenario, "not a scenario");
    return false;
  }
  lg_settings_default(s, sc);
  bool ok = true;
  for (size_t i = 0; i < r->settings.count; i++) {
    const rpt_setting *st = &r->settings.items[i];
    if (lg_settings_set_field(s, st->key, st->value, err, sizeof err) == LG_OK) continue;
    char key[96];
    snprintf(key, sizeof key, "settings.%s", st->key);
    mb_inconsistent(c, key, st->value, "%s", err);
    ok = false;
  }
  if (s->scenario != sc) {
    mb_inconsistent(c, "settings.scenario", lg_scenario_name(s->scenario),
                    "result.scenario says %s", lg_scenario_name(sc));
    ok = false;
  }
  if (ok && lg_settings_validate(s, err, sizeof err)) {
    mb_inconsistent(c, "settings", NULL, "not a valid test: %s", err);
    ok = false;
  }
  return ok;
}

static void mb_check_seed(mb_chk *c, const char *name, rpt_opt_u64 claimed, uint64_t used) {
  char key[64], text[32];
  snprintf(key, sizeof key, "seeds.%s", name);
  snprintf(text, sizeof text, "%llu", (unsigned long long)claimed.v);
  if (!claimed.set)
    mb_inconsistent(c, key, NULL, "missing; the settings say %llu", (unsigned long long)used);
  else if (claimed.v != used)
    mb_inconsistent(c, key, text, "the run's settings say %s = %llu", name,
                    (unsigned long long)used);
}

static void mb_check_seeds(mb_chk *c, const rpt_results *r, const lg_settings *s) {
  mb_check_seed(c, "qsl_rng_seed", r->seeds.qsl_rng_seed, s->qsl_rng_seed);
  mb_check_seed(c, "sample_index_rng_seed", r->seeds.sample_index_rng_seed,
                s->sample_index_rng_seed);
  mb_check_seed(c, "schedule_rng_seed", r->seeds.schedule_rng_seed, s->schedule_rng_seed);
  mb_check_seed(c, "accuracy_log_rng_seed", r->seeds.accuracy_log_rng_seed,
                s->accuracy_log_rng_seed);
}

/* The text of reason `code` in results.json, or NULL when it is not listed. */
static const char *mb_reason_text(const rpt_results *r, const char *code) {
  for (size_t i = 0; i < r->result.reasons.count; i++)
    if (!strcmp(r->result.reasons.items[i].code, code))
      return r->result.reasons.items[i].text ? r->result.reasons.items[i].text : "";
  return NULL;
}

static bool mb_has_reason(const rpt_results *r, const char *code) {
  return mb_reason_text(r, code) != NULL;
}

static void mb_check_reasons(mb_chk *c, const rpt_results *r, const lg_result *d) {
  for (size_t i = 0; i < d->reason_count; i++)
    if (!mb_has_reason(r, lg_reason_name(d->reasons[i])))
      mb_inconsistent(c, "result.reasons", NULL, "does not list '%s' (%s), which samples.csv "
                      "and the settings give", lg_reason_name(d->reasons[i]), d->reason_text[i]);
  for (size_t i = 0; i < r->result.reasons.count; i++) {
    bool found = false;
    for (size_t j = 0; j < d->reason_count; j++)
      found |= !strcmp(r->result.reasons.items[i].code, lg_reason_name(d->reasons[j]));
    if (!found)
      mb_inconsistent(c, "result.reasons", r->result.reasons.items[i].code, "samples.csv and "
                      "the settings do not give this reason");
  }
}

/* The metric, validity and checks of a performance or find-peak run. */
static void mb_check_validity(mb_chk *c, const rpt_results *r, const lg_result *d) {
  const rpt_run_result *o = &r->result;
  mb_cmp_bool(c, "result.valid", o->valid, d->valid);
  mb_check_reasons(c, r, d);
  mb_cmp_opt_u64(c, "result.durations.duration_ns", o->durations.duration_ns, d->duration_ns);
  mb_cmp_opt_u64(c, "result.counts.min_queries_required", o->counts.min_queries_required,
                 d->min_queries_required);
  mb_cmp_opt_u64(c, "result.counts.min_samples_required", o->counts.min_samples_required,
                 d->min_samples_required);
  mb_cmp_bool(c, "result.checks.min_duration_met", o->checks.min_duration_met, d->min_duration_met);
  mb_cmp_bool(c, "result.checks.min_queries_met", o->checks.min_queries_met, d->min_queries_met);
  mb_cmp_bool(c, "result.checks.min_samples_met", o->checks.min_samples_met, d->min_samples_met);
  mb_cmp_f64(c, "result.metric.value", o->metric.value,
             d->mode == LG_MODE_FIND_PEAK ? d->peak_qps : d->metric);
  if (d->metric_ci_method) {
    mb_cmp_f64(c, "result.metric.ci_low", o->metric.ci_low, d->metric_ci_low);
    mb_cmp_f64(c, "result.metric.ci_high", o->metric.ci_high, d->metric_ci_high);
  }
  if (d->scenario == LG_SERVER) {
    mb_cmp_bool(c, "result.checks.latency_bound_met", o->checks.latency_bound_met,
                d->latency_bound_met);
    mb_cmp_opt_u64(c, "result.early_stopping.overlatency_count",
                   o->early_stopping.overlatency_count, d->es_overlatency_count);
  }
  if (d->scenario != LG_OFFLINE) {
    mb_cmp_bool(c, "result.checks.early_stopping_met", o->checks.early_stopping_met,
                d->early_stopping_met);
    mb_cmp_opt_u64(c, "result.checks.latency_at_percentile_ns", o->checks.latency_at_percentile_ns,
                   d->latency_at_percentile_ns);
    mb_cmp_opt_u64(c, "result.early_stopping.min_queries", o->early_stopping.min_queries,
                   d->es_min_queries);
  }
}

static void mb_check_counts(mb_chk *c, const rpt_results *r, const lg_result *d) {
  const rpt_run_result *o = &r->result;
  mb_cmp_u64(c, "result.counts.samples_issued", o->counts.samples_issued, d->samples_issued);
  mb_cmp_u64(c, "result.counts.samples_completed", o->counts.samples_completed,
             d->samples_completed);
  mb_cmp_u64(c, "result.counts.samples_lost", o->counts.samples_lost, d->samples_lost);
  mb_cmp_opt_u64(c, "result.durations.last_issue_ns", o->durations.last_issue_ns, d->last_issue_ns);
  mb_cmp_opt_u64(c, "result.durations.last_scheduled_ns", o->durations.last_scheduled_ns,
                 d->last_scheduled_ns);
  mb_cmp_opt_u64(c, "result.durations.last_completion_ns", o->durations.last_completion_ns,
                 d->last_completion_ns);
  mb_cmp_latency(c, "result.latency", &o->latency, &d->latency);
  mb_cmp_latency(c, "result.issue_delay", &o->issue_delay, &d->issue_delay);
  if (d->scenario == LG_MULTI_STREAM)
    mb_cmp_latency(c, "result.query_latency", &o->query_latency, &d->query_latency);
  if (d->last_completion_ns) {
    mb_cmp_f64(c, "result.samples_per_s", o->samples_per_s, d->samples_per_s);
    mb_cmp_f64(c, "result.queries_per_s", o->queries_per_s, d->queries_per_s);
  }
  if (d->tokens.enabled) {
    mb_cmp_u64(c, "result.tokens.tokens", o->tokens.tokens, d->tokens.tokens);
    mb_cmp_latency(c, "result.tokens.ttft", &o->tokens.ttft, &d->tokens.ttft);
    mb_cmp_latency(c, "result.tokens.tpot", &o->tokens.tpot, &d->tokens.tpot);
  }
}

/* The query count the scenario implies for n samples; 0 when it does not fix one. */
static uint64_t mb_expected_queries(const lg_settings *s, uint64_t n) {
  if (s->scenario == LG_SINGLE_STREAM) return n;
  if (s->scenario == LG_MULTI_STREAM) return n / s->multi_stream_samples_per_query;
  if (s->scenario == LG_SERVER && !s->server_coalesce_queries) return n;
  return 0;
}

/* Token records from samples.csv's token columns when the run measured token
 * latencies (caller frees); NULL otherwise or when out of memory. */
static lg_token_record *mb_token_records(const lg_settings *s, const rpt_sample *rows, size_t n) {
  lg_token_record *tok = s->use_token_latencies ? calloc(n ? n : 1, sizeof *tok) : NULL;
  for (size_t i = 0; tok && i < n; i++)
    tok[i] = (lg_token_record){rows[i].first_token_ns, rows[i].n_tokens};
  return tok;
}

/* Records from samples.csv, then the recomputed result into *d. */
static int mb_recompute(mb_chk *c, const rpt_results *r, lg_settings *s, const rpt_sample *rows,
                        size_t n, lg_result *d) {
  lg_record *rec = calloc(n ? n : 1, sizeof *rec);
  if (rec == NULL) return MB_SUBMIT_ERROR;
  for (size_t i = 0; i < n; i++) {
    rec[i].scheduled_ns = rows[i].scheduled_ns;
    rec[i].issued_ns = rows[i].issued_ns;
    rec[i].completed_ns = rows[i].lost ? 0 : rows[i].completed_ns;
    rec[i].sample_index = rows[i].sample_index;
    lg_record_set_lost(&rec[i], rows[i].lost);
  }
  const rpt_counts *k = &r->result.counts;
  lg_replay_counts extra = {k->queries_issued, k->duplicate_completions, k->unknown_completions,
                            k->late_completions, k->oversized_responses,
                            mb_has_reason(r, lg_reason_name(LG_REASON_INTERRUPTED)),
                            mb_reason_text(r, lg_reason_name(LG_REASON_SUT_FAILED)),
                            mb_token_records(s, rows, n), r->result.tokens.first_token_errors};
  uint64_t want = mb_expected_queries(s, n);
  if (want && k->queries_issued != want) mb_cmp_u64(c, "result.counts.queries_issued",
                                                    k->queries_issued, want);
  if (s->mode == LG_MODE_FIND_PEAK) { /* judged as its confirming run */
    s->mode = LG_MODE_PERFORMANCE;
    if (r->result.find_peak.peak_qps.set) s->server_target_qps = r->result.find_peak.peak_qps.v;
  }
  int rc = lg_result_recompute(s, rec, n, &extra, d) == LG_OK ? MB_SUBMIT_OK : MB_SUBMIT_ERROR;
  if (r->result.find_peak.peak_qps.set) d->mode = LG_MODE_FIND_PEAK, d->peak_qps = s->server_target_qps;
  free(rec);
  free((void *)extra.tokens);
  return rc;
}

/* An accuracy run's headline (results.json's accuracy block): top-1 accuracy against
 * labels, ROC AUC, top-1 or token agreement with the fp32 reference, first set wins;
 * percentages for fractions. NaN when the run has none. */
static void mb_accuracy_metric(mb_entry *e, const rpt_accuracy *a) {
  const struct { const rpt_opt_f64 *v; const char *name, *unit; double scale; } m[] = {
      {&a->top1_accuracy, "top-1 accuracy", "%", 100},
      {&a->auc, "ROC AUC", "AUC", 1},
      {&a->top1_agreement, "top-1 agreement with the fp32 reference", "%", 100},
      {&a->token_agreement, "token agreement with the fp32 reference", "%", 100}};
  e->metric = NAN;
  snprintf(e->metric_name, sizeof e->metric_name, "accuracy");
  e->unit[0] = '\0';
  for (size_t i = 0; a->present && i < sizeof m / sizeof *m; i++) {
    if (!m[i].v->set || !isfinite(m[i].v->v)) continue;
    e->metric = m[i].v->v * m[i].scale;
    snprintf(e->metric_name, sizeof e->metric_name, "%s", m[i].name);
    snprintf(e->unit, sizeof e->unit, "%s", m[i].unit);
    return;
  }
}

static void mb_fill_entry(mb_entry *e, const char *run, const rpt_results *r, const lg_result *d) {
  const rpt_host *h = &r->host;
  snprintf(e->run, sizeof e->run, "%s", run);
  snprintf(e->workload, sizeof e->workload, "%s", r->workload.name ? r->workload.name : "?");
  snprintf(e->scenario, sizeof e->scenario, "%s", lg_scenario_name(d->scenario));
  snprintf(e->mode, sizeof e->mode, "%s", lg_mode_name(d->mode));
  snprintf(e->sut, sizeof e->sut, "%s", r->sut.name ? r->sut.name : "?");
  if (h->topology.cores.set)
    snprintf(e->hardware, sizeof e->hardware, "%s (%llu cores)", h->cpu_model ? h->cpu_model : "?",
             (unsigned long long)h->topology.cores.v);
  else
    snprintf(e->hardware, sizeof e->hardware, "%s", h->cpu_model ? h->cpu_model : "?");
  snprintf(e->hardware_profile, sizeof e->hardware_profile, "%s",
           h->hardware_profile ? h->hardware_profile : "");
  snprintf(e->metric_name, sizeof e->metric_name, "%s", d->metric_name ? d->metric_name : "");
  snprintf(e->unit, sizeof e->unit, "%s", d->metric_unit ? d->metric_unit : "");
  bool accuracy = d->mode == LG_MODE_ACCURACY;
  e->metric = accuracy ? NAN : d->mode == LG_MODE_FIND_PEAK ? d->peak_qps : d->metric;
  e->valid = !accuracy && d->valid;
  snprintf(e->validity, sizeof e->validity, "%s", accuracy ? "accuracy" : d->valid ? "VALID" : "INVALID");
  if (accuracy) mb_accuracy_metric(e, &r->accuracy);
  size_t n = 0;
  e->reasons[0] = '\0';
  for (size_t i = 0; i < d->reason_count && n < sizeof e->reasons; i++)
    n += (size_t)snprintf(e->reasons + n, sizeof e->reasons - n, "%s%s: %s", i ? "; " : "",
                          lg_reason_name(d->reasons[i]), d->reason_text[i]);
}

/* One run: read, recompute, compare; adds the leaderboard row when it could be read. */
static int mb_check_run(mb_verdict *v, const char *dir, const char *run) {
  mb_chk c = {&v->problems, ""};
  char path[700], err[1024];
  rpt_results r;
  rpt_sample *rows = NULL;
  size_t n = 0;
  lg_settings s;
  lg_result d;
  int rc = MB_SUBMIT_OK;
  snprintf(c.file, sizeof c.file, "runs/%s/results.json", run);
  snprintf(path, sizeof path, "%s/runs/%s/results.json", dir, run);
  if (rpt_results_read_json(path, &r, err, sizeof err) != RPT_OK) {
    mb_strip_dir(err, dir);
    rpt_problems_add(c.p, RPT_PROBLEM_MALFORMED, c.file, NULL, NULL, "%s", err);
    return MB_SUBMIT_OK;
  }
  snprintf(path, sizeof path, "%s/runs/%s/samples.csv", dir, run);
  if (rpt_samples_read(path, &rows, &n, err, sizeof err) != RPT_OK) {
    mb_strip_dir(err, dir);
    rpt_problems_add(c.p, RPT_PROBLEM_MALFORMED, path + strlen(dir) + 1, NULL, NULL, "%s", err);
    goto done;
  }
  if (!mb_settings_of(&c, &r, &s)) goto done;
  mb_check_seeds(&c, &r, &s);
  if ((rc = mb_recompute(&c, &r, &s, rows, n, &d)) != MB_SUBMIT_OK) goto done;
  mb_check_counts(&c, &r, &d);
  if (d.mode != LG_MODE_ACCURACY) mb_check_validity(&c, &r, &d);
  mb_fill_entry(&v->entries[v->n_entries++], run, &r, &d);
done:
  free(rows);
  rpt_results_destroy(&r);
  return rc;
}

/* Remove what rpt_bundle_extract wrote under dir, and dir. */
static void mb_remove_extracted(const rpt_bundle *b, const char *dir) {
  char path[700];
  for (size_t i = 0; i < b->n_files; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, b->files[i].path);
    unlink(path);
    for (char *s; (s = strrchr(path, '/')) != NULL && (size_t)(s - path) > strlen(dir);) {
      *s = '\0';
      rmdir(path); /* fails while not empty: fine */
    }
  }
  rmdir(dir);
}

static void mb_check_system(mb_verdict *v) {
  const rpt_bundle_file *f = rpt_bundle_find(&v->bundle, "system.json");
  json_object *doc = f ? json_tokener_parse((const char *)f->data) : NULL;
  if (doc == NULL || !json_object_is_type(doc, json_type_object))
    rpt_problems_add(&v->problems, RPT_PROBLEM_MALFORMED, "system.json", NULL, NULL,
                     f ? "not a JSON object" : "missing: the system description is required");
  json_object_put(doc);
}

static int mb_check_runs(mb_verdict *v) {
  const char *tmp = getenv("TMPDIR");
  char dir[512], err[1024];
  snprintf(dir, sizeof dir, "%s/mlsb-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(dir) == NULL) {
    rpt_problems_add(&v->problems, RPT_PROBLEM_MALFORMED, NULL, NULL, NULL,
                     "%s: cannot create a temporary folder: %s", dir, strerror(errno));
    return MB_SUBMIT_ERROR;
  }
  int rc = rpt_bundle_extract(&v->bundle, dir, err, sizeof err) ? MB_SUBMIT_ERROR : MB_SUBMIT_OK;
  if (rc) rpt_problems_add(&v->problems, RPT_PROBLEM_MALFORMED, NULL, NULL, NULL, "%s", err);
  for (size_t i = 0; rc == MB_SUBMIT_OK && i < v->bundle.n_runs; i++) {
    static const char *const needed[] = {"results.json", "samples.csv"};
    char path[200];
    size_t k = 0;
    for (; k < 2; k++) { /* path ends up naming the first file missing */
      snprintf(path, sizeof path, "runs/%s/%s", v->bundle.runs[i], needed[k]);
      if (!rpt_bundle_find(&v->bundle, path)) break;
    }
    if (k < 2)
      rpt_problems_add(&v->problems, RPT_PROBLEM_MALFORMED, path, NULL, NULL, "run '%s' is "
                       "listed in the manifest but has no %s", v->bundle.runs[i], needed[k]);
    else
      rc = mb_check_run(v, dir, v->bundle.runs[i]);
  }
  mb_remove_extracted(&v->bundle, dir);
  return rc;
}

int mb_check_bundle(const void *data, size_t size, const char *token, const char *token_of,
                    mb_verdict *v) {
  memset(v, 0, sizeof *v);
  rpt_problems_init(&v->problems);
  int rc = rpt_bundle_read_mem(data, size, &v->bundle, &v->problems);
  if (rc == RPT_ENOMEM) return MB_SUBMIT_ERROR;
  if (rc != RPT_OK) return MB_SUBMIT_PROBLEMS;
  if (token)
    v->signature_checked = rpt_bundle_verify_signature(&v->bundle, token, token_of, &v->problems);
  mb_check_system(v);
  if (mb_check_runs(v) != MB_SUBMIT_OK || v->problems.oom) return MB_SUBMIT_ERROR;
  return v->problems.count ? MB_SUBMIT_PROBLEMS : MB_SUBMIT_OK;
}

void mb_verdict_destroy(mb_verdict *v) {
  if (v == NULL) return;
  rpt_bundle_destroy(&v->bundle);
  rpt_problems_destroy(&v->problems);
  v->n_entries = 0;
}

static json_object *mb_entry_json(const mb_entry *e) {
  json_object *o = json_object_new_object();
  if (o == NULL) return NULL;
  json_object_object_add(o, "run", json_object_new_string(e->run));
  json_object_object_add(o, "workload", json_object_new_string(e->workload));
  json_object_object_add(o, "scenario", json_object_new_string(e->scenario));
  json_object_object_add(o, "mode", json_object_new_string(e->mode));
  json_object_object_add(o, "sut", json_object_new_string(e->sut));
  json_object_object_add(o, "hardware", json_object_new_string(e->hardware));
  json_object_object_add(o, "hardware_profile", json_object_new_string(e->hardware_profile));
  json_object_object_add(o, "metric_name", json_object_new_string(e->metric_name));
  json_object_object_add(o, "unit", json_object_new_string(e->unit));
  json_object_object_add(o, "metric", isfinite(e->metric) ? json_object_new_double(e->metric) : NULL);
  json_object_object_add(o, "validity", json_object_new_string(e->validity));
  json_object_object_add(o, "reasons", json_object_new_string(e->reasons));
  return o;
}

json_object *mb_verdict_json(const mb_verdict *v, const char *status) {
  json_object *o = json_object_new_object(), *runs = json_object_new_array();
  json_object *problems = rpt_problems_to_json(&v->problems);
  if (!o || !runs || !problems) {
    json_object_put(o), json_object_put(runs), json_object_put(problems);
    return NULL;
  }
  json_object_object_add(o, "status", json_object_new_string(status));
  json_object_object_add(o, "team", v->bundle.team ? json_object_new_string(v->bundle.team) : NULL);
  json_object_object_add(o, "manifest_sha256", v->bundle.manifest_sha256[0]
                         ? json_object_new_string(v->bundle.manifest_sha256) : NULL);
  json_object_object_add(o, "signature_verified", json_object_new_boolean(v->signature_checked));
  for (size_t i = 0; i < v->n_entries; i++) json_object_array_add(runs, mb_entry_json(&v->entries[i]));
  json_object_object_add(o, "runs", runs);
  json_object_object_add(o, "problems", problems);
  return o;
}
