/*
 * loadgen/test.c - the lg_test object: per-sample records, the lock-free completion
 * path, waiting for completions, and the run entry point.
 *
 * Records live in one virtual reservation (mmap, MAP_NORESERVE) sized for far more
 * samples than any run needs; the part the settings predict is touched before the
 * timed region, so the hot path neither allocates nor takes a lock. A record is
 * completed by one compare-and-swap on its state, which also detects duplicates; the
 * freeze at the end of a run turns every record still open into LOST with the same CAS,
 * so a late completion can never race with the statistics. With use_token_latencies a
 * second reservation holds each record's first-token time (set once by a CAS from 0)
 * and its token count (written before the record turns DONE).
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/lg_internal.h"

#define LG_PROGRESS_NS 250000000ULL
#define LG_SPIN_ITERS 4000

uint64_t lg_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void lg_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static void lg_futex_wait(_Atomic uint32_t *addr, uint32_t expected, uint64_t timeout_ns) {
  struct timespec ts = {(time_t)(timeout_ns / 1000000000ULL),
                        (long)(timeout_ns % 1000000000ULL)};
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, expected, &ts, NULL, 0);
}

static void lg_futex_wake(_Atomic uint32_t *addr) {
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, 1 << 30, NULL, NULL, 0);
}

void lg_test_log(lg_test *t, const char *key, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (t->hooks.log) t->hooks.log(t->hooks.ctx, key, msg);
}

/* ---- reservation ------------------------------------------------------------------- */
static void *lg_reserve(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static void lg_release(lg_test *t) {
  if (t->rec) munmap(t->rec, t->map_bytes_rec);
  if (t->smp) munmap(t->smp, t->map_bytes_smp);
  if (t->tok) munmap(t->tok, t->map_bytes_tok);
  t->tok = NULL;
  free(t->resp);
  free(t->resp_size);
  t->rec = NULL, t->smp = NULL, t->resp = NULL, t->resp_size = NULL;
  t->cap = 0;
  lg_stable_release(t);
}

/* Reserve room for `count` records: virtual space for many more (a fast SUT must never
 * run out), the predicted part touched now, outside the timed region. */
int lg_test_reserve(lg_test *t, size_t count) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  size_t phys = pages > 0 && page > 0 ? (size_t)pages * (size_t)page : (size_t)1 << 34;
  size_t per = sizeof(lg_record) + sizeof(lg_sample);
  size_t cap = phys / 2 / per; /* half the machine's memory at most */
  if (count > cap) count = cap;
  if (cap > (size_t)UINT32_MAX) cap = UINT32_MAX;
  if (t->cap < cap || (t->hooks.response_bytes_max && !t->resp)) {
    lg_release(t);
    t->rec = lg_reserve(cap * sizeof(lg_record));
    t->smp = lg_reserve(cap * sizeof(lg_sample));
    t->map_bytes_rec = cap * sizeof(lg_record);
    t->map_bytes_smp = cap * sizeof(lg_sample);
    if (!t->rec || !t->smp) goto fail;
    t->cap = cap;
  }
  if (t->s.use_token_latencies && !t->tok) {
    t->map_bytes_tok = t->cap * sizeof(lg_token_record);
    t->tok = lg_reserve(t->map_bytes_tok);
    if (!t->tok) goto fail;
  }
  memset(t->rec, 0, count * sizeof(lg_record));
  memset(t->smp, 0, count * sizeof(lg_sample));
  if (t->tok) memset(t->tok, 0, count * sizeof(lg_token_record));
  if (t->hooks.response_bytes_max && t->s.mode == LG_MODE_ACCURACY) {
    free(t->resp);
    free(t->resp_size);
    t->resp = malloc(count * t->hooks.response_bytes_max);
    t->resp_size = calloc(count, sizeof *t->resp_size);
    if (!t->resp || !t->resp_size) goto fail;
  }
  return LG_OK;
fail:
  lg_release(t);
  lg_fmt(t->error, sizeof t->error, "cannot reserve memory for %zu sample records", count);
  return LG_ENOMEM;
}

void lg_test_reset_run(lg_test *t) {
  t->count = 0;
  t->queries = 0;
  t->hung = false;
  t->capacity_hit = false;
  t->stable_next = 0, t->stable_checks = 0;
  atomic_store(&t->published, 0);
  atomic_store(&t->completed, 0);
  atomic_store(&t->dropped, 0);
  atomic_store(&t->duplicates, 0);
  atomic_store(&t->unknown, 0);
  atomic_store(&t->late, 0);
  atomic_store(&t->oversized, 0);
  atomic_store(&t->first_token_errors, 0);
  atomic_store(&t->frozen, 0);
  memset(&t->result, 0, sizeof t->result);
}

/* ---- issuing ------------------------------------------------------------------------- */
size_t lg_test_append(lg_test *t, uint64_t scheduled_ns, const uint32_t *indices,
                      size_t n) {
  if (t->count + n > t->cap) {
    if (!t->capacity_hit)
      lg_test_log(t, "warning", "record reservation full at %zu samples: issuing stops",
                  t->count);
    t->capacity_hit = true;
    return SIZE_MAX;
  }
  size_t first = t->count;
  for (size_t i = 0; i < n; i++) {
    lg_record *r = &t->rec[first + i];
    r->scheduled_ns = scheduled_ns;
    r->sample_index = indices[i];
    r->completed_ns = 0;
    r->state = LG_REC_ISSUED;
    t->smp[first + i].id = first + i;
    t->smp[first + i].index = indices[i];
    if (t->tok) t->tok[first + i] = (lg_token_record){0, 0};
  }
  t->count += n;
  return first;
}

void lg_test_issue(lg_test *t, size_t first, size_t n, uint64_t issued_ns,
                   uint64_t queries) {
  for (size_t i = 0; i < n; i++) t->rec[first + i].issued_ns = issued_ns;
  atomic_store_explicit(&t->published, first + n, memory_order_release);
  t->queries += queries;
  t->sut.issue(t->sut_ctx, t, &t->smp[first], n);
}

/* ---- completion (any thread, lock-free, allocation-free) ---------------------------- */
static bool lg_complete_one(lg_test *t, const lg_response *r, uint64_t when,
                            uint64_t published) {
  if (r->id >= published) {
    atomic_fetch_add_explicit(&t->unknown, 1, memory_order_relaxed);
    return false;
  }
  lg_record *rec = &t->rec[r->id];
  _Atomic uint32_t *state = (_Atomic uint32_t *)&rec->state;
  uint32_t expect = LG_REC_ISSUED;
  if (!atomic_compare_exchange_strong_explicit(state, &expect, LG_REC_COMPLETING,
                                               memory_order_acquire,
                                               memory_order_relaxed)) {
    if (expect == LG_REC_LOST)
      atomic_fetch_add_explicit(&t->late, 1, memory_order_relaxed);
    else
      atomic_fetch_add_explicit(&t->duplicates, 1, memory_order_relaxed);
    return false;
  }
  rec->completed_ns = when > t->t0_ns ? when - t->t0_ns : 1;
  if (t->tok) t->tok[r->id].n_tokens = r->n_tokens;
  if (t->resp && r->data) {
    if (r->size <= t->hooks.response_bytes_max) {
      memcpy(t->resp + r->id * t->hooks.response_bytes_max, r->data, r->size);
      t->resp_size[r->id] = (uint32_t)r->size;
    } else {
      atomic_fetch_add_explicit(&t->oversized, 1, memory_order_relaxed);
    }
  }
  atomic_store_explicit(state, LG_REC_DONE, memory_order_release);
  return true;
}

void lg_complete_at(lg_test *t, const lg_response *responses, size_t n,
                    uint64_t completed_ns) {
  uint64_t published = atomic_load_explicit(&t->published, memory_order_acquire);
  uint64_t done = 0;
  for (size_t i = 0; i < n; i++)
    done += lg_complete_one(t, &responses[i], completed_ns, published);
  if (!done) return;
  atomic_fetch_add(&t->completed, done);
  if (atomic_load(&t->waiting)) {
    atomic_fetch_add(&t->wake_seq, 1);
    lg_futex_wake(&t->wake_seq);
  }
}

void lg_test_drop(lg_test *t, uint64_t n) {
  if (!t || !n) return;
  atomic_fetch_add(&t->dropped, n);
  if (atomic_load(&t->waiting)) {
    atomic_fetch_add(&t->wake_seq, 1);
    lg_futex_wake(&t->wake_seq);
  }
}

void lg_complete(lg_test *t, const lg_response *responses, size_t n) {
  lg_complete_at(t, responses, n, lg_now_ns());
}

/* One first token: set once while the record is still open; anything else is counted. */
static void lg_first_token_one(lg_test *t, uint64_t id, uint64_t rel, uint64_t published) {
  bool ok = id < published;
  if (ok) {
    _Atomic uint32_t *state = (_Atomic uint32_t *)&t->rec[id].state;
    _Atomic uint64_t *slot = (_Atomic uint64_t *)&t->tok[id].first_token_ns;
    uint64_t expect = 0;
    ok = atomic_load_explicit(state, memory_order_acquire) == LG_REC_ISSUED &&
         atomic_compare_exchange_strong_explicit(slot, &expect, rel, memory_order_release,
                                                 memory_order_relaxed);
  }
  if (!ok) atomic_fetch_add_explicit(&t->first_token_errors, 1, memory_order_relaxed);
}

void lg_first_token_at(lg_test *t, const lg_response *responses, size_t n,
                       uint64_t first_token_ns) {
  if (!t->tok) return;
  uint64_t published = atomic_load_explicit(&t->published, memory_order_acquire);
  uint64_t rel = first_token_ns > t->t0_ns ? first_token_ns - t->t0_ns : 1;
  for (size_t i = 0; i < n; i++) lg_first_token_one(t, responses[i].id, rel, published);
}

void lg_first_token(lg_test *t, const lg_response *responses, size_t n) {
  lg_first_token_at(t, responses, n, lg_now_ns());
}

/* ---- waiting ------------------------------------------------------------------------ */
bool lg_test_stopping(const lg_test *t) {
  return atomic_load_explicit(&((lg_test *)t)->stop, memory_order_relaxed) != 0;
}

void lg_test_progress(lg_test *t, uint64_t now_rel_ns) {
  if (!t->hooks.progress || now_rel_ns < t->next_progress_ns) return;
  uint64_t done = atomic_load_explicit(&t->completed, memory_order_relaxed);
  lg_progress p = {now_rel_ns, t->s.min_duration_ms * 1000000ULL, t->count, done, 0};
  if (now_rel_ns > t->progress_last_ns)
    p.completed_per_s = (double)(done - t->progress_last_completed) * 1e9 /
                        (double)(now_rel_ns - t->progress_last_ns);
  t->progress_last_completed = done;
  t->progress_last_ns = now_rel_ns;
  t->next_progress_ns = now_rel_ns + LG_PROGRESS_NS;
  t->hooks.progress(t->hooks.ctx, &p);
}

/* Samples the SUT is done with: completed, or dropped after a stop (lg_test_drop). */
static uint64_t lg_settled(lg_test *t) {
  return atomic_load_explicit(&t->completed, memory_order_acquire) + atomic_load(&t->dropped);
}

bool lg_test_wait(lg_test *t, uint64_t target, bool interruptible, uint64_t deadline_ns) {
  for (int i = 0; i < LG_SPIN_ITERS; i++) {
    if (lg_settled(t) >= target) return true;
    lg_cpu_relax();
  }
  uint64_t timeout = t->s.drain_timeout_ms * 1000000ULL;
  uint64_t last = lg_settled(t), last_change = lg_now_ns();
  for (;;) {
    uint32_t seq = atomic_load(&t->wake_seq);
    atomic_store(&t->waiting, 1);
    uint64_t done = lg_settled(t);
    uint64_t now = lg_now_ns();
    if (done >= target) break;
    if (interruptible && lg_test_stopping(t)) break;
    if (deadline_ns && now >= deadline_ns) break;
    if (done != last) last = done, last_change = now;
    if (now - last_change >= timeout) {
      t->hung = true;
      lg_test_log(t, "error", "no completion for %llu ms with %llu of %llu samples done: "
                  "the SUT stopped completing", (unsigned long long)t->s.drain_timeout_ms,
                  (unsigned long long)done, (unsigned long long)target);
      break;
    }
    lg_test_progress(t, now - t->t0_ns);
    uint64_t left = timeout - (now - last_change);
    lg_futex_wait(&t->wake_seq, seq, left < 50000000ULL ? left : 50000000ULL);
  }
  atomic_store(&t->waiting, 0);
  return lg_settled(t) >= target;
}

void lg_test_freeze(lg_test *t) {
  for (size_t i = 0; i < t->count; i++) {
    _Atomic uint32_t *state = (_Atomic uint32_t *)&t->rec[i].state;
    uint32_t expect = LG_REC_ISSUED;
    if (atomic_compare_exchange_strong(state, &expect, LG_REC_LOST)) continue;
    while (atomic_load_explicit(state, memory_order_acquire) == LG_REC_COMPLETING)
      lg_cpu_relax();
  }
  atomic_store(&t->frozen, 1);
}

bool lg_record_lost(const lg_record *r) {
  return atomic_load_explicit((_Atomic uint32_t *)&r->state, memory_order_acquire) !=
         LG_REC_DONE;
}

/* ---- lifecycle ------------------------------------------------------------------------ */
int lg_test_init(lg_test **out, const lg_settings *settings, const lg_sut_ops *sut,
                 void *sut_ctx, const lg_qsl_ops *qsl, void *qsl_ctx,
                 const lg_hooks *hooks) {
  if (!out) return LG_EINVAL;
  *out = NULL;
  if (!settings || !sut || !sut->issue || !qsl) return LG_EINVAL;
  lg_test *t = calloc(1, sizeof *t);
  if (!t) return LG_ENOMEM;
  t->s = t->requested = *settings;
  t->sut = *sut, t->sut_ctx = sut_ctx;
  t->qsl = *qsl, t->qsl_ctx = qsl_ctx;
  if (hooks) t->hooks = *hooks;
  *out = t;
  int rc = lg_settings_validate(settings, t->error, sizeof t->error);
  if (rc == LG_OK && (qsl->total_sample_count == 0 ||
                      qsl->total_sample_count > UINT32_MAX)) {
    lg_fmt(t->error, sizeof t->error, "QSL '%s': total_sample_count %llu must be in "
           "1..%u", qsl->name ? qsl->name : "?",
           (unsigned long long)qsl->total_sample_count, UINT32_MAX);
    rc = LG_ECONFIG;
  }
  if (rc == LG_OK && settings->performance_issue_same &&
      settings->performance_issue_same_index >= lg_performance_sample_count(settings, qsl)) {
    lg_fmt(t->error, sizeof t->error, "performance_issue_same_index: %llu: must be below "
           "the performance sample count %llu",
           (unsigned long long)settings->performance_issue_same_index,
           (unsigned long long)lg_performance_sample_count(settings, qsl));
    rc = LG_ECONFIG;
  }
  return rc;
}

int lg_test_run(lg_test *t) {
  if (!t) return LG_EINVAL;
  if (t->error[0]) return LG_ECONFIG;
  t->s = t->requested;
  int rc;
  switch (t->s.mode) {
    case LG_MODE_ACCURACY:
      rc = lg_run_accuracy(t);
      break;
    case LG_MODE_FIND_PEAK:
      rc = lg_run_find_peak(t);
      break;
    default:
      rc = lg_run_performance(t);
      break;
  }
  return rc;
}

void lg_test_request_stop(lg_test *t) {
  if (t) atomic_store(&t->stop, 1);
}

void lg_test_fail(lg_test *t, const char *why) {
  uint32_t expect = 0;
  if (!t || !atomic_compare_exchange_strong(&t->failed, &expect, 1)) return;
  lg_fmt(t->fail_text, sizeof t->fail_text, "%s", why ? why : "(no reason given)");
  atomic_store(&t->failed, 2);
  atomic_store(&t->stop, 1);
}

const char *lg_test_error(const lg_test *t) { return t ? t->error : ""; }

void lg_test_destroy(lg_test *t) {
  if (!t) return;
  lg_release(t);
  free(t);
}

const lg_result *lg_test_result(const lg_test *t) { return &t->result; }
const lg_settings *lg_test_settings(const lg_test *t) { return &t->s; }

const lg_record *lg_test_records(const lg_test *t, size_t *count) {
  if (count) *count = t->count;
  return t->rec;
}

const lg_token_record *lg_test_token_records(const lg_test *t, size_t *count) {
  if (count) *count = t->tok ? t->count : 0;
  return t->tok;
}

const void *lg_test_response(const lg_test *t, size_t record, size_t *size) {
  if (!t->resp || record >= t->count || lg_record_lost(&t->rec[record])) return NULL;
  if (size) *size = t->resp_size[record];
  return t->resp + record * t->hooks.response_bytes_max;
}
