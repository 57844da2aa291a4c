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
 * queries, each within the bound with probability p, have at most t misses, i.e. the
 * binomial sum over k = 0..t misses. Summed downward from k = t, each term from the
 * previous by its ratio, stopping once terms no longer change the sum: O(sqrt(t))
 * work rather than O(t), so runs with millions of queries stay fast. */
static double lg_beta_reg(uint64_t h, uint64_t t, double p) {
  double n = (double)(h + t), q = 1.0 - p;
  double k = (double)t;
  double log_top = lg_log_choose(n, k) + k * log(q) + (n - k) * log(p);
  double term = 1.0, sum = 0.0; /* relative to exp(log_top) */
  for (uint64_t i = t;; i--) {
    sum += term;
    if (i == 0 || term < sum * 1e-18) break;
    k = (double)i;
    term *= k / (n - k + 1.0) * (p / q);
  }
  return exp(log_top + log(sum));
}

#define LG_Z_ONE_SIDED_99 2.3263478740408408

/* Normal-approximation guesses that only narrow the exact searches below. */
static double lg_guess_h(uint64_t t, double p) {
  double q = 1.0 - p, z = LG_Z_ONE_SIDED_99;
  double x = (z * sqrt(q * p) + sqrt(z * z * q * p + 4.0 * q * (double)t)) / (2.0 * q);
  double h = x * x - (double)t;
  return h > 1 ? h : 1;
}

typedef struct lg_es_args {
  uint64_t t, n;
  double p, confidence;
} lg_es_args;

static bool lg_h_ok(uint64_t h, const lg_es_args *a) {
  return lg_beta_reg(h, a->t, a->p) < 1.0 - a->confidence;
}

/* Narrow [*lo, *hi] to adjacent values, keeping pred(*hi) == at_hi != pred(*lo). */
static void lg_bisect(uint64_t *lo, uint64_t *hi, bool (*pred)(uint64_t, const lg_es_args *),
                      const lg_es_args *a, bool at_hi) {
  while (*hi - *lo > 1) {
    uint64_t mid = *lo + (*hi - *lo) / 2;
    *(pred(mid, a) == at_hi ? hi : lo) = mid;
  }
}

uint64_t lg_early_stopping_h(uint64_t t, double p, double confidence) {
  lg_es_args a = {t, 0, p, confidence};
  double g = lg_guess_h(t, p);
  uint64_t lo = (uint64_t)(g * 0.9), hi = (uint64_t)(g * 1.1) + 64;
  /* invariant: h = lo fails (or lo == 0), h = hi passes; h is the smallest passing */
  while (lo > 0 && lg_h_ok(lo, &a)) lo /= 2;
  while (!lg_h_ok(hi, &a)) {
    lo = hi;
    hi *= 2;
    if (hi > (1ULL << 50)) return UINT64_MAX;
  }
  lg_bisect(&lo, &hi, lg_h_ok, &a, true);
  return hi;
}

static bool lg_t_fits(uint64_t t, const lg_es_args *a) {
  uint64_t h = lg_early_stopping_h(t, a->p, a->confidence);
  return h != UINT64_MAX && h + t <= a->n;
}

bool lg_early_stopping_t(uint64_t n, double p, double confidence, uint64_t *t_out) {
  lg_es_args a = {0, n, p, confidence};
  *t_out = 0;
  if (!lg_t_fits(1, &a)) return false;
  /* h(t)+t grows with t: the largest t that fits, searched near the normal guess */
  double g = (double)n * (1.0 - p) - LG_Z_ONE_SIDED_99 * sqrt((double)n * p * (1.0 - p));
  uint64_t lo = g * 0.95 > 1 ? (uint64_t)(g * 0.95) : 1, hi = (uint64_t)(g * 1.05) + 8;
  while (lo > 1 && !lg_t_fits(lo, &a)) lo /= 2;
  if (!lg_t_fits(lo, &a)) lo = 1;
  while (lg_t_fits(hi, &a)) lo = hi, hi *= 2;
  lg_bisect(&lo, &hi, lg_t_fits, &a, false);
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
