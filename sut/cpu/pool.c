/*
 * sut/cpu/pool.c - worker threads fed through a lock-free ring of sample ranges.
 *
 * The queue. One producer (the issuing thread) and W consumers (workers).
 *   - ring[SUT_POOL_JOBS]: job = {test, samples, n, chunk, done}. The issuer fills
 *     ring[head % JOBS] and then advances `head` (release): the samples are not
 *     copied, so issuing a million-sample Offline query costs the same as one.
 *   - claim: one 64-bit word (ticket << 32 | offset), the first sample no worker has
 *     taken yet. A worker reads it, reads the job's n and chunk, and moves it forward
 *     by up to `chunk` samples with one CAS - to (ticket + 1, 0) when that finishes
 *     the job. Offsets stay < n, so a (ticket, offset) value never repeats (until
 *     the 32-bit ticket wraps, 4 billion issues later) and a stale read can only make
 *     the CAS fail: no ABA, and a job's fields are read only after a successful
 *     claim, when they cannot change.
 *   - done: each worker adds the samples it finished. The issuer reuses a slot only
 *     when its done == n (checked lazily, when the ring is full), so a claimed job
 *     stays put until its last sample is completed.
 *   - chunk = n / (4 x workers), clamped to [1, batch]: a big Offline query is handed
 *     out `batch` samples at a time, a MultiStream query of 8 one at a time so all
 *     workers share it, and a single sample goes to whichever worker claims first.
 * Sleeping. A worker with nothing to claim spins for spin_ns, then announces itself
 * in `sleepers`, re-checks for work and sleeps on the futex word `wake_seq`. The
 * issuer stores head and then reads sleepers (both seq_cst): either the worker sees
 * the new job or the issuer sees the sleeper and bumps wake_seq + FUTEX_WAKE. So the
 * issue path makes a syscall only when a worker actually sleeps.
 */
#include "sut/cpu/pool.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sut/cpu/exec.h"

#define JOB_MASK (SUT_POOL_JOBS - 1u)
#define JOB_MAX_SAMPLES 0x7FFFFFFFu /* larger issues are split into several jobs */

typedef struct sut_job {
  _Atomic uint32_t n;
  _Atomic uint32_t chunk;
  _Atomic uint32_t done;
  lg_test *test;
  const lg_sample *samples;
} sut_job;

typedef struct sut_worker {
  sut_pool *pool;
  unsigned id;
  int tid;                /* Linux thread id (gettid), set before `ready` */
  pthread_t thread;
  sut_exec exec;
  int exec_rc;
  int pin_rc;
  char pin_why[64];
  char cpus[64];          /* read back from inside the thread */
} sut_worker;

struct sut_pool {
  _Alignas(64) _Atomic uint64_t claim;
  _Alignas(64) _Atomic uint32_t head;
  _Atomic uint32_t wake_seq;
  _Atomic uint32_t sleepers;
  _Atomic bool stopping;
  _Alignas(64) _Atomic unsigned ready;
  uint32_t reclaim;       /* issuer only: jobs before it are finished */
  uint64_t issue_stalls;  /* issuer only */
  uint64_t discarded;     /* issuer only */
  sut_pool_config config;
  const wl_model *model;
  const sut_store *store;
  _Atomic uint64_t *not_loaded;
  unsigned started;       /* threads created */
  sut_worker *workers;
  sut_job *ring;
};

typedef struct sut_claim {
  sut_job *job;
  uint32_t first;
  uint32_t count;
} sut_claim;

/* ---- small helpers ------------------------------------------------------------- */
static uint64_t pack(uint32_t ticket, uint32_t offset)
{
  return (uint64_t)ticket << 32 | offset;
}

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Issuer-side wait (full ring, quiesce): short sleeps, never on the hot path. */
static void issuer_pause(void)
{
  struct timespec ts = {0, 20000};
  nanosleep(&ts, NULL);
}

static void futex_wait(_Atomic uint32_t *word, uint32_t expected)
{
  syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word, int count)
{
  atomic_fetch_add_explicit(word, 1, memory_order_seq_cst);
  syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

static bool has_work(sut_pool *p)
{
  uint64_t c = atomic_load_explicit(&p->claim, memory_order_seq_cst);
  return (uint32_t)(c >> 32) != atomic_load_explicit(&p->head, memory_order_seq_cst);
}

/* ---- worker side --------------------------------------------------------------- */
/* Take up to one chunk. 1: claimed into *c; 0: nothing queued; -1: lost a race. */
static int claim(sut_pool *p, sut_claim *c)
{
  uint64_t w = atomic_load_explicit(&p->claim, memory_order_acquire);
  uint32_t ticket = (uint32_t)(w >> 32), offset = (uint32_t)w;
  if (ticket == atomic_load_explicit(&p->head, memory_order_acquire))
    return 0;
  sut_job *job = &p->ring[ticket & JOB_MASK];
  uint32_t n = atomic_load_explicit(&job->n, memory_order_relaxed);
  uint32_t chunk = atomic_load_explicit(&job->chunk, memory_order_relaxed);
  if (offset >= n) /* the slot was reused: the cursor has moved on */
    return -1;
  uint32_t take = n - offset < chunk ? n - offset : chunk;
  uint64_t next = offset + take == n ? pack(ticket + 1, 0) : pack(ticket, offset + take);
  if (!atomic_compare_exchange_weak_explicit(&p->claim, &w, next, memory_order_acq_rel,
                                             memory_order_relaxed))
    return -1;
  *c = (sut_claim){job, offset, take};
  return 1;
}

static void worker_idle(sut_pool *p, uint64_t *idle_since)
{
  uint64_t now = now_ns();
  if (!*idle_since)
    *idle_since = now;
  if (now - *idle_since < p->config.spin_ns) {
    for (int i = 0; i < 32; i++)
      cpu_relax();
    return;
  }
  atomic_fetch_add_explicit(&p->sleepers, 1, memory_order_seq_cst);
  uint32_t seq = atomic_load_explicit(&p->wake_seq, memory_order_seq_cst);
  if (!has_work(p) && !atomic_load_explicit(&p->stopping, memory_order_seq_cst))
    futex_wait(&p->wake_seq, seq);
  atomic_fetch_sub_explicit(&p->sleepers, 1, memory_order_seq_cst);
  *idle_since = 0;
}

/* Record the thread id, bind, read the binding back, set up the executor. */
static void worker_setup(sut_worker *w)
{
  const sut_pool_config *c = &w->pool->config;
  w->tid = (int)gettid();
  w->pin_rc = sut_place_bind_self(c->place, w->id, w->pin_why, sizeof w->pin_why);
  sut_place_cpus_self(c->place, w->cpus, sizeof w->cpus);
  w->exec_rc = sut_exec_init(&w->exec, w->pool->model, w->pool->store, c->batch, w->id,
                             w->pool->not_loaded);
}

static void *worker_main(void *arg)
{
  sut_worker *w = arg;
  sut_pool *p = w->pool;
  worker_setup(w);
  atomic_fetch_add_explicit(&p->ready, 1, memory_order_release);
  uint64_t idle_since = 0;
  while (w->exec_rc == SUT_OK &&
         !atomic_load_explicit(&p->stopping, memory_order_acquire)) {
    sut_claim c;
    int got = claim(p, &c);
    if (got > 0) {
      sut_exec_run(&w->exec, c.job->test, c.job->samples + c.first, c.count);
      atomic_fetch_add_explicit(&c.job->done, c.count, memory_order_release);
      idle_since = 0;
    } else if (got == 0) {
      worker_idle(p, &idle_since);
    }
  }
  sut_exec_destroy(&w->exec);
  return NULL;
}

/* ---- issuer side --------------------------------------------------------------- */
/* Advance reclaim over finished jobs up to `upto`; true when it got there. */
static bool reclaim(sut_pool *p, uint32_t upto)
{
  while (p->reclaim != upto) {
    sut_job *job = &p->ring[p->reclaim & JOB_MASK];
    if (atomic_load_explicit(&job->done, memory_order_acquire) !=
        atomic_load_explicit(&job->n, memory_order_relaxed))
      return false;
    p->reclaim++;
  }
  return true;
}

/* Make sure ring slot `head` is free (its previous job finished). */
static void wait_for_slot(sut_pool *p, uint32_t head)
{
  if (head - p->reclaim < SUT_POOL_JOBS)
    return;
  reclaim(p, head);
  if (head - p->reclaim < SUT_POOL_JOBS)
    return;
  p->issue_stalls++;
  do {
    issuer_pause();
    reclaim(p, head);
  } while (head - p->reclaim >= SUT_POOL_JOBS);
}

static void publish(sut_pool *p, lg_test *t, const lg_sample *samples, uint32_t n)
{
  uint32_t head = atomic_load_explicit(&p->head, memory_order_relaxed);
  wait_for_slot(p, head);
  sut_job *job = &p->ring[head & JOB_MASK];
  size_t chunk = n / (4u * p->config.workers);
  chunk = chunk < 1 ? 1 : chunk > p->config.batch ? p->config.batch : chunk;
  job->test = t;
  job->samples = samples;
  atomic_store_explicit(&job->done, 0, memory_order_relaxed);
  atomic_store_explicit(&job->chunk, (uint32_t)chunk, memory_order_relaxed);
  atomic_store_explicit(&job->n, n, memory_order_relaxed);
  atomic_store_explicit(&p->head, head + 1, memory_order_seq_cst);
  if (atomic_load_explicit(&p->sleepers, memory_order_seq_cst)) {
    size_t chunks = (n + chunk - 1) / chunk;
    futex_wake(&p->wake_seq, chunks < p->config.workers ? (int)chunks
                                                        : (int)p->config.workers);
  }
}

void sut_pool_issue(sut_pool *p, lg_test *t, const lg_sample *samples, size_t n)
{
  while (n > 0) {
    uint32_t part = n > JOB_MAX_SAMPLES ? JOB_MAX_SAMPLES : (uint32_t)n;
    publish(p, t, samples, part);
    samples += part;
    n -= part;
  }
}

/* Move the claim cursor to head, marking every unclaimed sample done; returns how
 * many were dropped. */
static uint64_t discard(sut_pool *p)
{
  uint32_t head = atomic_load_explicit(&p->head, memory_order_relaxed);
  uint64_t w = atomic_load_explicit(&p->claim, memory_order_acquire);
  while (!atomic_compare_exchange_weak_explicit(&p->claim, &w, pack(head, 0),
                                                memory_order_acq_rel,
                                                memory_order_acquire))
    ;
  uint64_t dropped = 0;
  uint32_t offset = (uint32_t)w;
  for (uint32_t ticket = (uint32_t)(w >> 32); ticket != head; ticket++, offset = 0) {
    sut_job *job = &p->ring[ticket & JOB_MASK];
    uint32_t left = atomic_load_explicit(&job->n, memory_order_relaxed) - offset;
    atomic_fetch_add_explicit(&job->done, left, memory_order_release);
    dropped += left;
  }
  return dropped;
}

uint64_t sut_pool_quiesce(sut_pool *p, bool drop)
{
  uint64_t dropped = drop ? discard(p) : 0;
  uint32_t head = atomic_load_explicit(&p->head, memory_order_relaxed);
  while (!reclaim(p, head))
    issuer_pause();
  p->discarded += dropped;
  return dropped;
}

/* ---- start, describe, stop ----------------------------------------------------- */
static int check_config(const sut_pool_config *c, char *err, size_t errlen)
{
  if (c->workers < 1 || c->workers > SUT_MAX_WORKERS || c->batch < 1 || !c->place) {
    snprintf(err, errlen, "cpu: bad pool configuration (workers %u, batch %zu)",
             c->workers, c->batch);
    return SUT_EINVAL;
  }
  return SUT_OK;
}

static int pool_alloc(sut_pool **out, const sut_pool_config *c)
{
  size_t size = (sizeof(sut_pool) + 63) / 64 * 64;
  sut_pool *p = aligned_alloc(64, size);
  if (!p)
    return SUT_ENOMEM;
  memset(p, 0, size);
  atomic_init(&p->claim, 0);
  atomic_init(&p->head, 0);
  atomic_init(&p->wake_seq, 0);
  atomic_init(&p->sleepers, 0);
  atomic_init(&p->stopping, false);
  atomic_init(&p->ready, 0);
  p->config = *c;
  p->ring = calloc(SUT_POOL_JOBS, sizeof *p->ring);
  p->workers = calloc(c->workers, sizeof *p->workers);
  *out = p;
  return p->ring && p->workers ? SUT_OK : SUT_ENOMEM;
}

static int spawn(sut_pool *p, char *err, size_t errlen)
{
  for (unsigned i = 0; i < p->config.workers; i++) {
    sut_worker *w = &p->workers[i];
    w->pool = p;
    w->id = i;
    int e = pthread_create(&w->thread, NULL, worker_main, w);
    if (e != 0) {
      snprintf(err, errlen, "cpu: cannot start worker %u: %s", i, strerror(e));
      return SUT_EDEVICE;
    }
    p->started++;
  }
  while (atomic_load_explicit(&p->ready, memory_order_acquire) < p->started)
    issuer_pause();
  for (unsigned i = 0; i < p->started; i++) {
    if (p->workers[i].exec_rc != SUT_OK) {
      snprintf(err, errlen, "cpu: worker %u: no memory for its buffers", i);
      return p->workers[i].exec_rc;
    }
  }
  return SUT_OK;
}

int sut_pool_start(sut_pool **out, const sut_pool_config *c, const wl_model *m,
                   const sut_store *st, _Atomic uint64_t *not_loaded, char *err,
                   size_t errlen)
{
  *out = NULL;
  sut_pool *p = NULL;
  int rc = check_config(c, err, errlen);
  if (rc != SUT_OK)
    return rc;
  rc = pool_alloc(&p, c);
  if (rc != SUT_OK) {
    snprintf(err, errlen, "cpu: out of memory for the worker pool");
    goto fail;
  }
  p->model = m;
  p->store = st;
  p->not_loaded = not_loaded;
  rc = spawn(p, err, errlen);
  if (rc != SUT_OK)
    goto fail;
  *out = p;
  return SUT_OK;

fail:
  sut_pool_stop(p);
  return rc;
}

/* The policy ("core", "pu", "none (pin=none)") when every worker is bound as asked,
 * else what went wrong first. */
static void describe_pinning(const sut_pool *p, char *buf, size_t len)
{
  unsigned pinned = 0, first_bad = p->started;
  for (unsigned i = 0; i < p->started; i++) {
    if (p->workers[i].pin_rc == SUT_OK)
      pinned++;
    else if (first_bad == p->started)
      first_bad = i;
  }
  sut_pin pin = sut_place_pin(p->config.place);
  if (pinned == p->started) {
    snprintf(buf, len, "%s%s", sut_pin_name(pin),
             pin == SUT_PIN_NONE ? " (pin=none)" : "");
    return;
  }
  snprintf(buf, len, "%s (worker %u: %.30s)", pinned ? "partial" : "none", first_bad,
           p->workers[first_bad].pin_why);
}

void sut_pool_describe(const sut_pool *p, sut_info *out)
{
  out->threads = (int)p->started;
  for (unsigned i = 0; i < p->started && i < SUT_MAX_WORKERS; i++) {
    out->worker_tids[i] = p->workers[i].tid;
    snprintf(out->worker_cpus[i], sizeof out->worker_cpus[i], "%s",
             p->workers[i].cpus);
  }
  describe_pinning(p, out->pinning, sizeof out->pinning);
  out->samples_discarded = p->discarded;
  out->issue_stalls = p->issue_stalls;
}

void sut_pool_stop(sut_pool *p)
{
  if (!p)
    return;
  atomic_store_explicit(&p->stopping, true, memory_order_seq_cst);
  futex_wake(&p->wake_seq, INT_MAX);
  for (unsigned i = 0; i < p->started; i++)
    pthread_join(p->workers[i].thread, NULL);
  free(p->workers);
  free(p->ring);
  free(p);
}
