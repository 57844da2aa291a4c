/*
 * loadgen/issue.c - the issuing loops of the four scenarios, in performance and
 * accuracy mode.
 *
 * Queries are generated as the run goes (never all up front), so a fast SUT cannot
 * run out of them. Every loop runs on the caller's thread; the SUT completes from any
 * thread. Server arrivals are Poisson (exponential gaps from schedule_rng_seed); the
 * issuing thread sleeps until shortly before each arrival and spins the rest, and a
 * sample's latency counts from its scheduled arrival, not from when it was issued.
 */
#include <math.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

#include "loadgen/lg_internal.h"

#define LG_SPIN_NS 150000ULL /* spin, rather than sleep, this close to an arrival */
#define LG_CHUNK 4096
#define LG_PREFAULT_MAX 8e6 /* records touched before the timed region, at most */

uint64_t lg_offline_query_size(const lg_settings *s) {
  double want = floor(1.1 * (double)s->min_duration_ms / 1000.0 * s->offline_expected_qps);
  uint64_t n = want > 1e12 ? (uint64_t)1e12 : (uint64_t)want;
  return n > s->min_query_count ? n : s->min_query_count;
}

size_t lg_expected_records(const lg_settings *s) {
  double secs = (double)s->min_duration_ms / 1000.0, q;
  uint64_t spq = lg_settings_samples_per_query(s);
  switch (s->scenario) {
    case LG_SINGLE_STREAM:
      q = secs * 1e9 / (double)(s->single_stream_expected_latency_ns + 1);
      break;
    case LG_MULTI_STREAM:
      q = secs * 1e9 / (double)(s->multi_stream_expected_latency_ns + 1);
      break;
    case LG_SERVER:
      q = secs * s->server_target_qps;
      break;
    default:
      return (size_t)lg_offline_query_size(s);
  }
  q = q * 1.02 + 64;
  if (q < (double)s->min_query_count) q = (double)s->min_query_count;
  if (s->max_query_count && q > (double)s->max_query_count) q = (double)s->max_query_count;
  /* records beyond this are faulted in as the run goes, not touched up front */
  if (q * (double)spq > LG_PREFAULT_MAX) q = LG_PREFAULT_MAX / (double)spq;
  return (size_t)q * spq;
}

static bool lg_limit_reached(const lg_test *t, uint64_t now_rel) {
  const lg_settings *s = &t->s;
  uint64_t max_ns = lg_max_duration_ns(s);
  return lg_test_stopping(t) || (max_ns && now_rel >= max_ns) ||
         (s->max_query_count && t->queries >= s->max_query_count);
}

static bool lg_minimums_met(const lg_test *t, uint64_t time_rel, uint64_t queries) {
  return time_rel >= t->s.min_duration_ms * 1000000ULL && queries >= t->s.min_query_count;
}

/* SingleStream and MultiStream: one query of spq samples at a time, the next one as
 * soon as the previous completes. */
static void lg_run_stream(lg_test *t, lg_selector *sel, uint32_t *idx) {
  size_t spq = (size_t)lg_settings_samples_per_query(&t->s);
  for (;;) {
    uint64_t now = lg_now_ns() - t->t0_ns;
    if (lg_limit_reached(t, now)) break;
    lg_selector_next(sel, &t->s, idx, spq);
    size_t first = lg_test_append(t, now, idx, spq);
    if (first == SIZE_MAX) break;
    lg_test_issue(t, first, spq, now, 1);
    if (!lg_test_wait(t, t->count, true, 0)) break;
    if (lg_minimums_met(t, now, t->queries) && lg_stable_enough(t)) break;
    lg_test_progress(t, now);
  }
}

/* Sleep until shortly before t0 + target_rel, then spin. False if a stop came first. */
static bool lg_wait_until(lg_test *t, uint64_t target_rel) {
  uint64_t target = t->t0_ns + target_rel;
  for (;;) {
    uint64_t now = lg_now_ns();
    if (now >= target) return true;
    if (lg_test_stopping(t)) return false;
    uint64_t left = target - now;
    if (left <= LG_SPIN_NS) {
      for (int i = 0; i < 64; i++) __asm__ __volatile__("" ::: "memory");
      continue;
    }
    uint64_t wake = left - LG_SPIN_NS > 50000000ULL ? now + 50000000ULL : target - LG_SPIN_NS;
    struct timespec ts = {(time_t)(wake / 1000000000ULL), (long)(wake % 1000000000ULL)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    lg_test_progress(t, lg_now_ns() - t->t0_ns);
  }
}

/* Server: Poisson arrivals at server_target_qps. Stops after the query scheduled at or
 * beyond min_duration once min_query_count is met. */
static void lg_run_server(lg_test *t, lg_selector *sel) {
  const lg_settings *s = &t->s;
  lg_rng rng;
  lg_rng_seed(&rng, s->schedule_rng_seed);
  double gap_ns = 1e9 / s->server_target_qps, sched_f = 0;
  uint64_t next = (uint64_t)(sched_f += -log(lg_rng_unit(&rng)) * gap_ns);
  uint32_t idx;
  for (;;) {
    if (lg_limit_reached(t, next) || !lg_wait_until(t, next)) break;
    uint64_t now = lg_now_ns() - t->t0_ns;
    if (s->server_max_async_queries && t->count >= s->server_max_async_queries &&
        !lg_test_wait(t, t->count - s->server_max_async_queries + 1, true, 0))
      break;
    size_t first = t->count, n = 0;
    bool met = false, full = false;
    do { /* one query, or with coalescing every query already due */
      lg_selector_next(sel, s, &idx, 1);
      if (lg_test_append(t, next, &idx, 1) == SIZE_MAX) {
        full = true;
        break;
      }
      n++;
      met = lg_minimums_met(t, next, t->queries + n);
      next = (uint64_t)(sched_f += -log(lg_rng_unit(&rng)) * gap_ns);
    } while (!met && s->server_coalesce_queries && next <= now);
    if (n) lg_test_issue(t, first, n, now, n);
    /* until_stable's check only after the issue, so it never holds a query back */
    if (full || (met && lg_stable_enough(t)) || lg_limit_reached(t, now))
      break; /* max_duration is wall time */
    lg_test_progress(t, now);
  }
}

/* Offline: every sample in one query, built before the timed region... */
static void lg_prepare_offline(lg_test *t, lg_selector *sel, uint32_t *idx) {
  uint64_t n = lg_offline_query_size(&t->s);
  for (uint64_t done = 0; done < n;) {
    size_t k = n - done < LG_CHUNK ? (size_t)(n - done) : LG_CHUNK;
    lg_selector_next(sel, &t->s, idx, k);
    if (lg_test_append(t, 0, idx, k) == SIZE_MAX) break;
    done += k;
  }
}

/* ...and issued at its start. */
static void lg_run_offline(lg_test *t) {
  lg_test_issue(t, 0, t->count, 0, 1);
  lg_test_wait(t, t->count, true, 0);
}

static void lg_timed(lg_test *t, bool start) {
  if (t->hooks.timed) t->hooks.timed(t->hooks.ctx, start);
}

/* Wait for the outstanding samples; after an interrupt, for at most drain_timeout. */
static void lg_drain(lg_test *t) {
  if (t->sut.flush) t->sut.flush(t->sut_ctx);
  if (t->hung || atomic_load(&t->failed)) return; /* a failed SUT completes nothing */
  uint64_t deadline = lg_test_stopping(t) ? lg_now_ns() + t->s.drain_timeout_ms * 1000000ULL : 0;
  lg_test_wait(t, t->count, false, deadline);
}

static int lg_qsl_call(lg_test *t, bool load, const uint64_t *idx, size_t n) {
  int (*fn)(void *, const uint64_t *, size_t) = load ? t->qsl.load : t->qsl.unload;
  if (!fn || fn(t->qsl_ctx, idx, n) == 0) return LG_OK;
  lg_fmt(t->error, sizeof t->error, "QSL '%s' failed to %s %zu samples",
         t->qsl.name ? t->qsl.name : "?", load ? "load" : "unload", n);
  return LG_EQSL;
}

int lg_run_performance(lg_test *t) {
  lg_selector sel;
  uint64_t total = t->qsl.total_sample_count;
  uint64_t pcount = lg_performance_sample_count(&t->s, &t->qsl);
  lg_test_reset_run(t);
  int rc = lg_selector_init(&sel, &t->s, total, pcount);
  if (rc) return rc;
  uint32_t *idx = malloc(LG_CHUNK > t->s.multi_stream_samples_per_query
                             ? LG_CHUNK * sizeof *idx
                             : t->s.multi_stream_samples_per_query * sizeof *idx);
  rc = idx ? lg_test_reserve(t, lg_expected_records(&t->s)) : LG_ENOMEM;
  if (rc) goto out;
  rc = lg_qsl_call(t, true, sel.loaded, (size_t)pcount);
  if (rc) goto out;
  int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
  t->next_progress_ns = t->progress_last_ns = t->progress_last_completed = 0;
  if (t->s.scenario == LG_OFFLINE) lg_prepare_offline(t, &sel, idx);
  lg_timed(t, true);
  t->t0_ns = lg_now_ns();
  if (t->s.scenario == LG_SERVER)
    lg_run_server(t, &sel);
  else if (t->s.scenario == LG_OFFLINE)
    lg_run_offline(t);
  else
    lg_run_stream(t, &sel, idx);
  lg_drain(t);
  lg_timed(t, false);
  if (slack > 0) prctl(PR_SET_TIMERSLACK, (unsigned long)slack, 0, 0, 0);
  lg_test_freeze(t);
  /* unload first: a SUT must not read the issued samples after it (results.c reuses
   * their memory) */
  int urc = lg_qsl_call(t, false, sel.loaded, (size_t)pcount);
  rc = lg_compute_result(t);
  if (rc == LG_OK) rc = urc;
out:
  free(idx);
  lg_selector_destroy(&sel);
  return rc;
}

/* ---- accuracy mode: every sample once, in loadable sets ------------------------------ */
static void lg_issue_accuracy_set(lg_test *t, const uint64_t *set, size_t n) {
  size_t per = t->s.scenario == LG_OFFLINE       ? n
               : t->s.scenario == LG_MULTI_STREAM ? (size_t)t->s.multi_stream_samples_per_query
                                                  : 1;
  uint32_t idx[LG_CHUNK];
  for (size_t i = 0; i < n && !lg_test_stopping(t);) {
    size_t k = n - i < per ? n - i : per, first = t->count;
    for (size_t j = 0; j < k; j += LG_CHUNK) {
      size_t m = k - j < LG_CHUNK ? k - j : LG_CHUNK;
      for (size_t x = 0; x < m; x++) idx[x] = (uint32_t)set[i + j + x];
      uint64_t now = lg_now_ns() - t->t0_ns;
      if (lg_test_append(t, now, idx, m) == SIZE_MAX) return;
    }
    lg_test_issue(t, first, k, lg_now_ns() - t->t0_ns, 1);
    i += k;
    /* Server issues back to back; the others wait for each query */
    if (t->s.scenario != LG_SERVER && t->s.scenario != LG_OFFLINE &&
        !lg_test_wait(t, t->count, true, 0))
      return;
  }
  lg_test_wait(t, t->count, true, 0);
}

int lg_run_accuracy(lg_test *t) {
  uint64_t total = t->qsl.total_sample_count;
  uint64_t count = t->s.accuracy_sample_count_override &&
                           t->s.accuracy_sample_count_override < total
                       ? t->s.accuracy_sample_count_override
                       : total;
  uint64_t per = lg_performance_sample_count(&t->s, &t->qsl);
  lg_test_reset_run(t);
  int rc = lg_test_reserve(t, (size_t)count);
  uint64_t *set = rc ? NULL : malloc(per * sizeof *set);
  if (!rc && !set) rc = LG_ENOMEM;
  lg_timed(t, true);
  t->t0_ns = lg_now_ns();
  for (uint64_t base = 0; !rc && base < count && !lg_test_stopping(t); base += per) {
    size_t n = (size_t)(count - base < per ? count - base : per);
    for (size_t i = 0; i < n; i++) set[i] = base + i;
    rc = lg_qsl_call(t, true, set, n);
    if (rc) break;
    lg_issue_accuracy_set(t, set, n);
    lg_drain(t);
    rc = lg_qsl_call(t, false, set, n);
    if (t->hung) break;
  }
  lg_timed(t, false);
  free(set);
  if (rc) return rc;
  lg_test_freeze(t);
  return lg_compute_result(t);
}
