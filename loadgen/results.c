/*
 * loadgen/results.c - statistics, the headline metric with its confidence interval,
 * and the validity rules of a finished run (MLPerf results.cc semantics).
 *
 * Runs after lg_test_freeze(), outside the timed region: records are stable. The
 * statistics need one array of 8 bytes per sample; the samples handed to the SUT
 * (16 bytes each) are dead once the records are frozen, so their memory serves, and a
 * run's peak memory stays at the records' 48 bytes per sample. Token latencies (TTFT and
 * TPOT, use_token_latencies) use both halves of that memory, one array each.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/lg_internal.h"

#define LG_CONFIDENCE 0.99
#define LG_BATCHES 20
#define LG_T_99_19DOF 2.861 /* Student t, two-sided 99 %, 19 degrees of freedom */

static void lg_add_reason(lg_result *r, lg_reason code, const char *fmt, ...) {
  if (r->reason_count == LG_MAX_REASONS) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->reason_text[r->reason_count], LG_REASON_TEXT, fmt, ap);
  va_end(ap);
  r->reasons[r->reason_count++] = code;
}

static uint64_t lg_max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Values above bound in an ascending array. */
static uint64_t lg_count_over(const uint64_t *sorted, size_t n, uint64_t bound) {
  uint64_t over = 0;
  for (size_t i = n; i-- > 0 && sorted[i] > bound;) over++;
  return over;
}

static void lg_counts(lg_test *t, lg_result *r) {
  r->queries_issued = t->queries;
  r->samples_issued = t->count;
  for (size_t i = 0; i < t->count; i++) {
    const lg_record *rec = &t->rec[i];
    r->last_issue_ns = lg_max_u64(r->last_issue_ns, rec->issued_ns);
    r->last_scheduled_ns = lg_max_u64(r->last_scheduled_ns, rec->scheduled_ns);
    if (lg_record_lost(rec)) continue;
    r->samples_completed++;
    r->last_completion_ns = lg_max_u64(r->last_completion_ns, rec->completed_ns);
  }
  r->samples_lost = r->samples_issued - r->samples_completed;
  r->duplicate_completions = atomic_load(&t->duplicates);
  r->unknown_completions = atomic_load(&t->unknown);
  r->late_completions = atomic_load(&t->late);
  r->oversized_responses = atomic_load(&t->oversized);
  if (r->last_completion_ns) {
    r->samples_per_s = (double)r->samples_completed * 1e9 / (double)r->last_completion_ns;
    r->queries_per_s = (double)r->queries_issued * 1e9 / (double)r->last_completion_ns;
  }
}

/* Per-sample latency (completed - scheduled) of completed samples into buf. */
static size_t lg_sample_latencies(const lg_test *t, uint64_t *buf) {
  size_t n = 0;
  for (size_t i = 0; i < t->count; i++)
    if (!lg_record_lost(&t->rec[i]))
      buf[n++] = t->rec[i].completed_ns - t->rec[i].scheduled_ns;
  return n;
}

/* MultiStream query latency: last sample of the query done - query start. Queries with
 * a lost sample are left out (they are counted as lost samples). */
static size_t lg_query_latencies(const lg_test *t, uint64_t *buf) {
  size_t spq = (size_t)t->s.multi_stream_samples_per_query, n = 0;
  for (size_t q = 0; q + spq <= t->count; q += spq) {
    uint64_t last = 0;
    bool lost = false;
    for (size_t i = q; i < q + spq; i++) {
      lost |= lg_record_lost(&t->rec[i]);
      last = lg_max_u64(last, t->rec[i].completed_ns);
    }
    if (!lost) buf[n++] = last - t->rec[q].scheduled_ns;
  }
  return n;
}

/* Latency metric of SingleStream/MultiStream: the early-stopping estimate when the
 * check passes, else the plain percentile; CI from order statistics. */
static void lg_latency_metric(lg_test *t, lg_result *r, uint64_t *sorted, size_t n) {
  double p = lg_settings_percentile(&t->s);
  uint64_t tt;
  r->latency_percentile = p;
  if (!n) return;
  r->latency_at_percentile_ns = lg_percentile(sorted, n, p);
  r->es_min_queries = lg_early_stopping_h(1, p, LG_CONFIDENCE) + 1;
  bool ok = lg_early_stopping_t(n, p, LG_CONFIDENCE, &tt);
  r->es_estimate_ns = ok ? sorted[n - tt] : 0;
  r->early_stopping_met = ok || !t->s.early_stopping;
  r->metric = ok ? (double)r->es_estimate_ns : (double)r->latency_at_percentile_ns;
  size_t lo, hi;
  lg_quantile_ci(n, p, LG_CONFIDENCE, &lo, &hi);
  r->metric_ci_low = (double)sorted[lo];
  r->metric_ci_high = (double)sorted[hi];
  r->metric_ci_method = "distribution-free order-statistic interval of the percentile";
}

static void lg_server_metric(lg_test *t, lg_result *r, const uint64_t *sorted, size_t n) {
  double p = t->s.server_target_latency_percentile;
  uint64_t bound = t->s.server_target_latency_ns, over;
  r->latency_percentile = p;
  r->metric = t->s.server_target_qps;
  if (!n) return;
  r->latency_at_percentile_ns = lg_percentile(sorted, n, p);
  r->latency_bound_met = r->latency_at_percentile_ns <= bound;
  size_t lo, hi;
  lg_quantile_ci(n, p, LG_CONFIDENCE, &lo, &hi);
  r->latency_ci_low_ns = sorted[lo];
  r->latency_ci_high_ns = sorted[hi];
  over = lg_count_over(sorted, n, bound);
  r->es_overlatency_count = over;
  r->es_min_queries = lg_early_stopping_h(over, p, LG_CONFIDENCE) + over;
  r->early_stopping_met = !t->s.early_stopping || r->queries_issued >= r->es_min_queries;
  if (r->last_scheduled_ns) { /* Poisson count interval of the offered arrival rate */
    double secs = (double)r->last_scheduled_ns / 1e9, z = 2.5758293035489;
    double rate = (double)r->samples_issued / secs, half = z * sqrt((double)r->samples_issued) / secs;
    r->metric_ci_low = rate - half;
    r->metric_ci_high = rate + half;
    r->metric_ci_method = "Poisson interval of the offered arrival rate (the metric is the target)";
  }
}

/* Offline samples/s with a batch-means interval over consecutive completion batches. */
static void lg_offline_metric(lg_test *t, lg_result *r, uint64_t *buf) {
  size_t n = 0;
  r->metric = r->samples_per_s;
  for (size_t i = 0; i < t->count; i++)
    if (!lg_record_lost(&t->rec[i])) buf[n++] = t->rec[i].completed_ns;
  if (n < LG_BATCHES * 10) return;
  lg_latency_stats unused;
  lg_latency_stats_compute(buf, n, &unused); /* sorts the completion times */
  size_t m = n / LG_BATCHES;
  double d[LG_BATCHES], mean = 0, var = 0;
  for (size_t k = 0; k < LG_BATCHES; k++) {
    uint64_t start = k ? buf[k * m - 1] : 0;
    d[k] = (double)(buf[(k + 1) * m - 1] - start);
    mean += d[k] / LG_BATCHES;
  }
  for (size_t k = 0; k < LG_BATCHES; k++) var += (d[k] - mean) * (d[k] - mean) / (LG_BATCHES - 1);
  double half = LG_T_99_19DOF * sqrt(var / LG_BATCHES);
  r->metric_ci_low = mean + half > 0 ? (double)m * 1e9 / (mean + half) : 0;
  r->metric_ci_high = mean - half > 0 ? (double)m * 1e9 / (mean - half) : INFINITY;
  r->metric_ci_method = "batch means over 20 consecutive completion batches (Student t)";
}

static void lg_metric_names(lg_result *r, const lg_settings *s) {
  static const char *const names[LG_SCENARIO_COUNT] = {
      "latency, early-stopping estimate", "query latency, early-stopping estimate",
      "target QPS (valid: bound held)", "samples per second"};
  static const char *const units[LG_SCENARIO_COUNT] = {"ns", "ns", "qps", "samples/s"};
  r->metric_name = names[s->scenario];
  r->metric_unit = units[s->scenario];
}

static void lg_check_minimums(lg_test *t, lg_result *r) {
  const lg_settings *s = &t->s;
  uint64_t min_ns = s->min_duration_ms * 1000000ULL;
  r->duration_ns = s->scenario == LG_SERVER    ? r->last_scheduled_ns
                   : s->scenario == LG_OFFLINE ? r->last_completion_ns
                                               : r->last_issue_ns;
  r->min_queries_required = s->scenario == LG_OFFLINE ? 1 : s->min_query_count;
  r->min_samples_required = s->scenario == LG_OFFLINE
                                ? lg_offline_query_size(s)
                                : s->min_query_count * lg_settings_samples_per_query(s);
  r->min_duration_met = r->duration_ns >= min_ns;
  r->min_queries_met = r->queries_issued >= r->min_queries_required;
  r->min_samples_met = r->samples_completed >= r->min_samples_required;
  if (!r->min_duration_met)
    lg_add_reason(r, LG_REASON_MIN_DURATION, "ran %.3f s, min_duration is %.3f s",
                  (double)r->duration_ns / 1e9, (double)min_ns / 1e9);
  if (!r->min_queries_met)
    lg_add_reason(r, LG_REASON_MIN_QUERIES, "%llu queries, min_query_count is %llu",
                  (unsigned long long)r->queries_issued,
                  (unsigned long long)r->min_queries_required);
  if (!r->min_samples_met)
    lg_add_reason(r, LG_REASON_MIN_SAMPLES, "%llu samples completed, %llu required",
                  (unsigned long long)r->samples_completed,
                  (unsigned long long)r->min_samples_required);
  uint64_t max_ns = lg_max_duration_ns(s);
  bool maxed = (max_ns && r->last_issue_ns >= max_ns) ||
               (s->max_query_count && r->queries_issued >= s->max_query_count);
  if (maxed && (!r->min_duration_met || !r->min_queries_met))
    lg_add_reason(r, LG_REASON_MAX_DURATION, "max_duration %llu ms / max_query_count %llu "
                  "stopped the run before its minimums",
                  (unsigned long long)s->max_duration_ms, (unsigned long long)s->max_query_count);
}

/* ---- token latencies ------------------------------------------------------------------ */
/* Per completed sample: TTFT into ttft, TPOT into tpot; totals and what is missing. */
static void lg_token_arrays(const lg_test *t, lg_token_result *k, uint64_t *ttft, size_t *na,
                            uint64_t *tpot, size_t *nb) {
  *na = *nb = 0;
  for (size_t i = 0; i < t->count; i++) {
    const lg_record *rec = &t->rec[i];
    if (lg_record_lost(rec)) continue;
    uint64_t first = atomic_load_explicit((_Atomic uint64_t *)&t->tok[i].first_token_ns,
                                          memory_order_acquire);
    uint64_t n = t->tok[i].n_tokens;
    k->tokens += n;
    k->missing_tokens += n < 2;
    if (!first) {
      k->missing_first_token += t->s.scenario != LG_OFFLINE;
      continue;
    }
    ttft[(*na)++] = first > rec->scheduled_ns ? first - rec->scheduled_ns : 0;
    if (n >= 2)
      tpot[(*nb)++] = (rec->completed_ns > first ? rec->completed_ns - first : 0) / (n - 1);
  }
}

/* Stats of v (sorted here), its value at percentile p and the 99 % interval of it. */
static void lg_token_stat(uint64_t *v, size_t n, double p, lg_latency_stats *st,
                          uint64_t *at, uint64_t *lo, uint64_t *hi) {
  lg_latency_stats_compute(v, n, st);
  if (!n) return;
  size_t l, h;
  *at = lg_percentile(v, n, p);
  lg_quantile_ci(n, p, LG_CONFIDENCE, &l, &h);
  *lo = v[l], *hi = v[h];
}

/* Server with token latencies: TTFT and TPOT bounds at the percentile replace the
 * latency bound, and early stopping runs on both (MLPerf results.cc). */
static void lg_token_server(const lg_test *t, lg_result *r, const uint64_t *ttft, size_t na,
                            const uint64_t *tpot, size_t nb) {
  lg_token_result *k = &r->tokens;
  const lg_settings *s = &t->s;
  k->ttft_bound_met = na && k->ttft_at_percentile_ns <= s->server_ttft_latency_ns;
  k->tpot_bound_met = nb && k->tpot_at_percentile_ns <= s->server_tpot_latency_ns;
  k->ttft_overlatency_count = lg_count_over(ttft, na, s->server_ttft_latency_ns);
  k->tpot_overlatency_count = lg_count_over(tpot, nb, s->server_tpot_latency_ns);
  uint64_t h1 = lg_early_stopping_h(k->ttft_overlatency_count, k->percentile, LG_CONFIDENCE);
  uint64_t h2 = lg_early_stopping_h(k->tpot_overlatency_count, k->percentile, LG_CONFIDENCE);
  k->es_min_queries = lg_max_u64(h1 + k->ttft_overlatency_count, h2 + k->tpot_overlatency_count);
  r->latency_bound_met = k->ttft_bound_met && k->tpot_bound_met;
  r->es_min_queries = k->es_min_queries;
  r->early_stopping_met = !s->early_stopping || r->queries_issued >= k->es_min_queries;
}

static void lg_token_result_compute(lg_test *t, lg_result *r, uint64_t *buf) {
  lg_token_result *k = &r->tokens;
  uint64_t *ttft = buf, *tpot = buf + t->count;
  size_t na, nb;
  k->enabled = true;
  k->percentile = lg_settings_percentile(&t->s);
  k->first_token_errors = atomic_load(&t->first_token_errors);
  lg_token_arrays(t, k, ttft, &na, tpot, &nb);
  if (r->last_completion_ns) k->tokens_per_s = (double)k->tokens * 1e9 / (double)r->last_completion_ns;
  if (t->s.scenario == LG_OFFLINE && r->metric_ci_method && r->samples_completed) {
    double per_sample = (double)k->tokens / (double)r->samples_completed;
    k->tokens_per_s_ci_low = r->metric_ci_low * per_sample;
    k->tokens_per_s_ci_high = r->metric_ci_high * per_sample;
  }
  lg_token_stat(ttft, na, k->percentile, &k->ttft, &k->ttft_at_percentile_ns,
                &k->ttft_ci_low_ns, &k->ttft_ci_high_ns);
  lg_token_stat(tpot, nb, k->percentile, &k->tpot, &k->tpot_at_percentile_ns,
                &k->tpot_ci_low_ns, &k->tpot_ci_high_ns);
  if (t->s.scenario == LG_SERVER) lg_token_server(t, r, ttft, na, tpot, nb);
}

/* Server token bounds, each with its own reason. */
static void lg_check_token_bounds(const lg_test *t, lg_result *r) {
  const lg_token_result *k = &r->tokens;
  if (!k->ttft_bound_met)
    lg_add_reason(r, LG_REASON_TTFT_BOUND, "%.4gth percentile TTFT %.3f ms > ttft_latency %.3f ms",
                  k->percentile * 100, (double)k->ttft_at_percentile_ns / 1e6,
                  (double)t->s.server_ttft_latency_ns / 1e6);
  if (!k->tpot_bound_met)
    lg_add_reason(r, LG_REASON_TPOT_BOUND, "%.4gth percentile TPOT %.3f ms > tpot_latency %.3f ms",
                  k->percentile * 100, (double)k->tpot_at_percentile_ns / 1e6,
                  (double)t->s.server_tpot_latency_ns / 1e6);
}

static void lg_check_latency(lg_test *t, lg_result *r) {
  const lg_settings *s = &t->s;
  bool tokens = r->tokens.enabled;
  if (s->scenario == LG_SERVER && r->samples_completed && tokens) lg_check_token_bounds(t, r);
  if (s->scenario == LG_SERVER && r->samples_completed && !tokens && !r->latency_bound_met)
    lg_add_reason(r, LG_REASON_LATENCY_BOUND, "%.4gth percentile latency %.3f ms > bound %.3f ms",
                  r->latency_percentile * 100, (double)r->latency_at_percentile_ns / 1e6,
                  (double)s->server_target_latency_ns / 1e6);
  if (s->scenario != LG_OFFLINE && !r->early_stopping_met)
    lg_add_reason(r, LG_REASON_EARLY_STOPPING, "early stopping needs %llu queries, the run "
                  "has %llu", (unsigned long long)r->es_min_queries,
                  (unsigned long long)(s->scenario == LG_SERVER ? r->queries_issued
                                                                : r->query_latency.count
                                                                      ? r->query_latency.count
                                                                      : r->latency.count));
}

static void lg_check_errors(lg_test *t, lg_result *r) {
  if (r->samples_lost)
    lg_add_reason(r, LG_REASON_SAMPLES_LOST, "%llu of %llu issued samples never completed "
                  "(%llu completed)%s", (unsigned long long)r->samples_lost,
                  (unsigned long long)r->samples_issued, (unsigned long long)r->samples_completed,
                  t->hung ? "; the SUT stopped completing within drain_timeout" : "");
  if (r->duplicate_completions || r->unknown_completions)
    lg_add_reason(r, LG_REASON_SUT_ERRORS, "the SUT completed %llu ids twice and %llu unknown ids",
                  (unsigned long long)r->duplicate_completions,
                  (unsigned long long)r->unknown_completions);
  if (r->oversized_responses)
    lg_add_reason(r, LG_REASON_RESPONSES, "%llu responses were larger than %zu bytes",
                  (unsigned long long)r->oversized_responses, t->hooks.response_bytes_max);
  const lg_token_result *k = &r->tokens;
  if (k->enabled && (k->missing_first_token || k->missing_tokens || k->first_token_errors))
    lg_add_reason(r, LG_REASON_TOKENS, "use_token_latencies: %llu samples completed without a "
                  "first token (lg_first_token), %llu with fewer than 2 tokens (n_tokens), "
                  "%llu first tokens duplicate, unknown or after completion",
                  (unsigned long long)k->missing_first_token,
                  (unsigned long long)k->missing_tokens,
                  (unsigned long long)k->first_token_errors);
  uint32_t failed = atomic_load(&t->failed);
  if (failed)
    lg_add_reason(r, LG_REASON_SUT_FAILED, "%s",
                  failed == 2 ? t->fail_text : "(the SUT is still writing its reason)");
  else if (lg_test_stopping(t))
    lg_add_reason(r, LG_REASON_INTERRUPTED, "interrupted after %llu of the samples completed",
                  (unsigned long long)r->samples_completed);
}

/* Largest distance of [lo, hi] from the middle value, relative to it; INFINITY when
 * there is no interval or no positive middle. */
static double lg_rel_width(double mid, double lo, double hi) {
  if (!(mid > 0) || !(hi >= lo) || (lo == 0 && hi == 0)) return INFINITY;
  double d = fabs(mid - lo) > fabs(hi - mid) ? fabs(mid - lo) : fabs(hi - mid);
  return d / mid;
}

double lg_stable_rel(const lg_result *r) {
  if (r->scenario != LG_SERVER)
    return lg_rel_width(r->metric, r->metric_ci_low, r->metric_ci_high);
  /* the metric is the target: its interval is that of the arrival rate, centred on
   * the measured rate */
  double mid = (r->metric_ci_low + r->metric_ci_high) / 2;
  double a = lg_rel_width(mid, r->metric_ci_low, r->metric_ci_high);
  double b = lg_rel_width((double)r->latency_at_percentile_ns, (double)r->latency_ci_low_ns,
                          (double)r->latency_ci_high_ns);
  return a > b ? a : b;
}

void lg_metric_snapshot(lg_test *t, lg_result *r, uint64_t *buf) {
  const lg_settings *s = &t->s;
  lg_counts(t, r);
  lg_metric_names(r, s);
  size_t n = lg_sample_latencies(t, buf);
  lg_latency_stats_compute(buf, n, &r->latency);
  if (s->scenario == LG_SERVER) lg_server_metric(t, r, buf, n);
  if (s->scenario == LG_SINGLE_STREAM) lg_latency_metric(t, r, buf, n);
  if (s->scenario == LG_MULTI_STREAM) {
    n = lg_query_latencies(t, buf);
    lg_latency_stats_compute(buf, n, &r->query_latency);
    lg_latency_metric(t, r, buf, n);
  }
  if (s->scenario == LG_OFFLINE) {
    r->early_stopping_met = true;
    lg_offline_metric(t, r, buf);
  }
}

static void lg_check_stable(lg_test *t, lg_result *r) {
  const lg_settings *s = &t->s;
  r->stable_target = s->until_stable;
  r->stable_checks = t->stable_checks;
  if (!(s->until_stable > 0)) return;
  r->stable_rel = lg_stable_rel(r);
  r->stable_met = r->stable_rel <= s->until_stable;
  if (!r->stable_met)
    lg_add_reason(r, LG_REASON_UNSTABLE, "until_stable: the 99 %% interval of the %s is "
                  "+-%.3g %% of it, the target is %.3g %% (%s)",
                  s->scenario == LG_SERVER ? "arrival rate or latency" : "metric",
                  r->stable_rel * 100, s->until_stable * 100,
                  s->scenario == LG_OFFLINE ? "Offline is one query: raise min_duration"
                                            : "the run reached its maximum duration");
}

int lg_compute_result(lg_test *t) {
  lg_result *r = &t->result;
  const lg_settings *s = &t->s;
  memset(r, 0, sizeof *r);
  r->scenario = s->scenario;
  r->mode = s->mode;
  /* a completion arriving after the freeze reads a garbage id here: it can only fail
   * its state CAS and count as late, never change a record */
  uint64_t *buf = (uint64_t *)(void *)t->smp;
  for (size_t i = 0; i < t->count; i++)
    buf[i] = t->rec[i].issued_ns - t->rec[i].scheduled_ns;
  lg_latency_stats_compute(buf, t->count, &r->issue_delay);
  lg_metric_snapshot(t, r, buf);
  if (s->use_token_latencies && t->tok) lg_token_result_compute(t, r, buf);
  if (s->mode != LG_MODE_ACCURACY) {
    lg_check_minimums(t, r);
    lg_check_latency(t, r);
    if (s->mode == LG_MODE_PERFORMANCE) lg_check_stable(t, r);
  }
  lg_check_errors(t, r);
  r->valid = r->reason_count == 0;
  return LG_OK;
}

int lg_result_recompute(const lg_settings *s, const lg_record *rec, size_t n,
                        const lg_replay_counts *c, lg_result *out) {
  if (!s || !c || !out || (n && !rec)) return LG_EINVAL;
  int rc = LG_ENOMEM;
  lg_test *t = calloc(1, sizeof *t);
  if (!t) return LG_ENOMEM;
  t->smp = malloc((n ? n : 1) * sizeof *t->smp); /* the statistics' scratch array */
  if (!t->smp) goto fail_smp;
  t->s = t->requested = *s;
  t->rec = (lg_record *)rec; /* only read: lg_compute_result never writes records */
  t->count = n;
  t->queries = c->queries_issued;
  atomic_store(&t->duplicates, c->duplicate_completions);
  atomic_store(&t->unknown, c->unknown_completions);
  atomic_store(&t->late, c->late_completions);
  atomic_store(&t->oversized, c->oversized_responses);
  atomic_store(&t->stop, c->interrupted ? 1u : 0u);
  t->tok = (lg_token_record *)c->tokens; /* only read, like the records */
  atomic_store(&t->first_token_errors, c->first_token_errors);
  if (c->sut_failure) {
    lg_fmt(t->fail_text, sizeof t->fail_text, "%s", c->sut_failure);
    atomic_store(&t->failed, 2u);
  }
  rc = lg_compute_result(t);
  *out = t->result;
  free(t->smp);
fail_smp:
  free(t);
  return rc;
}

void lg_record_set_lost(lg_record *r, bool lost) {
  atomic_store_explicit((_Atomic uint32_t *)&r->state, lost ? LG_REC_LOST : LG_REC_DONE,
                        memory_order_relaxed);
}
