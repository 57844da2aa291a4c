/*
 * loadgen/stats.c - percentiles, latency summaries, MLPerf early stopping and
 * distribution-free confidence intervals. Pure functions: no state, no I/O.
 */
#include <math.h>
#include <stdlib.h>

#include "loadgen/lg_internal.h"

uint64_t lg_percentile(const uint64_t *sorted, size_t n, double p) {
  size_t i = (size_t)floor((double)n * p);
  if (i >= n) i = n - 1;
  return sorted[i];
}

static int lg_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

void lg_latency_stats_compute(uint64_t *values, size_t n, lg_latency_stats *out) {
  *out = (lg_latency_stats){0};
  if (!n) return;
  qsort(values, n, sizeof *values, lg_cmp_u64);
  long double sum = 0;
  for (size_t i = 0; i < n; i++) sum += values[i];
  out->count = n;
  out->min_ns = values[0];
  out->max_ns = values[n - 1];
  out->mean_ns = (double)(sum / n);
  out->p50_ns = lg_percentile(values, n, 0.50);
  out->p90_ns = lg_percentile(values, n, 0.90);
  out->p95_ns = lg_percentile(values, n, 0.95);
  out->p97_ns = lg_percentile(values, n, 0.97);
  out->p99_ns = lg_percentile(values, n, 0.99);
  out->p999_ns = lg_percentile(values, n, 0.999);
}

/* log of C(n, k) */
static double lg_log_choose(double n, double k) {
  return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

/* BetaRegularized(p; h, 1+t) for integer h, t: the probability that h+t independent
 * queries, each within the bound with probability p, have at most t misses. */
static double lg_beta_reg(uint64_t h, uint64_t t, double p) {
  double n = (double)(h + t), lp = log(p), lq = log1p(-p);
  double terms_max = -INFINITY, sum = 0;
  /* log-sum-exp over k = 0..t misses */
  for (uint64_t k = 0; k <= t; k++) {
    double v = lg_log_choose(n, (double)k) + (double)k * lq + (n - (double)k) * lp;
    if (v > terms_max) {
      sum = sum * exp(terms_max - v) + 1.0;
      terms_max = v;
    } else {
      sum += exp(v - terms_max);
    }
  }
  return exp(terms_max + log(sum));
}

uint64_t lg_early_stopping_h(uint64_t t, double p, double confidence) {
  double alpha = 1.0 - confidence;
  uint64_t lo = 0, hi = 1;
  while (lg_beta_reg(hi, t, p) >= alpha) {
    lo = hi;
    hi *= 2;
    if (hi > (1ULL << 50)) return UINT64_MAX;
  }
  /* invariant: beta(lo) >= alpha (or lo == 0), beta(hi) < alpha */
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (lg_beta_reg(mid, t, p) < alpha)
      hi = mid;
    else
      lo = mid;
  }
  return hi;
}

bool lg_early_stopping_t(uint64_t n, double p, double confidence, uint64_t *t_out) {
  *t_out = 0;
  if (n < lg_early_stopping_h(1, p, confidence) + 1) return false;
  /* h(t)+t grows with t: find the largest t with n >= h(t)+t by doubling + bisection */
  uint64_t lo = 1, hi = 2;
  while (hi < n && lg_early_stopping_h(hi, p, confidence) + hi <= n) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (lg_early_stopping_h(mid, p, confidence) + mid <= n)
      lo = mid;
    else
      hi = mid;
  }
  *t_out = lo;
  return true;
}

/* z with P(|Z| <= z) = confidence, by bisection on erfc. */
static double lg_normal_z(double confidence) {
  double lo = 0, hi = 10;
  for (int i = 0; i < 100; i++) {
    double mid = (lo + hi) / 2;
    if (erfc(mid / sqrt(2.0)) > 1.0 - confidence)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

void lg_quantile_ci(size_t n, double p, double confidence, size_t *lo, size_t *hi) {
  double z = lg_normal_z(confidence);
  double centre = (double)n * p, half = z * sqrt((double)n * p * (1.0 - p));
  double l = floor(centre - half), h = ceil(centre + half);
  *lo = l < 0 ? 0 : (size_t)l;
  *hi = h > (double)n - 1 ? (n ? n - 1 : 0) : (size_t)h;
}
