/*
 * sut/cuda/cuda.c - the CUDA adapter: options, the device, and the batches.
 *
 * Open parses the options, checks that the workload is one it runs (before touching
 * the device, so "not supported" reads the same on every machine), finds the device
 * (sut/cuda/gpu.h: the CUDA runtime's own error when there is no driver or GPU),
 * uploads the model (engine.h), sizes the batches to the free device memory, creates
 * one lane (stream + buffers) per stream, the device sample store that QSL load fills
 * (store.h), and the batcher (batcher.h) with one host worker per lane.
 *
 * The batcher's dynamic batching forms the batches (scenario defaults: SingleStream 1,
 * MultiStream 8, Offline 256 without waiting; Server up to 64, waiting at most 500 us
 * for a batch to fill). For each batch a worker resolves the samples' store slots,
 * runs the lane (sut_cuda_lane_run: slots up, gather, kernels or cuBLAS, outputs down,
 * a bounded wait on the last event) and completes the samples with one lg_complete
 * per test; the responses point into the lane's pinned output buffer, untouched until
 * lg_complete returns. Load and unload pause the batcher so no batch reads the store
 * while it changes. Host and device times (CUDA events) are summed per lane under
 * stats_lock and merged by describe. A failed batch is not completed (loadgen counts
 * its samples lost); its error is kept for describe.
 */
#include "sut/cuda/cuda.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cuda_runtime_api.h>

#include "sut/cuda/batcher.h"
#include "sut/cuda/engine.h"
#include "sut/cuda/gpu.h"
#include "sut/cuda/store.h"

#define CUDA_MAX_STREAMS 16
#define CUDA_MAX_BATCH 4096
#define CUDA_MAX_DELAY_US 1000000
#define CUDA_BATCH_TIMEOUT_NS 120000000000ull
#define CUDA_MEMORY_SHARE 2 /* batches use at most 1/2 of free memory */

typedef struct cuda_opts {
  int device;
  sut_cuda_precision precision;
  int max_batch;          /* 0: the scenario's default */
  long long max_delay_us; /* -1: the scenario's default */
  int streams;            /* 0: the scenario's default */
} cuda_opts;

typedef struct cuda_stats {
  uint64_t batches, samples;
  uint64_t host_ns, device_ns, copy_in_ns, compute_ns, copy_out_ns;
  uint64_t device_min_ns, device_max_ns;
} cuda_stats;

/* One stream and what its worker needs to run a batch without allocating. */
typedef struct cuda_lane {
  sut_cuda_lane *lane;
  lg_sample *batch;       /* max_batch: the resident samples being run */
  lg_test **tests;        /* max_batch: each one's test */
  lg_response *responses; /* max_batch */
  cuda_stats stats;       /* under stats_lock */
} cuda_lane;

typedef struct sut_cuda {
  cuda_opts opts;
  int max_batch;
  uint64_t max_delay_ns;
  int streams;
  sut_accel accel;           /* device description (timings filled by describe) */
  const wl_model *model;
  sut_cuda_model *md;
  sut_cuda_store *store;
  cuda_lane *lanes;
  sut_batcher *batcher;
  size_t out_bytes;
  pthread_mutex_t stats_lock;
  bool stats_lock_made;
  uint64_t not_loaded, failed; /* under stats_lock */
  char last_error[160];        /* under stats_lock */
} sut_cuda;

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

/* ---- running a batch (on a batcher worker) ------------------------------------- */
/* The resident samples of the batch into the lane (slots, samples, tests); returns
 * how many; the others are counted as not loaded. */
static int resolve(sut_cuda *c, cuda_lane *l, const lg_sample *samples, lg_test *const *tests,
                   size_t n)
{
  uint32_t *slots = sut_cuda_lane_slots(l->lane);
  int k = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t slot = sut_cuda_store_slot(c->store, samples[i].index);
    if (slot == SUT_CUDA_NO_SLOT)
      continue;
    l->batch[k] = samples[i];
    l->tests[k] = tests[i];
    slots[k++] = slot;
  }
  if ((size_t)k < n) {
    pthread_mutex_lock(&c->stats_lock);
    c->not_loaded += n - (size_t)k;
    pthread_mutex_unlock(&c->stats_lock);
  }
  return k;
}

/* Complete batch[0..n) with one lg_complete per run of samples of the same test. */
static void complete_batch(sut_cuda *c, cuda_lane *l, int n)
{
  int from = 0;
  for (int i = 0; i < n; i++) {
    l->responses[i] = (lg_response){l->batch[i].id, sut_cuda_lane_output(l->lane, i),
                                    c->out_bytes, 0};
    if (i + 1 == n || l->tests[i + 1] != l->tests[i]) {
      lg_complete(l->tests[i], l->responses + from, (size_t)(i + 1 - from));
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

/* sut_batcher_config.run: one batch on lane `worker`. */
static void run_batch(void *ctx, unsigned worker, const lg_sample *samples,
                      lg_test *const *tests, size_t n)
{
  sut_cuda *c = ctx;
  cuda_lane *l = &c->lanes[worker];
  uint64_t took_ns = now_ns();
  int k = resolve(c, l, samples, tests, n);
  if (k == 0)
    return;
  sut_cuda_timing t;
  char err[160];
  int rc = sut_cuda_lane_run(l->lane, sut_cuda_store_inputs(c->store), k,
                             CUDA_BATCH_TIMEOUT_NS, &t, err, sizeof err);
  if (rc == SUT_OK)
    complete_batch(c, l, k);
  uint64_t host_ns = now_ns() - took_ns;
  pthread_mutex_lock(&c->stats_lock);
  if (rc == SUT_OK) {
    add_stats(&l->stats, k, host_ns, &t);
  } else {
    c->failed += (uint64_t)k;
    snprintf(c->last_error, sizeof c->last_error, "%s", err);
  }
  pthread_mutex_unlock(&c->stats_lock);
}

/* sut_batcher_config.worker_start: the device is current per thread. */
static int worker_start(void *ctx, unsigned worker, char *err, size_t errlen)
{
  const sut_cuda *c = ctx;
  return sut_gpu_use(c->opts.device, err, errlen);
}

/* ---- open ---------------------------------------------------------------------- */
static int open_lanes(sut_cuda *c, char *err, size_t errlen)
{
  c->lanes = calloc((size_t)c->streams, sizeof *c->lanes);
  if (!c->lanes)
    goto nomem;
  for (int i = 0; i < c->streams; i++) {
    cuda_lane *l = &c->lanes[i];
    l->batch = calloc((size_t)c->max_batch, sizeof *l->batch);
    l->tests = calloc((size_t)c->max_batch, sizeof *l->tests);
    l->responses = calloc((size_t)c->max_batch, sizeof *l->responses);
    if (!l->batch || !l->tests || !l->responses)
      goto nomem;
    int rc = sut_cuda_lane_open(&l->lane, c->md, c->max_batch, err, errlen);
    if (rc != SUT_OK)
      return rc;
  }
  return SUT_OK;
nomem:
  snprintf(err, errlen, "cuda: out of memory for the lanes");
  return SUT_ENOMEM;
}

static int start_batcher(sut_cuda *c, char *err, size_t errlen)
{
  if (pthread_mutex_init(&c->stats_lock, NULL)) {
    snprintf(err, errlen, "cuda: cannot create a mutex");
    return SUT_ENOMEM;
  }
  c->stats_lock_made = true;
  sut_batcher_config bc = {
      .workers = (unsigned)c->streams,
      .max_batch = (size_t)c->max_batch,
      .max_delay_ns = c->max_delay_ns,
      .worker_start = worker_start,
      .run = run_batch,
      .ctx = c,
  };
  char why[160];
  if (sut_batcher_start(&c->batcher, &bc, why, sizeof why) == 0)
    return SUT_OK;
  snprintf(err, errlen, "cuda: %s", why);
  return SUT_EDEVICE;
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
    rc = open_lanes(c, err, errlen);
  if (rc == SUT_OK)
    rc = start_batcher(c, err, errlen);
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
  sut_batcher_pause(c->batcher, false);
  /* the caller's thread may not be the one that opened: make the device current */
  int rc = sut_gpu_use(c->opts.device, err, sizeof err);
  if (rc == SUT_OK)
    rc = sut_cuda_store_load(c->store, indices, n, err, sizeof err);
  sut_batcher_resume(c->batcher);
  if (rc != SUT_OK) {
    pthread_mutex_lock(&c->stats_lock);
    snprintf(c->last_error, sizeof c->last_error, "%s", err);
    pthread_mutex_unlock(&c->stats_lock);
  }
  return rc;
}

static int cuda_unload(void *self, const uint64_t *indices, size_t n)
{
  sut_cuda *c = self;
  sut_batcher_pause(c->batcher, true); /* unload frees no device memory */
  int rc = sut_cuda_store_unload(c->store, indices, n);
  sut_batcher_resume(c->batcher);
  return rc;
}

static void cuda_issue(void *self, lg_test *t, const lg_sample *s, size_t n)
{
  sut_cuda *c = self;
  sut_batcher_issue(c->batcher, t, s, n);
}

static void cuda_flush(void *self)
{
  sut_cuda *c = self;
  sut_batcher_flush(c->batcher);
}

/* Sum the lanes' timings into a (stats_lock held). */
static void describe_timings(const sut_cuda *c, sut_accel *a)
{
  cuda_stats sum = {0};
  for (int i = 0; i < c->streams; i++) {
    const cuda_stats *s = &c->lanes[i].stats;
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
  for (int i = 0; i < c->streams && i < SUT_MAX_WORKERS; i++)
    sut_batcher_worker(c->batcher, (unsigned)i, &out->worker_tids[i], out->worker_cpus[i],
                       sizeof out->worker_cpus[i]);
  sut_batcher_stats bs;
  sut_batcher_get_stats(c->batcher, &bs);
  out->samples_discarded = bs.discarded;
  out->issue_stalls = bs.issue_stalls;
  pthread_mutex_lock(&c->stats_lock);
  out->samples_not_loaded = c->not_loaded;
  a->samples_failed = c->failed;
  snprintf(a->last_error, sizeof a->last_error, "%s", c->last_error);
  describe_timings(c, a);
  pthread_mutex_unlock(&c->stats_lock);
}

static void cuda_close(void *self)
{
  sut_cuda *c = self;
  if (!c)
    return;
  sut_batcher_stop(c->batcher); /* joins the workers: no batch runs after this */
  char err[160];
  if (c->accel.present) /* the device the lanes and buffers were made on */
    sut_gpu_use(c->opts.device, err, sizeof err);
  for (int i = 0; c->lanes && i < c->streams; i++) {
    sut_cuda_lane_close(c->lanes[i].lane);
    free(c->lanes[i].batch);
    free(c->lanes[i].tests);
    free(c->lanes[i].responses);
  }
  free(c->lanes);
  if (c->stats_lock_made)
    pthread_mutex_destroy(&c->stats_lock);
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
