/*
 * loadgen/peak.c - find-peak mode: the highest Server target QPS whose run is VALID.
 *
 * LoadGen doubles the target until a full-length run fails, then bisects to 0.1 qps
 * with full-length runs. Here the search uses short probes (find_peak_probe_duration,
 * default a quarter of min_duration) judged on the latency bound alone:
 *  1. a saturation probe issues as fast as the SUT completes and measures its capacity C;
 *  2. queueing theory gives the first guess: with service time S = 1/C, an M/D/1 queue's
 *     p99 wait is about 2.3 S rho / (1 - rho), so the bound B is met up to
 *     rho = 1 / (1 + 2.3 S / B); the guess is C times that;
 *  3. the guess brackets the peak (halving below it while probes fail), then bisection
 *     to a relative precision (find_peak_precision, default 1 %);
 *  4. one full-length confirming run; if it is not VALID the target steps down and
 *     confirms again.
 */
#include <string.h>

#include "loadgen/lg_internal.h"

#define LG_MAX_CONFIRMS 4

typedef struct lg_search {
  lg_peak_probe probes[LG_MAX_PROBES];
  size_t n;
} lg_search;

#define LG_SATURATE_QPS 1e9
#define LG_SATURATE_OUTSTANDING 1024

/* One Server run at qps lasting dur_ms; returns whether it passed (`full`: every
 * validity rule; else the latency bound and no lost samples or SUT errors). At
 * LG_SATURATE_QPS every arrival is already due: the run lasts dur_ms of wall time. */
static bool lg_probe(lg_test *t, lg_search *sr, double qps, uint64_t dur_ms, bool full,
                     int *rc) {
  t->s = t->requested;
  t->s.mode = LG_MODE_PERFORMANCE;
  t->s.server_target_qps = qps;
  t->s.min_duration_ms = dur_ms;
  if (qps >= LG_SATURATE_QPS || (t->s.max_duration_ms && t->s.max_duration_ms < dur_ms))
    t->s.max_duration_ms = dur_ms;
  if (qps >= LG_SATURATE_QPS && !t->s.server_max_async_queries)
    t->s.server_max_async_queries = LG_SATURATE_OUTSTANDING; /* bounded backlog to drain */
  *rc = lg_run_performance(t);
  const lg_result *r = &t->result;
  bool ok = *rc == LG_OK && (full ? r->valid
                                  : r->latency_bound_met && !r->samples_lost &&
                                        !r->duplicate_completions && !r->unknown_completions);
  if (sr->n < LG_MAX_PROBES)
    sr->probes[sr->n++] = (lg_peak_probe){qps, ok, r->latency_at_percentile_ns, dur_ms};
  lg_test_log(t, "find_peak", "%s at %.1f qps for %llu ms: %s (p%.4g latency %llu ns)",
              full ? "confirming run" : "probe", qps, (unsigned long long)dur_ms,
              ok ? "pass" : "fail", r->latency_percentile * 100,
              (unsigned long long)r->latency_at_percentile_ns);
  return ok;
}

static bool lg_search_done(const lg_test *t, const lg_search *sr, int rc) {
  return rc != LG_OK || lg_test_stopping(t) || sr->n >= LG_MAX_PROBES - LG_MAX_CONFIRMS;
}

int lg_run_find_peak(lg_test *t) {
  lg_search sr = {.n = 0};
  double prec = t->requested.find_peak_precision, q = t->requested.server_target_qps;
  uint64_t probe_ms = t->requested.find_peak_probe_ms ? t->requested.find_peak_probe_ms
                                                      : t->requested.min_duration_ms / 4;
  double lo = 0, hi = 0;
  int rc = LG_OK;
  if (probe_ms == 0) probe_ms = 1;
  /* capacity, then the queueing-theory guess (the requested target if lower) */
  lg_probe(t, &sr, LG_SATURATE_QPS, probe_ms, false, &rc);
  double cap = t->result.samples_per_s;
  double bound_s = (double)t->requested.server_target_latency_ns / 1e9;
  if (cap > 0 && rc == LG_OK) {
    hi = cap * (1 + prec);
    q = cap / (1 + 2.3 / (cap * bound_s));
    lg_test_log(t, "find_peak", "capacity %.1f samples/s; first guess %.1f qps", cap, q);
  }
  /* bracket: halve while failing */
  while (!lg_search_done(t, &sr, rc) && lo == 0 && q > 1e-3) {
    if (lg_probe(t, &sr, q, probe_ms, false, &rc))
      lo = q;
    else
      hi = q, q /= 2;
  }
  /* bisect to the relative precision */
  while (!lg_search_done(t, &sr, rc) && lo > 0 && hi > lo && hi - lo > prec * lo) {
    double mid = (lo + hi) / 2;
    *(lg_probe(t, &sr, mid, probe_ms, false, &rc) ? &lo : &hi) = mid;
  }
  /* confirm at full length, stepping down on failure */
  double peak = 0;
  for (int i = 0; i < LG_MAX_CONFIRMS && lo > 0 && rc == LG_OK && !lg_test_stopping(t); i++) {
    if (lg_probe(t, &sr, lo, t->requested.min_duration_ms, true, &rc)) {
      peak = lo;
      break;
    }
    lo *= 1 - 2 * prec;
  }
  t->s.mode = LG_MODE_FIND_PEAK;
  t->result.mode = LG_MODE_FIND_PEAK;
  t->result.peak_qps = peak;
  t->result.probe_count = sr.n;
  memcpy(t->result.probes, sr.probes, sr.n * sizeof sr.probes[0]);
  if (peak == 0 && rc == LG_OK) {
    t->result.valid = false;
    if (t->result.reason_count < LG_MAX_REASONS) {
      t->result.reasons[t->result.reason_count] = LG_REASON_LATENCY_BOUND;
      lg_fmt(t->result.reason_text[t->result.reason_count++], LG_REASON_TEXT,
             "find-peak found no target QPS with a VALID full-length run");
    }
  }
  return rc;
}
