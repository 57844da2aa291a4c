/*
 * sut/cuda/batcher.c - dynamic batching over host worker threads (see batcher.h):
 * a ring of issued ranges under one mutex, condition variables with bounded waits.
 */
#include "sut/cuda/batcher.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sut/cpu/topo.h"

#define BATCHER_RANGES_DEFAULT 16384u
#define BATCHER_WAIT_STEP_NS 100000000u         /* bounded condition waits */
#define BATCHER_ISSUE_TIMEOUT_NS 30000000000ull /* a full queue that never drains */
#define BATCHER_START_TIMEOUT_NS 10000000000ull

typedef struct batcher_range {
  lg_test *test;
  const lg_sample *samples;
  size_t n;
  uint64_t arrived_ns;
} batcher_range;

typedef struct batcher_worker {
  sut_batcher *b;
  unsigned id;
  pthread_t thread;
  bool started;
  int tid;
  char cpus[64];
  lg_sample *samples;  /* max_batch */
  lg_test **tests;     /* max_batch */
} batcher_worker;

struct sut_batcher {
  sut_batcher_config cfg;
  batcher_worker *workers;
  batcher_range *ring;
  pthread_mutex_t lock;
  pthread_cond_t work, idle, room, ready;
  uint32_t head, count;   /* ring[head] is the oldest range */
  size_t taken;           /* samples of ring[head] already in batches */
  uint64_t queued;        /* samples waiting */
  bool flushed, paused, stopping;
  unsigned in_flight, ready_workers;
  char start_error[160];
  sut_batcher_stats stats;
};

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wait on cv (lock held) until deadline_ns or one step, whichever is first; the
 * caller re-checks its condition. */
static void wait_until(sut_batcher *b, pthread_cond_t *cv, uint64_t deadline_ns)
{
  uint64_t now = now_ns(), step = now + BATCHER_WAIT_STEP_NS;
  uint64_t until = deadline_ns < step ? deadline_ns : step;
  if (until <= now)
    return;
  struct timespec ts = {(time_t)(until / 1000000000u), (long)(until % 1000000000u)};
  pthread_cond_timedwait(cv, &b->lock, &ts);
}

/* Whether a worker should take a batch now; else *deadline gets when it should. */
static bool batch_ready(const sut_batcher *b, uint64_t *deadline)
{
  if (b->paused || !b->count)
    return false;
  if (b->queued >= b->cfg.max_batch || b->cfg.max_delay_ns == 0 || b->flushed)
    return true;
  *deadline = b->ring[b->head].arrived_ns + b->cfg.max_delay_ns;
  return now_ns() >= *deadline;
}

/* Move up to max_batch samples off the queue into w's arrays (lock held). */
static size_t take_batch(sut_batcher *b, batcher_worker *w)
{
  size_t k = 0;
  while (b->count && k < b->cfg.max_batch) {
    batcher_range *r = &b->ring[b->head];
    size_t take = r->n - b->taken;
    if (take > b->cfg.max_batch - k)
      take = b->cfg.max_batch - k;
    for (size_t i = 0; i < take; i++) {
      w->samples[k + i] = r->samples[b->taken + i];
      w->tests[k + i] = r->test;
    }
    k += take;
    b->taken += take;
    if (b->taken == r->n) {
      b->head = (b->head + 1) % b->cfg.queue_ranges;
      b->count--;
      b->taken = 0;
    }
  }
  b->queued -= k;
  b->stats.batches++;
  b->stats.samples += k;
  if (k > b->stats.largest_batch)
    b->stats.largest_batch = k;
  pthread_cond_signal(&b->room);
  return k;
}

static void *worker_main(void *arg)
{
  batcher_worker *w = arg;
  sut_batcher *b = w->b;
  char err[160] = "";
  int rc = b->cfg.worker_start ? b->cfg.worker_start(b->cfg.ctx, w->id, err, sizeof err) : 0;
  pthread_mutex_lock(&b->lock);
  w->tid = (int)gettid();
  sut_topo_cpus_self(NULL, w->cpus, sizeof w->cpus);
  if (rc && !b->start_error[0])
    snprintf(b->start_error, sizeof b->start_error, "%s", err[0] ? err : "worker failed");
  b->ready_workers++;
  pthread_cond_broadcast(&b->ready);
  while (!b->stopping && rc == 0) {
    uint64_t deadline = UINT64_MAX;
    if (!batch_ready(b, &deadline)) {
      wait_until(b, &b->work, deadline);
      continue;
    }
    size_t n = take_batch(b, w);
    b->in_flight++;
    pthread_mutex_unlock(&b->lock);
    b->cfg.run(b->cfg.ctx, w->id, w->samples, w->tests, n);
    pthread_mutex_lock(&b->lock);
    if (--b->in_flight == 0)
      pthread_cond_broadcast(&b->idle);
  }
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

/* ---- start and stop ------------------------------------------------------------ */
static int init_sync(sut_batcher *b)
{
  pthread_condattr_t ca;
  if (pthread_condattr_init(&ca))
    return -1;
  int bad = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  bad = bad || pthread_mutex_init(&b->lock, NULL);
  bad = bad || pthread_cond_init(&b->work, &ca) || pthread_cond_init(&b->idle, &ca) ||
        pthread_cond_init(&b->room, &ca) || pthread_cond_init(&b->ready, &ca);
  pthread_condattr_destroy(&ca);
  return bad ? -1 : 0;
}

static int alloc_workers(sut_batcher *b)
{
  b->workers = calloc(b->cfg.workers, sizeof *b->workers);
  b->ring = calloc(b->cfg.queue_ranges, sizeof *b->ring);
  if (!b->workers || !b->ring)
    return -1;
  for (unsigned i = 0; i < b->cfg.workers; i++) {
    batcher_worker *w = &b->workers[i];
    w->b = b;
    w->id = i;
    w->samples = calloc(b->cfg.max_batch, sizeof *w->samples);
    w->tests = calloc(b->cfg.max_batch, sizeof *w->tests);
    if (!w->samples || !w->tests)
      return -1;
  }
  return 0;
}

/* Create the threads and wait (bounded) until each is ready. */
static int start_threads(sut_batcher *b, char *err, size_t errlen)
{
  for (unsigned i = 0; i < b->cfg.workers; i++) {
    if (pthread_create(&b->workers[i].thread, NULL, worker_main, &b->workers[i])) {
      snprintf(err, errlen, "cannot start host worker %u", i);
      return -1;
    }
    b->workers[i].started = true;
  }
  uint64_t deadline = now_ns() + BATCHER_START_TIMEOUT_NS;
  pthread_mutex_lock(&b->lock);
  while (b->ready_workers < b->cfg.workers && now_ns() < deadline)
    wait_until(b, &b->ready, deadline);
  int rc = b->ready_workers == b->cfg.workers && !b->start_error[0] ? 0 : -1;
  if (rc)
    snprintf(err, errlen, "%s", b->start_error[0] ? b->start_error
                                                  : "host workers did not start in 10 s");
  pthread_mutex_unlock(&b->lock);
  return rc;
}

int sut_batcher_start(sut_batcher **out, const sut_batcher_config *c, char *err,
                      size_t errlen)
{
  *out = NULL;
  if (!c->workers || !c->max_batch || !c->run) {
    snprintf(err, errlen, "batcher: workers, max_batch and run are required");
    return -1;
  }
  sut_batcher *b = calloc(1, sizeof *b);
  if (!b) {
    snprintf(err, errlen, "out of memory for the batcher");
    return -1;
  }
  b->cfg = *c;
  if (!b->cfg.queue_ranges)
    b->cfg.queue_ranges = BATCHER_RANGES_DEFAULT;
  if (init_sync(b)) {
    snprintf(err, errlen, "cannot create the batcher's mutex and conditions");
    free(b);
    return -1;
  }
  if (alloc_workers(b)) {
    snprintf(err, errlen, "out of memory for the batcher's workers");
    sut_batcher_stop(b);
    return -1;
  }
  if (start_threads(b, err, errlen)) {
    sut_batcher_stop(b);
    return -1;
  }
  *out = b;
  return 0;
}

void sut_batcher_stop(sut_batcher *b)
{
  if (!b)
    return;
  pthread_mutex_lock(&b->lock);
  b->stopping = true;
  pthread_cond_broadcast(&b->work);
  pthread_cond_broadcast(&b->room);
  pthread_mutex_unlock(&b->lock);
  for (unsigned i = 0; b->workers && i < b->cfg.workers; i++) {
    if (b->workers[i].started)
      pthread_join(b->workers[i].thread, NULL);
    free(b->workers[i].samples);
    free(b->workers[i].tests);
  }
  pthread_cond_destroy(&b->work);
  pthread_cond_destroy(&b->idle);
  pthread_cond_destroy(&b->room);
  pthread_cond_destroy(&b->ready);
  pthread_mutex_destroy(&b->lock);
  free(b->workers);
  free(b->ring);
  free(b);
}

/* ---- the loadgen side ---------------------------------------------------------- */
/* Room for one more range (lock held): waits while the ring is full, at most
 * BATCHER_ISSUE_TIMEOUT_NS; false when it stayed full. */
static bool wait_for_room(sut_batcher *b)
{
  if (b->count < b->cfg.queue_ranges)
    return true;
  b->stats.issue_stalls++;
  uint64_t deadline = now_ns() + BATCHER_ISSUE_TIMEOUT_NS;
  while (b->count == b->cfg.queue_ranges && !b->stopping && now_ns() < deadline)
    wait_until(b, &b->room, deadline);
  return b->count < b->cfg.queue_ranges;
}

void sut_batcher_issue(sut_batcher *b, lg_test *t, const lg_sample *samples, size_t n)
{
  if (!n)
    return;
  pthread_mutex_lock(&b->lock);
  if (!wait_for_room(b)) {
    b->stats.discarded += n;
    pthread_mutex_unlock(&b->lock);
    return;
  }
  b->ring[(b->head + b->count) % b->cfg.queue_ranges] =
      (batcher_range){t, samples, n, now_ns()};
  b->count++;
  b->queued += n;
  b->flushed = false;
  if (b->queued >= b->cfg.max_batch || b->cfg.max_delay_ns == 0 || n > 1)
    pthread_cond_broadcast(&b->work);
  else
    pthread_cond_signal(&b->work);
  pthread_mutex_unlock(&b->lock);
}

void sut_batcher_flush(sut_batcher *b)
{
  pthread_mutex_lock(&b->lock);
  b->flushed = true;
  pthread_cond_broadcast(&b->work);
  pthread_mutex_unlock(&b->lock);
}

void sut_batcher_pause(sut_batcher *b, bool drop)
{
  pthread_mutex_lock(&b->lock);
  b->paused = true;
  if (drop && b->queued) {
    b->stats.discarded += b->queued;
    b->queued = 0;
    b->count = 0;
    b->taken = 0;
    pthread_cond_broadcast(&b->room);
  }
  while (b->in_flight)
    wait_until(b, &b->idle, UINT64_MAX);
  pthread_mutex_unlock(&b->lock);
}

void sut_batcher_resume(sut_batcher *b)
{
  pthread_mutex_lock(&b->lock);
  b->paused = false;
  pthread_cond_broadcast(&b->work);
  pthread_mutex_unlock(&b->lock);
}

void sut_batcher_worker(sut_batcher *b, unsigned w, int *tid, char *cpus, size_t len)
{
  pthread_mutex_lock(&b->lock);
  *tid = w < b->cfg.workers ? b->workers[w].tid : 0;
  snprintf(cpus, len, "%s", w < b->cfg.workers ? b->workers[w].cpus : "");
  pthread_mutex_unlock(&b->lock);
}

void sut_batcher_get_stats(sut_batcher *b, sut_batcher_stats *out)
{
  pthread_mutex_lock(&b->lock);
  *out = b->stats;
  pthread_mutex_unlock(&b->lock);
}
