/*
 * reports/compare.c - the regression verdict between two run folders: loading and
 * cross-checking results.json and samples.csv, the comparability check, the
 * Mann-Whitney U test, bootstrap confidence intervals of relative changes (exact
 * order-statistic draws for percentiles, batch means for throughput), per-metric and
 * overall verdicts, and the table and JSON renderings. Methods: reports/compare.h.
 */
#include "reports/compare.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "reports/internal.h"
#include "reports/runfolder.h"

/* ---- names ---------------------------------------------------------------------------- */
const char *rpt_verdict_name(rpt_verdict v) {
  switch (v) {
#define RPT_VERDICT_TEXT_(name, text) \
  case RPT_VERDICT_##name:            \
    return text;
    RPT_VERDICT_MAP(RPT_VERDICT_TEXT_)
#undef RPT_VERDICT_TEXT_
  }
  return "unknown";
}

const char *rpt_overall_name(rpt_overall v) {
  switch (v) {
#define RPT_OVERALL_TEXT_(name, text) \
  case RPT_OVERALL_##name:            \
    return text;
    RPT_OVERALL_MAP(RPT_OVERALL_TEXT_)
#undef RPT_OVERALL_TEXT_
  }
  return "unknown";
}

void rpt_compare_opts_default(rpt_compare_opts *o) {
  *o = (rpt_compare_opts){.threshold = 0.02, .confidence = 0.99, .seed = 1,
                          .resamples = RPT_COMPARE_RESAMPLES, .force = false};
}

/* ---- random numbers: xoshiro256** seeded by splitmix64 ------------------------------ */
typedef struct rng { uint64_t s[4]; } rng;

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Stream `stream` of seed: independent generators per metric. */
static void rng_seed(rng *g, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03u);
  for (int i = 0; i < 4; i++) g->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *g) {
  uint64_t *s = g->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return r;
}

/* Uniform in (0, 1), never 0 or 1. */
static double rng_open01(rng *g) { return ((double)(rng_next(g) >> 11) + 0.5) * 0x1p-53; }

/* Uniform index in [0, n). */
static size_t rng_below(rng *g, size_t n) {
  size_t i = (size_t)(rng_open01(g) * (double)n);
  return i < n ? i : n - 1;
}

/* Standard normal (Box-Muller, one of the pair). */
static double rng_normal(rng *g) {
  return sqrt(-2.0 * log(rng_open01(g))) * cos(2.0 * M_PI * rng_open01(g));
}

/* Gamma(a, 1) for a >= 1 (Marsaglia and Tsang, 2000). */
static double rng_gamma(rng *g, double a) {
  double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double x = rng_normal(g), v = 1.0 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    double u = rng_open01(g);
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
  }
}

/* Beta(a, b) for a, b >= 1. */
static double rng_beta(rng *g, double a, double b) {
  double x = rng_gamma(g, a), y = rng_gamma(g, b);
  return x / (x + y);
}

/* ---- loading a run ------------------------------------------------------------------- */
static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* b - a of two clock readings as a signed double (a clock may misbehave). */
static double signed_diff(uint64_t b, uint64_t a) {
  return b >= a ? (double)(b - a) : -(double)(a - b);
}

int rpt_compare_run_set_samples(rpt_compare_run *run, const rpt_sample *rows, size_t n) {
  if (run == NULL || (rows == NULL && n > 0)) return RPT_EINVAL;
  double *lat = malloc((n ? n : 1) * sizeof *lat), *done = malloc((n ? n : 1) * sizeof *done);
  if (lat == NULL || done == NULL) {
    free(lat), free(done);
    return RPT_ENOMEM;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (rows[i].lost) continue;
    lat[k] = signed_diff(rows[i].completed_ns, rows[i].scheduled_ns);
    done[k++] = (double)rows[i].completed_ns;
  }
  qsort(lat, k, sizeof *lat, cmp_double);
  free(run->latency_ns), free(run->completed_ns);
  run->latency_ns = lat, run->completed_ns = done;
  run->n_rows = n, run->n_completed = k;
  return RPT_OK;
}

void rpt_compare_run_destroy(rpt_compare_run *run) {
  if (run == NULL) return;
  free(run->folder);
  free(run->latency_ns);
  free(run->completed_ns);
  for (int i = 0; i < RPT_COMPARE_METRICS; i++) free(run->rep_values[i]);
  rpt_results_destroy(&run->results);
  memset(run, 0, sizeof *run);
}

/* folder/name into buf; RPT_EINVAL when it does not fit. */
static int join_path(char *buf, size_t len, const char *folder, const char *name, char *err,
                     size_t errlen) {
  if ((size_t)snprintf(buf, len, "%s/%s", folder, name) < len) return RPT_OK;
  return rpt__errf(err, errlen, RPT_EINVAL, "%s: path too long", folder);
}

static int check_folder(const char *folder, char *err, size_t errlen) {
  struct stat st;
  if (stat(folder, &st) != 0)
    return rpt__errf(err, errlen, RPT_EIO, "%s: cannot open run folder: %s", folder,
                     strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return rpt__errf(err, errlen, RPT_EIO, "%s: not a run folder (not a directory)", folder);
  return RPT_OK;
}

/* samples.csv and results.json describe the same run, and something completed. */
static int check_counts(const rpt_compare_run *run, char *err, size_t errlen) {
  const rpt_counts *c = &run->results.result.counts;
  const char *d = run->folder;
  if (run->n_rows != c->samples_issued || run->n_completed != c->samples_completed)
    return rpt__errf(err, errlen, RPT_EFORMAT,
                     "%s/samples.csv: %zu rows (%zu completed), but %s/results.json says "
                     "result.counts.samples_issued %llu, samples_completed %llu: the files "
                     "are not from the same run", d, run->n_rows, run->n_completed, d,
                     (unsigned long long)c->samples_issued,
                     (unsigned long long)c->samples_completed);
  if (run->n_completed == 0)
    return rpt__errf(err, errlen, RPT_EFORMAT,
                     "%s/samples.csv: no completed samples: nothing to compare", d);
  return RPT_OK;
}

static int load_set(const char *folder, rpt_compare_run *run, char *err, size_t errlen);

int rpt_compare_run_load(const char *folder, rpt_compare_run *run, char *err, size_t errlen) {
  char path[4096];
  rpt_sample *rows = NULL;
  size_t n = 0;
  if (run == NULL) return rpt__errf(err, errlen, RPT_EINVAL, "no run");
  memset(run, 0, sizeof *run);
  if (folder == NULL) return rpt__errf(err, errlen, RPT_EINVAL, "no run folder");
  int rc = check_folder(folder, err, errlen);
  if (rc != RPT_OK) goto fail;
  if (rpt_runfolder_is_ab(folder))
    return rpt__errf(err, errlen, RPT_EIO, "%s holds two run sets, A and B: compare %s/A %s/B",
                     folder, folder, folder);
  if (rpt_runfolder_set_reps(folder) > 0) return load_set(folder, run, err, errlen);
  rc = RPT_ENOMEM;
  if ((run->folder = strdup(folder)) == NULL) goto fail_nomem;
  if ((rc = join_path(path, sizeof path, folder, "results.json", err, errlen)) != RPT_OK ||
      (rc = rpt_results_read_json(path, &run->results, err, errlen)) != RPT_OK)
    goto fail;
  if ((rc = join_path(path, sizeof path, folder, "samples.csv", err, errlen)) != RPT_OK ||
      (rc = rpt_samples_read(path, &rows, &n, err, errlen)) != RPT_OK)
    goto fail;
  if ((rc = rpt_compare_run_set_samples(run, rows, n)) != RPT_OK) goto fail_nomem;
  if ((rc = check_counts(run, err, errlen)) != RPT_OK) goto fail;
  free(rows);
  return RPT_OK;
fail_nomem:
  rpt__errf(err, errlen, rc, "%s: out of memory", folder);
fail:
  free(rows);
  rpt_compare_run_destroy(run);
  return rc;
}

/* ---- Mann-Whitney U ------------------------------------------------------------------- */
int rpt_compare_mwu(const double *base, size_t n_base, const double *new_, size_t n_new,
                    rpt_mwu *out) {
  if (base == NULL || new_ == NULL || n_base == 0 || n_new == 0 || out == NULL)
    return RPT_EINVAL;
  double rank_new = 0, ties = 0, below = 0; /* below: values ranked so far */
  size_t i = 0, j = 0;
  while (i < n_base || j < n_new) { /* one group of equal values per turn */
    double v = j >= n_new || (i < n_base && base[i] <= new_[j]) ? base[i] : new_[j];
    double cb = 0, cn = 0;
    for (; i < n_base && base[i] == v; i++) cb++;
    for (; j < n_new && new_[j] == v; j++) cn++;
    double t = cb + cn;
    rank_new += cn * (below + (t + 1) / 2); /* the group's mean rank */
    ties += t * t * t - t;
    below += t;
  }
  double n1 = (double)n_base, n2 = (double)n_new, n = n1 + n2;
  out->u = rank_new - n2 * (n2 + 1) / 2;
  double var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)));
  out->z = var > 0 ? (out->u - n1 * n2 / 2) / sqrt(var) : 0;
  out->p = var > 0 ? erfc(fabs(out->z) / M_SQRT2) : 1;
  return RPT_OK;
}

/* ---- bootstrap --------------------------------------------------------------------------- */
/* One bootstrap replicate of a run's statistic. */
typedef double (*draw_fn)(const void *ctx, rng *g);

typedef struct pct_ctx {       /* a percentile of sorted values */
  const double *sorted;
  size_t n, k;                 /* k: 1-based rank of the percentile */
} pct_ctx;

typedef struct tp_ctx {        /* throughput from completions per time window */
  const double *counts;
  size_t k;                    /* windows */
  double span_ns;              /* total length of the k windows */
} tp_ctx;

/* MLPerf's percentile: the floor(n*p)-th value (0-based), no interpolation. */
static size_t pct_index(size_t n, double p) {
  size_t i = (size_t)floor((double)n * p);
  return i < n ? i : n - 1;
}

/* The k-th smallest of n values resampled with replacement is sorted[ceil(n U) - 1]
 * with U ~ Beta(k, n - k + 1): the k-th smallest of n uniform indices. */
static double draw_percentile(const void *ctx, rng *g) {
  const pct_ctx *c = ctx;
  double u = rng_beta(g, (double)c->k, (double)(c->n - c->k + 1));
  double j = ceil((double)c->n * u) - 1;
  size_t i = j < 0 ? 0 : j >= (double)c->n ? c->n - 1 : (size_t)j;
  return c->sorted[i];
}

/* k windows drawn with replacement: completions over their total length. */
static double draw_throughput(const void *ctx, rng *g) {
  const tp_ctx *c = ctx;
  double sum = 0;
  for (size_t i = 0; i < c->k; i++) sum += c->counts[rng_below(g, c->k)];
  return sum * 1e9 / c->span_ns;
}

/* Percentile interval at `confidence` of the change new / base - 1 over `o->resamples`
 * replicate pairs, using scratch (o->resamples doubles). false when a replicate of the
 * baseline is not positive (no relative change). */
static bool bootstrap_change(draw_fn draw, const void *base, const void *new_,
                             const rpt_compare_opts *o, uint64_t stream, double *scratch,
                             double *lo, double *hi) {
  rng g;
  rng_seed(&g, o->seed, stream);
  size_t B = o->resamples;
  for (size_t b = 0; b < B; b++) {
    double x = draw(base, &g), y = draw(new_, &g);
    if (!(x > 0)) return false;
    scratch[b] = y / x - 1;
  }
  qsort(scratch, B, sizeof *scratch, cmp_double);
  double tail = (1 - o->confidence) / 2;
  size_t i = (size_t)floor(tail * (double)B), j = (size_t)ceil((1 - tail) * (double)B);
  *lo = scratch[i < B ? i : B - 1];
  *hi = scratch[j >= 1 && j <= B ? j - 1 : B - 1];
  return true;
}

/* ---- differences ------------------------------------------------------------------------ */
/* Settings that define the test (read from results.json's settings list). */
static const char *const test_settings[] = {
    "min_duration_ms",          "min_query_count",
    "server_target_qps",        "server_target_latency_ns",
    "multi_stream_samples_per_query", "offline_expected_qps",
    "qsl_rng_seed",             "sample_index_rng_seed",
    "schedule_rng_seed"};

/* Equal texts, or both numbers of equal value ("100" and "100.0"); NULL = unset. */
static bool same_value(const char *a, const char *b) {
  if (a == NULL || b == NULL) return a == b;
  if (strcmp(a, b) == 0) return true;
  char *ea, *eb;
  double x = strtod(a, &ea), y = strtod(b, &eb);
  return ea != a && eb != b && *ea == '\0' && *eb == '\0' && x == y;
}

static int add_diff(rpt_compare_difflist *l, const char *key, const char *a, const char *b) {
  rpt_compare_diff *items = rpt__grow(l->items, &l->cap, l->count + 1, sizeof *items);
  if (items == NULL) return RPT_ENOMEM;
  l->items = items;
  rpt_compare_diff *d = &items[l->count];
  d->key = strdup(key);
  d->baseline = strdup(a ? a : "(unset)");
  d->new_value = strdup(b ? b : "(unset)");
  l->count++; /* counted even when a copy failed: destroy frees the others */
  return d->key && d->baseline && d->new_value ? RPT_OK : RPT_ENOMEM;
}

static int diff_value(rpt_compare_difflist *l, const char *key, const char *a, const char *b) {
  return same_value(a, b) ? RPT_OK : add_diff(l, key, a, b);
}

static const char *param_value(const rpt_kvlist *p, const char *key) {
  for (size_t i = 0; i < p->count; i++)
    if (strcmp(p->items[i].key, key) == 0) return p->items[i].value ? p->items[i].value : "";
  return NULL;
}

/* Workload parameters: each of the baseline's against the new run's, then those only
 * the new run has. */
static int diff_params(rpt_compare_difflist *l, const rpt_kvlist *a, const rpt_kvlist *b) {
  char key[200];
  int rc = RPT_OK;
  for (size_t i = 0; rc == RPT_OK && i < a->count; i++) {
    snprintf(key, sizeof key, "workload param %s", a->items[i].key);
    rc = diff_value(l, key, a->items[i].value, param_value(b, a->items[i].key));
  }
  for (size_t i = 0; rc == RPT_OK && i < b->count; i++) {
    if (param_value(a, b->items[i].key) != NULL) continue; /* compared above */
    snprintf(key, sizeof key, "workload param %s", b->items[i].key);
    rc = add_diff(l, key, NULL, b->items[i].value);
  }
  return rc;
}

static const char *setting_value(const rpt_results *r, const char *key) {
  const rpt_setting *s = rpt_results_find_setting(r, key);
  return s ? s->value : NULL;
}

int rpt_compare_differences(const rpt_results *a, const rpt_results *b,
                            rpt_compare_difflist *l) {
  int rc = diff_value(l, "workload", a->workload.name, b->workload.name);
  if (rc == RPT_OK) rc = diff_params(l, &a->workload.params, &b->workload.params);
  if (rc == RPT_OK) rc = diff_value(l, "scenario", a->result.scenario, b->result.scenario);
  if (rc == RPT_OK) rc = diff_value(l, "mode", a->result.mode, b->result.mode);
  for (size_t i = 0; rc == RPT_OK && i < sizeof test_settings / sizeof *test_settings; i++)
    rc = diff_value(l, test_settings[i], setting_value(a, test_settings[i]),
                    setting_value(b, test_settings[i]));
  if (rc == RPT_OK)
    rc = diff_value(l, "hardware profile", a->host.hardware_profile, b->host.hardware_profile);
  if (rc == RPT_OK) rc = diff_value(l, "SUT", a->sut.name, b->sut.name);
  return rc;
}

/* ---- notes -------------------------------------------------------------------------------- */
static int note_add(rpt_strlist *l, const char *fmt, ...) RPT__PRINTF(2, 3);
static int note_add(rpt_strlist *l, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char **items = rpt__grow(l->items, &l->cap, l->count + 1, sizeof *items);
  if (items == NULL) return RPT_ENOMEM;
  l->items = items;
  if ((items[l->count] = strdup(buf)) == NULL) return RPT_ENOMEM;
  l->count++;
  return RPT_OK;
}

/* Validity and lost samples of one run ("baseline" or "new"). */
static int run_notes(rpt_strlist *l, const char *which, const rpt_results *r) {
  int rc = RPT_OK;
  const rpt_reasonlist *why = &r->result.reasons;
  if (r->result.valid.set && !r->result.valid.v)
    rc = note_add(l, "the %s run is INVALID (%s%s): its numbers may not be representative",
                  which, why->count ? why->items[0].code : "no reason given",
                  why->count > 1 ? ", ..." : "");
  if (rc == RPT_OK && r->result.counts.samples_lost > 0)
    rc = note_add(l, "the %s run lost %llu samples; they are left out of latency and "
                  "throughput", which, (unsigned long long)r->result.counts.samples_lost);
  return rc;
}

/* ---- metrics ------------------------------------------------------------------------------ */
enum { M_THROUGHPUT, M_P50, M_P90, M_P99, M_ENERGY };

static const struct metric_desc {
  const char *key, *label, *unit;
  bool lower_is_better;
  double percentile;
} metric_desc[RPT_COMPARE_METRICS] = {
    {"throughput_samples_per_s", "throughput", "samples/s", false, 0},
    {"latency_p50_ns", "p50 latency", "ns", true, 0.50},
    {"latency_p90_ns", "p90 latency", "ns", true, 0.90},
    {"latency_p99_ns", "p99 latency", "ns", true, 0.99},
    {"energy_joules_per_inference", "energy/inference", "J", true, 0},
};

static rpt_compare_metric *metric_start(rpt_comparison *c, int id, double base, double new_) {
  const struct metric_desc *d = &metric_desc[id];
  rpt_compare_metric *m = &c->metrics[c->n_metrics++];
  *m = (rpt_compare_metric){.key = d->key, .label = d->label, .unit = d->unit,
                            .lower_is_better = d->lower_is_better, .baseline = base,
                            .new_value = new_, .change = base > 0 ? new_ / base - 1 : NAN};
  return m;
}

/* Significant only when the CI excludes 0 and |change| exceeds the threshold. */
static void judge(rpt_compare_metric *m, double threshold) {
  if (!m->has_ci || !isfinite(m->change)) {
    m->verdict = RPT_VERDICT_UNTESTED;
    return;
  }
  bool up = m->ci_low > 0 && m->change > threshold;
  bool down = m->ci_high < 0 && m->change < -threshold;
  if (!up && !down) m->verdict = RPT_VERDICT_SAME;
  else m->verdict = (m->lower_is_better ? up : down) ? RPT_VERDICT_SLOWER : RPT_VERDICT_FASTER;
}

static void metric_ci(rpt_compare_metric *m, draw_fn draw, const void *base, const void *new_,
                      const rpt_compare_opts *o, int id, double *scratch) {
  m->has_ci = isfinite(m->change) &&
              bootstrap_change(draw, base, new_, o, (uint64_t)id, scratch, &m->ci_low,
                               &m->ci_high);
  if (!m->has_ci) m->note = "the baseline (or a resample of it) is 0: no relative change";
}

static void metric_latency(rpt_comparison *c, int id, const rpt_compare_run *a,
                           const rpt_compare_run *b, const rpt_mwu *test, double *scratch) {
  double p = metric_desc[id].percentile;
  pct_ctx ca = {a->latency_ns, a->n_completed, pct_index(a->n_completed, p) + 1};
  pct_ctx cb = {b->latency_ns, b->n_completed, pct_index(b->n_completed, p) + 1};
  rpt_compare_metric *m = metric_start(c, id, a->latency_ns[ca.k - 1], b->latency_ns[cb.k - 1]);
  m->has_test = true;
  m->test = *test;
  metric_ci(m, draw_percentile, &ca, &cb, &c->opts, id, scratch);
  judge(m, c->opts.threshold);
}

/* Completions per window of k = min(RPT_COMPARE_BATCHES, floor(sqrt(n))) equal windows
 * over [0, last completion]:
 * counts (malloc'd, k of them), *span_ns the last completion. RPT_EINVAL when no time
 * passed, RPT_ENOMEM. */
static int window_counts(const rpt_compare_run *r, tp_ctx *out, double **counts) {
  size_t n = r->n_completed, k = (size_t)floor(sqrt((double)n));
  if (k > RPT_COMPARE_BATCHES) k = RPT_COMPARE_BATCHES;
  double span = 0;
  for (size_t i = 0; i < n; i++) span = fmax(span, r->completed_ns[i]);
  if (k < 1) k = 1;
  if (!(span > 0)) return RPT_EINVAL;
  if ((*counts = calloc(k, sizeof **counts)) == NULL) return RPT_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    double w = floor(r->completed_ns[i] / span * (double)k);
    (*counts)[w <= 0 ? 0 : w >= (double)k ? k - 1 : (size_t)w]++;
  }
  *out = (tp_ctx){*counts, k, span};
  return RPT_OK;
}

/* Per-window rates (samples/s) of c, sorted, into a malloc'd array. */
static double *window_rates(const tp_ctx *c) {
  double *rates = malloc(c->k * sizeof *rates);
  if (rates == NULL) return NULL;
  for (size_t i = 0; i < c->k; i++) rates[i] = c->counts[i] * 1e9 * (double)c->k / c->span_ns;
  qsort(rates, c->k, sizeof *rates, cmp_double);
  return rates;
}

static int metric_throughput(rpt_comparison *c, const rpt_compare_run *a,
                             const rpt_compare_run *b, double *scratch) {
  tp_ctx ta, tb;
  double *ca = NULL, *cb = NULL, *ra = NULL, *rb = NULL;
  int rc = window_counts(a, &ta, &ca);
  if (rc == RPT_OK) rc = window_counts(b, &tb, &cb);
  if (rc == RPT_EINVAL) {
    rpt_compare_metric *m = metric_start(c, M_THROUGHPUT, NAN, NAN);
    m->note = "a run has no time between its start and last completion";
    judge(m, c->opts.threshold);
    rc = RPT_OK;
    goto done;
  }
  if (rc != RPT_OK) goto done;
  rc = RPT_ENOMEM;
  if ((ra = window_rates(&ta)) == NULL || (rb = window_rates(&tb)) == NULL) goto done;
  rpt_compare_metric *m = metric_start(c, M_THROUGHPUT, (double)a->n_completed * 1e9 / ta.span_ns,
                                       (double)b->n_completed * 1e9 / tb.span_ns);
  m->has_test = rpt_compare_mwu(ra, ta.k, rb, tb.k, &m->test) == RPT_OK;
  metric_ci(m, draw_throughput, &ta, &tb, &c->opts, M_THROUGHPUT, scratch);
  judge(m, c->opts.threshold);
  rc = RPT_OK;
done:
  free(ca), free(cb), free(ra), free(rb);
  return rc;
}

static bool has_energy(const rpt_results *r) {
  return r->energy.present && r->energy.available && r->energy.joules_per_inference.set;
}

static bool energy_estimate(const rpt_results *r) {
  return r->energy.estimate.set && r->energy.estimate.v;
}

static int metric_energy(rpt_comparison *c, const rpt_results *a, const rpt_results *b) {
  bool ha = has_energy(a), hb = has_energy(b);
  if (!ha && !hb) return RPT_OK;
  if (ha != hb)
    return note_add(&c->notes, "energy per inference was measured only in the %s run: not "
                    "compared", ha ? "baseline" : "new");
  rpt_compare_metric *m = metric_start(c, M_ENERGY, a->energy.joules_per_inference.v,
                                       b->energy.joules_per_inference.v);
  m->note = "one number per run, no per-sample data: change only, no CI or test";
  judge(m, c->opts.threshold);
  if (energy_estimate(a) || energy_estimate(b))
    return note_add(&c->notes, "energy per inference is an estimate (TDP x time) in the %s",
                    energy_estimate(a) && energy_estimate(b) ? "both runs"
                    : energy_estimate(a)                     ? "baseline run"
                                                             : "new run");
  return RPT_OK;
}

/* ---- run sets ------------------------------------------------------------------------------ */
/* One repetition's value of metric id, NAN when it has none. */
static double rep_value(const rpt_results *r, int id) {
  const rpt_run_result *x = &r->result;
  uint64_t lat[] = {x->latency.p50_ns, x->latency.p90_ns, x->latency.p99_ns};
  switch (id) {
    case M_THROUGHPUT: return x->samples_per_s.set ? x->samples_per_s.v : NAN;
    case M_ENERGY: return has_energy(r) ? r->energy.joules_per_inference.v : NAN;
    default: return x->latency.present && x->latency.count ? (double)lat[id - M_P50] : NAN;
  }
}

/* Repetition i of a set into run: its values, its counts; the first one's results kept. */
static int add_rep(rpt_compare_run *run, const char *path, rpt_results *r, char *err,
                   size_t errlen) {
  size_t i = run->n_reps;
  if (i == 0) run->results = *r;
  else {
    rpt_compare_difflist d = {0};
    int rc = rpt_compare_differences(&run->results, r, &d);
    bool same = rc == RPT_OK && d.count == 0;
    if (!same && rc == RPT_OK)
      rpt__errf(err, errlen, RPT_EFORMAT, "%s: not comparable with the set's first "
                "repetition (%s: %s vs %s): a run set repeats one test", path,
                d.items[0].key, d.items[0].baseline, d.items[0].new_value);
    for (size_t k = 0; k < d.count; k++)
      free(d.items[k].key), free(d.items[k].baseline), free(d.items[k].new_value);
    free(d.items);
    if (!same) return rc == RPT_OK ? RPT_EFORMAT : rc;
  }
  for (int id = 0; id < RPT_COMPARE_METRICS; id++) {
    if (i % 16 == 0) {
      double *v = realloc(run->rep_values[id], (i + 16) * sizeof *v);
      if (v == NULL) return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", path);
      run->rep_values[id] = v;
    }
    run->rep_values[id][i] = rep_value(r, id);
  }
  run->n_rows += r->result.counts.samples_issued;
  run->n_completed += r->result.counts.samples_completed;
  if (!r->result.valid.set || !r->result.valid.v) run->reps_not_valid++;
  run->n_reps++;
  if (i > 0) rpt_results_destroy(r);
  return RPT_OK;
}

/* Entries of folder named rep-*. */
static size_t count_reps(const char *folder) {
  size_t n = 0;
  DIR *d = opendir(folder);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;)
    n += strncmp(e->d_name, "rep-", 4) == 0;
  if (d) closedir(d);
  return n;
}

static int load_set(const char *folder, rpt_compare_run *run, char *err, size_t errlen) {
  char path[4096];
  int rc = RPT_ENOMEM;
  if ((run->folder = strdup(folder)) == NULL) goto fail;
  for (size_t i = 1, n = rpt_runfolder_set_reps(folder); i <= n; i++) {
    snprintf(path, sizeof path, "%s/rep-%02zu/results.json", folder, i);
    rpt_results r;
    if ((rc = rpt_results_read_json(path, &r, err, errlen)) != RPT_OK) goto fail;
    if ((rc = add_rep(run, path, &r, err, errlen)) != RPT_OK) {
      if (run->n_reps > 0) rpt_results_destroy(&r); /* else run->results owns it */
      goto fail;
    }
  }
  size_t listed = count_reps(folder);
  if (listed != run->n_reps) {
    rc = rpt__errf(err, errlen, RPT_EFORMAT, "%s: %zu rep-* folders, but rep-01 to rep-%02zu "
                   "are only %zu of them: a run set numbers its repetitions from rep-01 "
                   "without gaps (remove or renumber the others)", folder, listed,
                   run->n_reps, run->n_reps);
    goto fail;
  }
  return RPT_OK;
fail:
  if (rc == RPT_ENOMEM) rpt__errf(err, errlen, rc, "%s: out of memory", folder);
  rpt_compare_run_destroy(run);
  return rc;
}

typedef struct set_ctx {       /* one metric's values over a set's repetitions */
  const double *v;
  size_t n;
} set_ctx;

/* The mean of n repetitions drawn with replacement. */
static double draw_mean(const void *ctx, rng *g) {
  const set_ctx *c = ctx;
  double sum = 0;
  for (size_t i = 0; i < c->n; i++) sum += c->v[rng_below(g, c->n)];
  return sum / (double)c->n;
}

/* The finite values of metric id over r's repetitions, sorted, into buf; their count. */
static size_t set_values(const rpt_compare_run *r, int id, double *buf) {
  size_t k = 0;
  for (size_t i = 0; i < r->n_reps; i++)
    if (isfinite(r->rep_values[id][i])) buf[k++] = r->rep_values[id][i];
  qsort(buf, k, sizeof *buf, cmp_double);
  return k;
}

static double mean_of(const double *v, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += v[i];
  return sum / (double)n;
}

static int set_metrics(rpt_comparison *c, const rpt_compare_run *a, const rpt_compare_run *b,
                       double *scratch) {
  double *va = malloc(a->n_reps * sizeof *va), *vb = malloc(b->n_reps * sizeof *vb);
  if (va == NULL || vb == NULL) {
    free(va), free(vb);
    return RPT_ENOMEM;
  }
  for (int id = 0; id < RPT_COMPARE_METRICS; id++) {
    size_t na = set_values(a, id, va), nb = set_values(b, id, vb);
    if (na < a->n_reps || nb < b->n_reps || na == 0) continue; /* e.g. no energy */
    rpt_compare_metric *m = metric_start(c, id, mean_of(va, na), mean_of(vb, nb));
    set_ctx ca = {va, na}, cb = {vb, nb};
    m->has_test = rpt_compare_mwu(va, na, vb, nb, &m->test) == RPT_OK;
    metric_ci(m, draw_mean, &ca, &cb, &c->opts, id, scratch);
    judge(m, c->opts.threshold);
    if (m->verdict != RPT_VERDICT_UNTESTED && m->verdict != RPT_VERDICT_SAME &&
        !(m->has_test && m->test.p < 1 - c->opts.confidence))
      m->verdict = RPT_VERDICT_SAME; /* the repetitions' test does not confirm it */
  }
  c->run_sets = true;
  free(va), free(vb);
  for (int side = 0; side < 2; side++) {
    const rpt_compare_run *r = side ? b : a;
    if (r->reps_not_valid &&
        note_add(&c->notes, "%zu of the %s set's %zu repetitions are not VALID (see their "
                 "summary.txt); they are in the means", r->reps_not_valid,
                 side ? "new" : "baseline", r->n_reps) != RPT_OK)
      return RPT_ENOMEM;
  }
  return note_add(&c->notes, "run sets of %zu and %zu repetitions: mean over repetitions, "
                  "interval by bootstrap over repetitions, Mann-Whitney test on their values; "
                  "a verdict needs both%s",
                  a->n_reps, b->n_reps,
                  a->n_reps < 5 || b->n_reps < 5
                      ? " (fewer than 5 per side cannot reach a 99 % verdict)" : "");
}

static void overall_verdict(rpt_comparison *c) {
  c->verdict = RPT_OVERALL_SAME;
  for (size_t i = 0; i < c->n_metrics; i++) {
    if (c->metrics[i].verdict == RPT_VERDICT_SLOWER) c->verdict = RPT_OVERALL_REGRESSION;
    else if (c->metrics[i].verdict == RPT_VERDICT_FASTER && c->verdict == RPT_OVERALL_SAME)
      c->verdict = RPT_OVERALL_IMPROVEMENT;
  }
}

static int compute_metrics(rpt_comparison *c, const rpt_compare_run *a,
                           const rpt_compare_run *b, double *scratch) {
  if (a->n_reps > 0) return set_metrics(c, a, b, scratch);
  rpt_mwu test;
  int rc = metric_throughput(c, a, b, scratch);
  if (rc != RPT_OK) return rc;
  rpt_compare_mwu(a->latency_ns, a->n_completed, b->latency_ns, b->n_completed, &test);
  bool offline = a->results.result.scenario && !strcmp(a->results.result.scenario, "Offline");
  for (int id = M_P50; id <= M_P99; id++) {
    metric_latency(c, id, a, b, &test, scratch);
    if (offline) { /* one query: a sample's latency is its place in the queue */
      c->metrics[c->n_metrics - 1].verdict = RPT_VERDICT_UNTESTED;
      c->metrics[c->n_metrics - 1].note = "Offline: latency is the sample's place in one "
                                          "query, not judged";
    }
  }
  return metric_energy(c, &a->results, &b->results);
}

static int check_args(const rpt_compare_run *a, const rpt_compare_run *b,
                      const rpt_compare_opts *o, char *err, size_t errlen) {
  if (a == NULL || b == NULL || o == NULL)
    return rpt__errf(err, errlen, RPT_EINVAL, "no run or options");
  if (!(o->confidence > 0 && o->confidence < 1) || o->resamples < 10 || !(o->threshold >= 0))
    return rpt__errf(err, errlen, RPT_EINVAL,
                     "confidence must be in (0, 1), resamples at least 10, threshold >= 0");
  if ((a->n_reps > 0) != (b->n_reps > 0))
    return rpt__errf(err, errlen, RPT_EINVAL, "the %s is a run set (%zu repetitions) and "
                     "the %s one run: compare a set with a set (run --repeat) or two runs",
                     a->n_reps ? "baseline" : "new", a->n_reps ? a->n_reps : b->n_reps,
                     a->n_reps ? "new" : "baseline");
  if (a->n_completed == 0 || b->n_completed == 0)
    return rpt__errf(err, errlen, RPT_EINVAL, "%s run has no completed samples",
                     a->n_completed == 0 ? "the baseline" : "the new");
  return RPT_OK;
}

/* What the numbers mean in this scenario, or NULL. */
static const char *scenario_note(const char *scenario) {
  if (scenario == NULL) return NULL;
  if (strcmp(scenario, "Server") == 0)
    return "Server: throughput follows the arrival schedule (the target QPS), not the "
           "SUT's capacity";
  if (strcmp(scenario, "Offline") == 0)
    return "Offline: every sample is in one query, so a sample's latency is its place in "
           "the queue, not a service time: latencies are shown, only throughput is judged";
  if (strcmp(scenario, "MultiStream") == 0)
    return "MultiStream: latencies are per sample; the scenario's own metric is the "
           "per-query p99 in results.json";
  return NULL;
}

static int add_notes(rpt_comparison *c, const rpt_compare_run *a, const rpt_compare_run *b) {
  int rc = RPT_OK;
  if (c->differences.count > 0)
    rc = note_add(&c->notes, "compared with --force although the runs are not comparable");
  if (rc == RPT_OK) rc = run_notes(&c->notes, "baseline", &a->results);
  if (rc == RPT_OK) rc = run_notes(&c->notes, "new", &b->results);
  const char *s = scenario_note(a->results.result.scenario);
  if (rc == RPT_OK && s != NULL) rc = note_add(&c->notes, "%s", s);
  return rc;
}

int rpt_compare(const rpt_compare_run *a, const rpt_compare_run *b, const rpt_compare_opts *o,
                rpt_comparison *out, char *err, size_t errlen) {
  double *scratch = NULL;
  if (out == NULL) return rpt__errf(err, errlen, RPT_EINVAL, "no output");
  memset(out, 0, sizeof *out);
  int rc = check_args(a, b, o, err, errlen);
  if (rc != RPT_OK) return rc;
  out->opts = *o;
  if ((rc = rpt_compare_differences(&a->results, &b->results, &out->differences)) != RPT_OK)
    goto fail;
  if (out->differences.count > 0 && !o->force) {
    out->verdict = RPT_OVERALL_NOT_COMPARABLE;
    return RPT_OK;
  }
  rc = RPT_ENOMEM;
  if ((scratch = malloc(o->resamples * sizeof *scratch)) == NULL) goto fail;
  if ((rc = add_notes(out, a, b)) != RPT_OK || (rc = compute_metrics(out, a, b, scratch)) != RPT_OK)
    goto fail;
  overall_verdict(out);
  free(scratch);
  return RPT_OK;
fail:
  free(scratch);
  rpt_comparison_destroy(out);
  return rpt__errf(err, errlen, rc, "compare: %s", rpt_strerror(rc));
}

void rpt_comparison_destroy(rpt_comparison *c) {
  if (c == NULL) return;
  for (size_t i = 0; i < c->differences.count; i++) {
    free(c->differences.items[i].key);
    free(c->differences.items[i].baseline);
    free(c->differences.items[i].new_value);
  }
  free(c->differences.items);
  for (size_t i = 0; i < c->notes.count; i++) free(c->notes.items[i]);
  free(c->notes.items);
  memset(c, 0, sizeof *c);
}

/* ---- the table --------------------------------------------------------------------------- */
/* v in the metric's unit, scaled for reading: "202.09 us", "2727.9/s", "1.234 mJ". */
static const char *fmt_value(char *buf, size_t len, const rpt_compare_metric *m, double v) {
  static const char *const time_unit[] = {"ns", "us", "ms", "s"};
  static const char *const energy_unit[] = {"J", "mJ", "uJ", "nJ"};
  int i = 0;
  if (!isfinite(v)) snprintf(buf, len, "-");
  else if (strcmp(m->unit, "ns") == 0) {
    for (; fabs(v) >= 1000 && i < 3; i++) v /= 1000;
    snprintf(buf, len, i ? "%.2f %s" : "%.0f %s", v, time_unit[i]);
  } else if (strcmp(m->unit, "J") == 0) {
    for (; v != 0 && fabs(v) < 1 && i < 3; i++) v *= 1000;
    snprintf(buf, len, "%.3f %s", v, energy_unit[i]);
  } else {
    snprintf(buf, len, "%.1f/s", v);
  }
  return buf;
}

static const char *fmt_pct(char *buf, size_t len, double v) {
  if (isfinite(v)) snprintf(buf, len, "%+.2f%%", 100 * v);
  else snprintf(buf, len, "-");
  return buf;
}

static const char *fmt_p(char *buf, size_t len, const rpt_compare_metric *m) {
  if (!m->has_test) snprintf(buf, len, "-");
  else if (m->test.p < 1e-300) snprintf(buf, len, "<1e-300");
  else snprintf(buf, len, "%.2g", m->test.p);
  return buf;
}

static void print_metric(FILE *f, const rpt_compare_metric *m) {
  char a[32], b[32], ch[32], lo[32], hi[32], ci[80], p[32];
  if (m->has_ci)
    snprintf(ci, sizeof ci, "[%s, %s]", fmt_pct(lo, sizeof lo, m->ci_low),
             fmt_pct(hi, sizeof hi, m->ci_high));
  else
    snprintf(ci, sizeof ci, "-");
  fprintf(f, "%-17s %12s %12s %9s %20s %8s  %s\n", m->label,
          fmt_value(a, sizeof a, m, m->baseline), fmt_value(b, sizeof b, m, m->new_value),
          fmt_pct(ch, sizeof ch, m->change), ci, fmt_p(p, sizeof p, m),
          rpt_verdict_name(m->verdict));
}

static void print_run(FILE *f, const char *which, const rpt_compare_run *r) {
  const rpt_results *x = &r->results;
  const char *validity = !x->result.valid.set ? "-" : x->result.valid.v ? "VALID" : "INVALID";
  char reps[48] = "";
  if (r->n_reps) snprintf(reps, sizeof reps, " (set of %zu repetitions)", r->n_reps);
  fprintf(f, "%-8s %s%s: %s %s %s, %zu samples (%zu completed), %s%s, build %s\n", which,
          r->folder ? r->folder : "(in memory)", reps, x->workload.name ? x->workload.name : "?",
          x->result.scenario ? x->result.scenario : "?", x->result.mode ? x->result.mode : "?",
          r->n_rows, r->n_completed, r->n_reps ? "first repetition " : "", validity,
          x->build.git_describe ? x->build.git_describe : "unknown");
}

static void print_differences(FILE *f, const rpt_comparison *c) {
  if (c->differences.count == 0) return;
  fprintf(f, "\nnot comparable%s:\n",
          c->opts.force ? " (compared anyway: --force)" : " (use --force to compare anyway)");
  for (size_t i = 0; i < c->differences.count; i++)
    fprintf(f, "  %s: baseline %s, new %s\n", c->differences.items[i].key,
            c->differences.items[i].baseline, c->differences.items[i].new_value);
}

static void print_table(FILE *f, const rpt_comparison *c) {
  char head[32];
  snprintf(head, sizeof head, "%g%% CI", 100 * c->opts.confidence);
  fprintf(f, "\n%-17s %12s %12s %9s %20s %8s  %s\n", "metric", "baseline", "new", "change",
          head, "p (MWU)", "verdict");
  for (size_t i = 0; i < c->n_metrics; i++) print_metric(f, &c->metrics[i]);
  for (size_t i = 0; i < c->n_metrics; i++) {
    const rpt_compare_metric *m = &c->metrics[i];
    if (strcmp(m->key, metric_desc[M_P50].key) == 0 && m->has_test && !c->run_sets)
      fprintf(f, "\nMann-Whitney U on per-sample latency: U = %.1f, z = %.3f, p = %.3g\n",
              m->test.u, m->test.z, m->test.p);
  }
}

static void print_notes(FILE *f, const rpt_comparison *c) {
  bool any = c->notes.count > 0;
  for (size_t i = 0; i < c->n_metrics; i++) any |= c->metrics[i].note != NULL;
  if (!any) return;
  fprintf(f, "\nnotes:\n");
  for (size_t i = 0; i < c->n_metrics; i++)
    if (c->metrics[i].note) fprintf(f, "  %s: %s\n", c->metrics[i].label, c->metrics[i].note);
  for (size_t i = 0; i < c->notes.count; i++) fprintf(f, "  %s\n", c->notes.items[i]);
}

static void print_verdict(FILE *f, const rpt_comparison *c) {
  fprintf(f, "\nverdict: %s", rpt_overall_name(c->verdict));
  const char *sep = " (";
  for (size_t i = 0; i < c->n_metrics; i++)
    if (c->metrics[i].verdict == RPT_VERDICT_SLOWER || c->metrics[i].verdict == RPT_VERDICT_FASTER) {
      fprintf(f, "%s%s %s", sep, c->metrics[i].label, rpt_verdict_name(c->metrics[i].verdict));
      sep = ", ";
    }
  if (*sep == ',') fputc(')', f);
  if (c->n_metrics > 0)
    fprintf(f, "; significant: %g%% CI of the change excludes 0 and |change| > %g%%%s; "
            "%zu bootstrap resamples, seed %llu", 100 * c->opts.confidence,
            100 * c->opts.threshold,
            c->run_sets ? " and the repetitions' Mann-Whitney p < 1 - confidence" : "",
            c->opts.resamples, (unsigned long long)c->opts.seed);
  fputc('\n', f);
}

int rpt_comparison_print(FILE *f, const rpt_compare_run *a, const rpt_compare_run *b,
                         const rpt_comparison *c) {
  if (f == NULL || a == NULL || b == NULL || c == NULL) return RPT_EINVAL;
  print_run(f, "baseline", a);
  print_run(f, "new", b);
  print_differences(f, c);
  if (c->n_metrics > 0) print_table(f, c);
  print_notes(f, c);
  print_verdict(f, c);
  return ferror(f) ? RPT_EIO : RPT_OK;
}

/* ---- JSON --------------------------------------------------------------------------------- */
/* Add key -> v to o; false (and v released) when o or v is missing where required. */
static bool jadd(json_object *o, const char *key, json_object *v, bool nullable) {
  if (o == NULL || (v == NULL && !nullable) || json_object_object_add(o, key, v) != 0) {
    json_object_put(v);
    return false;
  }
  return true;
}

static json_object *jstr(const char *s) { return s ? json_object_new_string(s) : NULL; }

static json_object *run_json(const rpt_compare_run *r) {
  json_object *o = json_object_new_object();
  const rpt_results *x = &r->results;
  bool ok = jadd(o, "folder", jstr(r->folder), true) &&
            jadd(o, "workload", jstr(x->workload.name), true) &&
            jadd(o, "scenario", jstr(x->result.scenario), true) &&
            jadd(o, "mode", jstr(x->result.mode), true) &&
            jadd(o, "valid", x->result.valid.set ? json_object_new_boolean(x->result.valid.v) : NULL, true) &&
            jadd(o, "git_describe", jstr(x->build.git_describe), true) &&
            jadd(o, "samples", json_object_new_int64((int64_t)r->n_rows), false) &&
            jadd(o, "samples_completed", json_object_new_int64((int64_t)r->n_completed), false) &&
            jadd(o, "repetitions", json_object_new_int64((int64_t)r->n_reps), false);
  if (!ok) json_object_put(o);
  return ok ? o : NULL;
}

static json_object *diff_json(const rpt_compare_diff *d) {
  json_object *o = json_object_new_object();
  bool ok = jadd(o, "key", jstr(d->key), false) && jadd(o, "baseline", jstr(d->baseline), false) &&
            jadd(o, "new", jstr(d->new_value), false);
  if (!ok) json_object_put(o);
  return ok ? o : NULL;
}

static json_object *mwu_json(const rpt_compare_metric *m) {
  if (!m->has_test) return NULL;
  json_object *o = json_object_new_object();
  bool ok = jadd(o, "u", rpt__json_double(m->test.u), true) &&
            jadd(o, "z", rpt__json_double(m->test.z), true) &&
            jadd(o, "p", rpt__json_double(m->test.p), true);
  if (!ok) json_object_put(o);
  return ok ? o : NULL;
}

static json_object *metric_json(const rpt_compare_metric *m) {
  json_object *o = json_object_new_object();
  bool ok = jadd(o, "key", jstr(m->key), false) && jadd(o, "label", jstr(m->label), false) &&
            jadd(o, "unit", jstr(m->unit), false) &&
            jadd(o, "lower_is_better", json_object_new_boolean(m->lower_is_better), false) &&
            jadd(o, "baseline", rpt__json_double(m->baseline), true) &&
            jadd(o, "new", rpt__json_double(m->new_value), true) &&
            jadd(o, "change", rpt__json_double(m->change), true) &&
            jadd(o, "ci_low", m->has_ci ? rpt__json_double(m->ci_low) : NULL, true) &&
            jadd(o, "ci_high", m->has_ci ? rpt__json_double(m->ci_high) : NULL, true) &&
            jadd(o, "mann_whitney", mwu_json(m), true) &&
            jadd(o, "verdict", jstr(rpt_verdict_name(m->verdict)), false) &&
            jadd(o, "note", jstr(m->note), true);
  if (!ok) json_object_put(o);
  return ok ? o : NULL;
}

/* An array of n items made by make(item i). */
static json_object *array_json(size_t n, json_object *(*make)(const void *, size_t),
                               const void *items) {
  json_object *a = json_object_new_array_ext((int)n);
  for (size_t i = 0; a != NULL && i < n; i++) {
    json_object *v = make(items, i);
    if (v == NULL || json_object_array_add(a, v) != 0) {
      json_object_put(v);
      json_object_put(a);
      a = NULL;
    }
  }
  return a;
}

static json_object *diff_item(const void *items, size_t i) {
  return diff_json(&((const rpt_compare_diff *)items)[i]);
}
static json_object *metric_item(const void *items, size_t i) {
  return metric_json(&((const rpt_compare_metric *)items)[i]);
}
static json_object *note_item(const void *items, size_t i) {
  return json_object_new_string(((char *const *)items)[i]);
}

static const char ci_method[] =
    "percentile bootstrap of the relative change; latency percentiles: exact draws of the "
    "resampled order statistic (Beta); throughput: batch means over min(32, floor(sqrt(n))) "
    "equal time windows";

static bool options_json(json_object *o, const rpt_compare_opts *p) {
  return jadd(o, "threshold", rpt__json_double(p->threshold), false) &&
         jadd(o, "confidence", rpt__json_double(p->confidence), false) &&
         jadd(o, "resamples", json_object_new_int64((int64_t)p->resamples), false) &&
         jadd(o, "seed", json_object_new_uint64(p->seed), false) &&
         jadd(o, "force", json_object_new_boolean(p->force), false) &&
         jadd(o, "ci_method", json_object_new_string(ci_method), false);
}

json_object *rpt_comparison_to_json(const rpt_compare_run *a, const rpt_compare_run *b,
                                    const rpt_comparison *c) {
  if (a == NULL || b == NULL || c == NULL) return NULL;
  json_object *o = json_object_new_object();
  bool ok = jadd(o, "schema", json_object_new_string(RPT_COMPARE_SCHEMA), false) &&
            jadd(o, "schema_version", json_object_new_int(RPT_COMPARE_SCHEMA_VERSION), false) &&
            jadd(o, "baseline", run_json(a), false) && jadd(o, "new", run_json(b), false) &&
            jadd(o, "comparable", json_object_new_boolean(c->differences.count == 0), false) &&
            jadd(o, "differences", array_json(c->differences.count, diff_item, c->differences.items), false) &&
            options_json(o, &c->opts) &&
            jadd(o, "metrics", array_json(c->n_metrics, metric_item, c->metrics), false) &&
            jadd(o, "notes", array_json(c->notes.count, note_item, c->notes.items), false) &&
            jadd(o, "verdict", json_object_new_string(rpt_overall_name(c->verdict)), false) &&
            jadd(o, "regression", json_object_new_boolean(c->verdict == RPT_OVERALL_REGRESSION), false);
  if (!ok) json_object_put(o);
  return ok ? o : NULL;
}

int rpt_comparison_write_json(const char *path, const rpt_compare_run *a,
                              const rpt_compare_run *b, const rpt_comparison *c, char *err,
                              size_t errlen) {
  if (path == NULL) return rpt__errf(err, errlen, RPT_EINVAL, "no path");
  json_object *doc = rpt_comparison_to_json(a, b, c);
  if (doc == NULL) return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", path);
  int rc = rpt__json_write_file(path, doc, err, errlen);
  json_object_put(doc);
  return rc;
}
