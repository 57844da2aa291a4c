/*
 * sut/cuda/cuda.c - the CUDA adapter: options, the batching queue and the host
 * workers that feed the CUDA streams.
 *
 * Open checks the device (sut/cuda/gpu.h: the CUDA runtime's own error when there is
 * no driver or GPU), uploads the model (engine.h), sizes the batches to the free
 * device memory, creates one lane (stream + buffers) and one host worker per stream,
 * and the device sample store (store.h) that QSL load fills.
 *
 * The queue. issue() appends the loadgen's sample array as one range (not copied;
 * loadgen keeps it valid until completion) with its arrival time, under one mutex.
 * A worker takes up to max_batch samples from the front when the queue holds a full
 * batch, when max_delay_us has passed since the oldest queued sample arrived, when
 * max_delay_us is 0, or after flush (no more samples are coming); otherwise it waits
 * on the condition variable until that deadline. That is a serving system's dynamic
 * batching (Server); with the scenario defaults SingleStream runs batch 1,
 * MultiStream one query of 8 per batch and Offline large batches, none of them
 * waiting. Taking a batch resolves each sample's slot in the store under the lock,
 * so load/unload (which quiesce the workers first) never race a batch.
 *
 * A worker runs its batch on its own lane outside the lock, then completes the
 * samples with one lg_complete per test; the responses point into the lane's pinned
 * output buffer, which stays untouched until lg_complete returns. Timings (host and
 * CUDA events) are added to the worker's own totals under the lock and summed by
 * describe. A failed batch is not completed (loadgen counts its samples lost) and
 * its error is kept for describe.
 *
 * Every wait is bounded: workers and the issuer wait in 100 ms steps and re-check
 * stop flags; a batch's wait on the GPU times out after CUDA_BATCH_TIMEOUT_NS.
 */
#include "sut/cuda/cuda.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cuda_runtime_api.h>

#include "sut/cpu/topo.h"
#include "sut/cuda/engine.h"
#include "sut/cuda/gpu.h"
#include "sut/cuda/store.h"

#define CUDA_MAX_STREAMS 16
#define CUDA_MAX_BATCH 4096
#define CUDA_MAX_DELAY_US 1000000
#define CUDA_QUEUE_RANGES 16384u        /* issues queued at once */
#define CUDA_WAIT_STEP_NS 100000000u    /* bounded condition waits */
#define CUDA_BATCH_TIMEOUT_NS 120000000000ull
#define CUDA_ISSUE_TIMEOUT_NS 30000000000ull /* a full queue that never drains */
#define CUDA_MEMORY_SHARE 2             /* batches use at most 1/2 of free memory */

typedef struct cuda_opts {
  int device;
  sut_cuda_precision precision;
  int max_batch;          /* 0: the scenario's default */
  long long max_delay_us; /* -1: the scenario's default */
  int streams;            /* 0: the scenario's default */
} cuda_opts;

typedef struct cuda_range {
  lg_test *test;
  const lg_sample *samples;
  size_t n;
  uint64_t arrived_ns;
} cuda_range;

typedef struct cuda_stats {
  uint64_t batches, samples;
  uint64_t host_ns, device_ns, copy_in_ns, compute_ns, copy_out_ns;
  uint64_t device_min_ns, device_max_ns;
} cuda_stats;

typedef struct sut_cuda sut_cuda;

typedef struct cuda_worker {
  sut_cuda *c;
  unsigned id;
  pthread_t thread;
  bool started;
  int tid;
  char cpus[64];
  sut_cuda_lane *lane;
  lg_sample *batch;       /* max_batch: the samples being run */
  lg_test **tests;        /* max_batch: each one's test */
  lg_response *responses; /* max_batch */
  cuda_stats stats;       /* under c->lock */
} cuda_worker;

struct sut_cuda {
  cuda_opts opts;
  int max_batch;
  uint64_t max_delay_ns;
  int streams;
  sut_accel accel;           /* device description (timings filled by describe) */
  const wl_model *model;
  sut_cuda_model *md;
  sut_cuda_store *store;
  cuda_worker *workers;
  size_t out_bytes;
  /* the queue, under lock */
  pthread_mutex_t lock;
  pthread_cond_t work, idle, room, ready;
  bool lock_made;
  cuda_range *ring;
  uint32_t head, count;      /* ring[head] is the oldest range */
  size_t taken;              /* samples of ring[head] already in batches */
  uint64_t queued;           /* samples waiting */
  bool flushed, stopping;
  unsigned in_flight, ready_workers;
  uint64_t not_loaded, discarded, issue_stalls, failed;
  char last_error[160];
};

/* ---- time and bounded waits ---------------------------------------------------- */
static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wait on cv (c->lock held) until deadline_ns (monotonic) or CUDA_WAIT_STEP_NS,
 * whichever is first; the caller re-checks its condition. */
static void wait_until(sut_cuda *c, pthread_cond_t *cv, uint64_t deadline_ns)
{
  uint64_t now = now_ns(), step = now + CUDA_WAIT_STEP_NS;
  uint64_t until = deadline_ns < step ? deadline_ns : step;
  if (until <= now)
    return;
  struct timespec ts = {(time_t)(until / 1000000000u), (long)(until % 1000000000u)};
  pthread_cond_timedwait(cv, &c->lock, &ts);
}

/* ---- options ------------------------------------------------------------------- */
static int parse_int(const char *key, const char *value, long long lo, long long hi,
                     long long *out, char *err, size_t errlen)
{
  char *end;
  errno = 0;
  long long v = strtoll(value, &end, 10);
  if (end == value || *end || errno || v < lo || v > hi) {
    snprintf(err, errlen, "cuda: %s=%s: use an integer %lld..%lld", key, value, lo, hi);
    return SUT_EINVAL;
  }
  *out = v;
  return SUT_OK;
}

static int parse_precision(const char *value, cuda_opts *o, char *err, size_t errlen)
{
  for (int p = 0; p < SUT_CUDA_PRECISIONS; p++)
    if (strcmp(value, sut_cuda_precision_name((sut_cuda_precision)p)) == 0) {
      o->precision = (sut_cuda_precision)p;
      return SUT_OK;
    }
  snprintf(err, errlen, "cuda: precision=%s: use fp32, tf32, fp16 or bf16", value);
  return SUT_EINVAL;
}

#define CUDA_KEYS "precision, max_batch, max_delay_us, streams"

static int parse_option(char *kv, bool first, cuda_opts *o, char *err, size_t errlen)
{
  long long v;
  char *eq = strchr(kv, '=');
  if (!eq && first) { /* "cuda:1": the device ordinal */
    int rc = parse_int("device", kv, 0, 1023, &v, err, errlen);
    o->device = rc == SUT_OK ? (int)v : 0;
    return rc;
  }
  if (!eq) {
    snprintf(err, errlen, "cuda: option '%s' needs key=value (keys: " CUDA_KEYS
             "; a device number only first)", kv);
    return SUT_EINVAL;
  }
  *eq = '\0';
  const char *value = eq + 1;
  int rc = SUT_OK;
  if (strcmp(kv, "precision") == 0)
    return parse_precision(value, o, err, errlen);
  if (strcmp(kv, "max_batch") == 0) {
    rc = parse_int(kv, value, 1, CUDA_MAX_BATCH, &v, err, errlen);
    o->max_batch = (int)v;
  } else if (strcmp(kv, "max_delay_us") == 0) {
    rc = parse_int(kv, value, 0, CUDA_MAX_DELAY_US, &v, err, errlen);
    o->max_delay_us = v;
  } else if (strcmp(kv, "streams") == 0) {
    rc = parse_int(kv, value, 1, CUDA_MAX_STREAMS, &v, err, errlen);
    o->streams = (int)v;
  } else {
    snprintf(err, errlen, "cuda: unknown option '%s' (keys: " CUDA_KEYS ")", kv);
    return SUT_EINVAL;
  }
  return rc;
}

/* The spec's options after "cuda:", then --batch (sut_options.batch). */
static int parse_options(const sut_options *so, cuda_opts *o, char *err, size_t errlen)
{
  *o = (cuda_opts){.device = 0, .precision = SUT_CUDA_FP32, .max_delay_us = -1};
  const char *colon = strchr(so->spec, ':');
  int rc = SUT_OK;
  if (colon && colon[1]) {
    char buf[256];
    if (strlen(colon + 1) >= sizeof buf) {
      snprintf(err, errlen, "cuda: options too long");
      return SUT_EINVAL;
    }
    strcpy(buf, colon + 1);
    char *save = NULL;
    bool first = true;
    for (char *kv = strtok_r(buf, ",", &save); kv && rc == SUT_OK;
         kv = strtok_r(NULL, ",", &save), first = false)
      rc = parse_option(kv, first, o, err, errlen);
  }
  if (rc == SUT_OK && (so->batch < 0 || so->batch > CUDA_MAX_BATCH)) {
    snprintf(err, errlen, "cuda: --batch %d: use 1..%d (0 = the scenario's default)",
             so->batch, CUDA_MAX_BATCH);
    return SUT_EINVAL;
  }
  if (rc == SUT_OK && so->batch > 0)
    o->max_batch = so->batch;
  return rc;
}

/* Scenario defaults for what the user left unset (see cuda.h); settings NULL (the
 * scenario is not known) gets Server's. */
static void apply_defaults(sut_cuda *c, const lg_settings *settings)
{
  const cuda_opts *o = &c->opts;
  lg_scenario scenario = settings ? settings->scenario : LG_SERVER;
  int batch = scenario == LG_SINGLE_STREAM ? 1
              : scenario == LG_MULTI_STREAM ? 8
              : scenario == LG_OFFLINE      ? 256
                                            : 64;
  long long delay = scenario == LG_SERVER ? 500 : 0;
  c->max_batch = o->max_batch ? o->max_batch : batch;
  c->max_delay_ns = (uint64_t)(o->max_delay_us >= 0 ? o->max_delay_us : delay) * 1000u;
  c->streams = o->streams ? o->streams : scenario == LG_SINGLE_STREAM ? 1 : 4;
}

/* Fewer samples per batch when streams x max_batch would not fit in half the free
 * device memory (big gemm shapes); SUT_ENOMEM when not even one sample fits. */
static int fit_batch(sut_cuda *c, char *err, size_t errlen)
{
  size_t free_b = 0, total_b = 0;
  int rc = sut_gpu_check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo", err, errlen);
  if (rc != SUT_OK)
    return rc;
  size_t per = sut_cuda_model_lane_bytes(c->md);
  size_t fits = free_b / CUDA_MEMORY_SHARE / (per ? per : 1) / (size_t)c->streams;
  if (fits < 1) {
    snprintf(err, errlen, "cuda: one sample needs %zu bytes of device memory per stream; "
             "%zu are free: use fewer streams or a smaller workload", per, free_b);
    return SUT_ENOMEM;
  }
  if ((size_t)c->max_batch > fits)
    c->max_batch = (int)fits;
  return SUT_OK;
}

/* ---- the queue ----------------------------------------------------------------- */
/* Whether a worker should take a batch now; else *deadline gets when it should. */
static bool batch_ready(const sut_cuda *c, uint64_t *deadline)
{
  if (c->queued >= (uint64_t)c->max_batch || c->max_delay_ns == 0 || c->flushed)
    return true;
  *deadline = c->ring[c->head].arrived_ns + c->max_delay_ns;
  return now_ns() >= *deadline;
}

/* Move up to max_batch samples off the queue into w's batch, resolving slots (lock
 * held). Returns how many are resident (those not resident are counted). */
static int take_batch(sut_cuda *c, cuda_worker *w)
{
  uint32_t *slots = sut_cuda_lane_slots(w->lane);
  int k = 0, took = 0;
  while (c->count && took < c->max_batch) {
    cuda_range *r = &c->ring[c->head];
    const lg_sample *s = &r->samples[c->taken++];
    took++;
    uint32_t slot = sut_cuda_store_slot(c->store, s->index);
    if (slot == SUT_CUDA_NO_SLOT) {
      c->not_loaded++;
    } else {
      w->batch[k] = *s;
      w->tests[k] = r->test;
      slots[k++] = slot;
    }
    if (c->taken == r->n) {
      c->head = (c->head + 1) % CUDA_QUEUE_RANGES;
      c->count--;
      c->taken = 0;
    }
  }
  c->queued -= (uint64_t)took;
  pthread_cond_signal(&c->room);
  return k;
}

/* Complete batch[0..n) with one lg_complete per run of samples of the same test. */
static void complete_batch(sut_cuda *c, cuda_worker *w, int n)
{
  int from = 0;
  for (int i = 0; i < n; i++) {
    w->responses[i] = (lg_response){w->batch[i].id, sut_cuda_lane_output(w->lane, i),
                                    c->out_bytes, 0};
    if (i + 1 == n || w->tests[i + 1] != w->tests[i]) {
      lg_complete(w->tests[i], w->responses + from, (size_t)(i + 1 - from));
      from = i + 1;
    }
  }
}

static void add_stats(cuda_stats *s, int n, uint64_t host_ns, const sut_cuda_timing *t)
{
  if (s->batches == 0 || t->device_ns < s->device_min_ns)
    s->device_min_ns = t->device_ns;
  if (t->device_ns > s->device_max_ns)
    s->device_max_ns = t->device_ns;
  s->batches++;
  s->samples += (uint64_t)n;
  s->host_ns += host_ns;
  s->device_ns += t->device_ns;
  s->copy_in_ns += t->copy_in_ns;
  s->compute_ns += t->compute_ns;
  s->copy_out_ns += t->copy_out_ns;
}

/* Run and complete one batch of n resident samples (lock not held); then account
 * for it under the lock. */
static void run_batch(sut_cuda *c, cuda_worker *w, int n, uint64_t took_ns)
{
  sut_cuda_timing t;
  char err[160];
  int rc = sut_cuda_lane_run(w->lane, sut_cuda_store_inputs(c->store), n,
                             CUDA_BATCH_TIMEOUT_NS, &t, err, sizeof err);
  if (rc == SUT_OK)
    complete_batch(c, w, n);
  uint64_t host_ns = now_ns() - took_ns;
  pthread_mutex_lock(&c->lock);
  if (rc == SUT_OK) {
    add_stats(&w->stats, n, host_ns, &t);
  } else {
    c->failed += (uint64_t)n;
    snprintf(c->last_error, sizeof c->last_error, "%s", err);
  }
  pthread_mutex_unlock(&c->lock);
}

static void *worker_main(void *arg)
{
  cuda_worker *w = arg;
  sut_cuda *c = w->c;
  char err[160];
  int dev_rc = sut_gpu_use(c->opts.device, err, sizeof err);
  pthread_mutex_lock(&c->lock);
  w->tid = (int)gettid();
  sut_topo_cpus_self(NULL, w->cpus, sizeof w->cpus);
  if (dev_rc != SUT_OK)
    snprintf(c->last_error, sizeof c->last_error, "%s", err);
  c->ready_workers++;
  pthread_cond_broadcast(&c->ready);
  while (!c->stopping) {
    uint64_t deadline = UINT64_MAX;
    if (!c->count || !batch_ready(c, &deadline)) {
      wait_until(c, &c->work, deadline);
      continue;
    }
    int n = take_batch(c, w);
    if (n == 0)
      continue;
    c->in_flight++;
    pthread_mutex_unlock(&c->lock);
    uint64_t took = now_ns();
    if (dev_rc == SUT_OK)
      run_batch(c, w, n, took);
    pthread_mutex_lock(&c->lock);
    if (dev_rc != SUT_OK)
      c->failed += (uint64_t)n;
    if (--c->in_flight == 0)
      pthread_cond_broadcast(&c->idle);
  }
  pthread_mutex_unlock(&c->lock);
  return NULL;
}

/* Let the batches in flight finish; with drop, first discard what is queued (it is
 * never completed; loadgen has counted it lost). Returns with the lock held. */
static void quiesce_locked(sut_cuda *c, bool drop)
{
  pthread_mutex_lock(&c->lock);
  if (drop && c->queued) {
    c->discarded += c->queued;
    c->queued = 0;
    c->count = 0;
    c->taken = 0;
    pthread_cond_broadcast(&c->room);
  }
  while (c->in_flight)
    wait_until(c, &c->idle, UINT64_MAX);
}

/* ---- open ---------------------------------------------------------------------- */
static int alloc_workers(sut_cuda *c, char *err, size_t errlen)
{
  c->workers = calloc((size_t)c->streams, sizeof *c->workers);
  c->ring = calloc(CUDA_QUEUE_RANGES, sizeof *c->ring);
  if (!c->workers || !c->ring)
    goto nomem;
  for (int i = 0; i < c->streams; i++) {
    cuda_worker *w = &c->workers[i];
    w->c = c;
    w->id = (unsigned)i;
    w->batch = calloc((size_t)c->max_batch, sizeof *w->batch);
    w->tests = calloc((size_t)c->max_batch, sizeof *w->tests);
    w->responses = calloc((size_t)c->max_batch, sizeof *w->responses);
    if (!w->batch || !w->tests || !w->responses)
      goto nomem;
    int rc = sut_cuda_lane_open(&w->lane, c->md, c->max_batch, err, errlen);
    if (rc != SUT_OK)
      return rc;
  }
  return SUT_OK;
nomem:
  snprintf(err, errlen, "cuda: out of memory for the workers");
  return SUT_ENOMEM;
}

static int init_sync(sut_cuda *c, char *err, size_t errlen)
{
  pthread_condattr_t ca;
  int bad = pthread_condattr_init(&ca);
  bad = bad || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  bad = bad || pthread_mutex_init(&c->lock, NULL);
  bad = bad || pthread_cond_init(&c->work, &ca) || pthread_cond_init(&c->idle, &ca) ||
        pthread_cond_init(&c->room, &ca) || pthread_cond_init(&c->ready, &ca);
  pthread_condattr_destroy(&ca);
  if (bad) {
    snprintf(err, errlen, "cuda: cannot create the queue's mutex and conditions");
    return SUT_ENOMEM;
  }
  c->lock_made = true;
  return SUT_OK;
}

/* Start every worker and wait (bounded) until each has its thread id. */
static int start_workers(sut_cuda *c, char *err, size_t errlen)
{
  for (int i = 0; i < c->streams; i++) {
    if (pthread_create(&c->workers[i].thread, NULL, worker_main, &c->workers[i])) {
      snprintf(err, errlen, "cuda: cannot start host worker %d", i);
      return SUT_ENOMEM;
    }
    c->workers[i].started = true;
  }
  uint64_t deadline = now_ns() + 10 * 1000000000ull;
  pthread_mutex_lock(&c->lock);
  while (c->ready_workers < (unsigned)c->streams && now_ns() < deadline)
    wait_until(c, &c->ready, deadline);
  bool ok = c->ready_workers == (unsigned)c->streams && !c->last_error[0];
  if (!ok)
    snprintf(err, errlen, "%s", c->last_error[0] ? c->last_error
                                                 : "cuda: host workers did not start in 10 s");
  pthread_mutex_unlock(&c->lock);
  return ok ? SUT_OK : SUT_EDEVICE;
}

static void cuda_close(void *self);

static int cuda_open(void **self, const sut_options *o, const wl_model *m, char *err,
                     size_t errlen)
{
  *self = NULL;
  sut_cuda *c = calloc(1, sizeof *c);
  if (!c) {
    snprintf(err, errlen, "cuda: out of memory");
    return SUT_ENOMEM;
  }
  c->model = m;
  c->out_bytes = wl_tensor_bytes(&wl_model_info(m)->output);
  int rc = parse_options(o, &c->opts, err, errlen);
  if (rc == SUT_OK) /* before the device: a workload it cannot run says so anywhere */
    rc = sut_cuda_model_check(m, c->opts.precision, err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_open(c->opts.device, &c->accel, err, errlen);
  if (rc == SUT_OK)
    rc = sut_cuda_model_open(&c->md, m, c->opts.precision, err, errlen);
  if (rc == SUT_OK) {
    apply_defaults(c, o->settings);
    rc = fit_batch(c, err, errlen);
  }
  if (rc == SUT_OK)
    rc = sut_cuda_store_init(&c->store, m, o->samples, err, errlen);
  if (rc == SUT_OK)
    rc = init_sync(c, err, errlen);
  if (rc == SUT_OK)
    rc = alloc_workers(c, err, errlen);
  if (rc == SUT_OK)
    rc = start_workers(c, err, errlen);
  if (rc != SUT_OK) {
    cuda_close(c);
    return rc;
  }
  *self = c;
  return SUT_OK;
}

/* ---- phases -------------------------------------------------------------------- */
static int cuda_load(void *self, const uint64_t *indices, size_t n)
{
  sut_cuda *c = self;
  char err[sizeof c->last_error];
  quiesce_locked(c, false);
  int rc = sut_cuda_store_load(c->store, indices, n, err, sizeof err);
  if (rc != SUT_OK)
    snprintf(c->last_error, sizeof c->last_error, "%s", err);
  pthread_mutex_unlock(&c->lock);
  return rc;
}

static int cuda_unload(void *self, const uint64_t *indices, size_t n)
{
  sut_cuda *c = self;
  quiesce_locked(c, true);
  int rc = sut_cuda_store_unload(c->store, indices, n);
  pthread_mutex_unlock(&c->lock);
  return rc;
}

/* Room for one more range (lock held): waits while the ring is full, at most
 * CUDA_ISSUE_TIMEOUT_NS; false when it stayed full. */
static bool wait_for_room(sut_cuda *c)
{
  if (c->count < CUDA_QUEUE_RANGES)
    return true;
  c->issue_stalls++;
  uint64_t deadline = now_ns() + CUDA_ISSUE_TIMEOUT_NS;
  while (c->count == CUDA_QUEUE_RANGES && !c->stopping && now_ns() < deadline)
    wait_until(c, &c->room, deadline);
  return c->count < CUDA_QUEUE_RANGES;
}

static void cuda_issue(void *self, lg_test *t, const lg_sample *s, size_t n)
{
  sut_cuda *c = self;
  pthread_mutex_lock(&c->lock);
  if (!wait_for_room(c)) {
    c->discarded += n;
    pthread_mutex_unlock(&c->lock);
    return;
  }
  c->ring[(c->head + c->count) % CUDA_QUEUE_RANGES] = (cuda_range){t, s, n, now_ns()};
  c->count++;
  c->queued += n;
  c->flushed = false;
  if (c->queued >= (uint64_t)c->max_batch || c->max_delay_ns == 0 || n > 1)
    pthread_cond_broadcast(&c->work);
  else
    pthread_cond_signal(&c->work);
  pthread_mutex_unlock(&c->lock);
}

static void cuda_flush(void *self)
{
  sut_cuda *c = self;
  pthread_mutex_lock(&c->lock);
  c->flushed = true;
  pthread_cond_broadcast(&c->work);
  pthread_mutex_unlock(&c->lock);
}

/* Sum the workers' timings into a (lock held). */
static void describe_timings(const sut_cuda *c, sut_accel *a)
{
  cuda_stats sum = {0};
  for (int i = 0; i < c->streams; i++) {
    const cuda_stats *s = &c->workers[i].stats;
    if (!s->batches)
      continue;
    if (!sum.batches || s->device_min_ns < sum.device_min_ns)
      sum.device_min_ns = s->device_min_ns;
    if (s->device_max_ns > sum.device_max_ns)
      sum.device_max_ns = s->device_max_ns;
    sum.batches += s->batches;
    sum.samples += s->samples;
    sum.host_ns += s->host_ns;
    sum.device_ns += s->device_ns;
    sum.copy_in_ns += s->copy_in_ns;
    sum.compute_ns += s->compute_ns;
    sum.copy_out_ns += s->copy_out_ns;
  }
  a->batches = sum.batches;
  a->samples = sum.samples;
  if (!sum.batches)
    return;
  double b = (double)sum.batches;
  a->host_batch_ns_mean = (double)sum.host_ns / b;
  a->device_batch_ns_mean = (double)sum.device_ns / b;
  a->copy_in_ns_mean = (double)sum.copy_in_ns / b;
  a->compute_ns_mean = (double)sum.compute_ns / b;
  a->copy_out_ns_mean = (double)sum.copy_out_ns / b;
  a->device_batch_ns_min = sum.device_min_ns;
  a->device_batch_ns_max = sum.device_max_ns;
}

static void cuda_describe(void *self, sut_info *out)
{
  sut_cuda *c = self;
  sut_accel *a = &out->accel;
  *a = c->accel;
  snprintf(a->precision, sizeof a->precision, "%s", sut_cuda_precision_name(c->opts.precision));
  a->streams = c->streams;
  a->max_batch = c->max_batch;
  a->max_delay_us = c->max_delay_ns / 1000u;
  snprintf(out->name, sizeof out->name, "cuda");
  snprintf(out->device, sizeof out->device, "cuda:%d %.100s", c->opts.device, a->name);
  out->threads = c->streams;
  out->batch = c->max_batch;
  snprintf(out->pinning, sizeof out->pinning, "none (host workers feed CUDA streams)");
  pthread_mutex_lock(&c->lock);
  for (int i = 0; i < c->streams && i < SUT_MAX_WORKERS; i++) {
    out->worker_tids[i] = c->workers[i].tid;
    snprintf(out->worker_cpus[i], sizeof out->worker_cpus[i], "%s", c->workers[i].cpus);
  }
  out->samples_not_loaded = c->not_loaded;
  out->samples_discarded = c->discarded;
  out->issue_stalls = c->issue_stalls;
  a->samples_failed = c->failed;
  snprintf(a->last_error, sizeof a->last_error, "%s", c->last_error);
  describe_timings(c, a);
  pthread_mutex_unlock(&c->lock);
}

static void cuda_close(void *self)
{
  sut_cuda *c = self;
  if (!c)
    return;
  if (c->lock_made) {
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_broadcast(&c->work);
    pthread_mutex_unlock(&c->lock);
  }
  for (int i = 0; c->workers && i < c->streams; i++)
    if (c->workers[i].started)
      pthread_join(c->workers[i].thread, NULL);
  for (int i = 0; c->workers && i < c->streams; i++) {
    sut_cuda_lane_close(c->workers[i].lane);
    free(c->workers[i].batch);
    free(c->workers[i].tests);
    free(c->workers[i].responses);
  }
  if (c->lock_made) {
    pthread_cond_destroy(&c->work);
    pthread_cond_destroy(&c->idle);
    pthread_cond_destroy(&c->room);
    pthread_cond_destroy(&c->ready);
    pthread_mutex_destroy(&c->lock);
  }
  free(c->workers);
  free(c->ring);
  sut_cuda_store_destroy(c->store);
  sut_cuda_model_close(c->md);
  free(c);
}

const sut_backend sut_cuda_backend = {
    .name = "cuda",
    .help = "NVIDIA GPU: gemm via cuBLAS (fp32/tf32/fp16/bf16), kws/ic/vww/ad with own "
            "fp32 kernels; dynamic batching (cuda[:DEVICE][,precision=P,max_batch=N,"
            "max_delay_us=N,streams=N])",
    .open = cuda_open,
    .load = cuda_load,
    .unload = cuda_unload,
    .issue = cuda_issue,
    .flush = cuda_flush,
    .describe = cuda_describe,
    .close = cuda_close,
    .pin_caller_off = NULL,
};
