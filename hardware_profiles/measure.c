/*
 * hardware_profiles/measure.c - measuring this machine: its hwloc topology, peak fp32
 * FMA throughput and STREAM-triad bandwidth. Both measurements run on a team of
 * threads, each bound to its own core, that the caller's thread starts all at once and
 * times from the start signal to the last thread's finish; each reports the best of a
 * few repetitions. Per-thread results are written to per-thread slots and merged after
 * the repetition ends.
 */
#include "hardware_profiles/measure.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hwloc.h>

#include "hardware_profiles/internal.h"
#include "hardware_profiles/kernels.h"

#define HWP_MIB (1024.0 * 1024.0)

struct hwp_machine {
  hwloc_topology_t topo;
  hwp_machine_info info;
};

static uint64_t hwp__now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the machine ---------------------------------------------------------------- */

static unsigned hwp__count(hwloc_topology_t topo, hwloc_obj_type_t type) {
  int n = hwloc_get_nbobjs_by_type(topo, type);
  return n > 0 ? (unsigned)n : 0;
}

/* One instance's size and the number of instances of a cache level. */
static void hwp__cache(hwloc_topology_t topo, hwloc_obj_type_t type, uint64_t *bytes,
                       unsigned *instances) {
  hwloc_obj_t o = hwloc_get_obj_by_type(topo, type, 0);
  *bytes = o != NULL && o->attr != NULL ? o->attr->cache.size : 0;
  *instances = *bytes ? hwp__count(topo, type) : 0;
}

static void hwp__describe(hwp_machine *m) {
  static const hwloc_obj_type_t levels[3] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE,
                                             HWLOC_OBJ_L3CACHE};
  hwp_machine_info *i = &m->info;
  i->pus = hwp__count(m->topo, HWLOC_OBJ_PU);
  i->cores = hwp__count(m->topo, HWLOC_OBJ_CORE);
  if (i->cores == 0) i->cores = i->pus ? i->pus : 1;
  i->packages = hwp__count(m->topo, HWLOC_OBJ_PACKAGE);
  for (int l = 0; l < 3; l++) {
    hwp__cache(m->topo, levels[l], &i->cache_bytes[l], &i->cache_instances[l]);
    if (i->cache_bytes[l]) i->llc_total_bytes = i->cache_bytes[l] * i->cache_instances[l];
  }
  hwloc_obj_t root = hwloc_get_root_obj(m->topo);
  i->memory_bytes = root != NULL ? root->total_memory : 0;
  hwloc_obj_t pkg = hwloc_get_obj_by_type(m->topo, HWLOC_OBJ_PACKAGE, 0);
  const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
  if (model == NULL && root != NULL) model = hwloc_obj_get_info_by_name(root, "CPUModel");
  snprintf(i->cpu_model, sizeof i->cpu_model, "%s", model ? model : "");
}

int hwp_machine_open(hwp_machine **out, char *err, size_t errlen) {
  hwp_machine *m = calloc(1, sizeof *m);
  if (m == NULL) return hwp__errf(err, errlen, HWP_ENOMEM, "out of memory");
  if (hwloc_topology_init(&m->topo) != 0) goto fail_free;
  if (hwloc_topology_load(m->topo) != 0) goto fail_topo;
  hwp__describe(m);
  *out = m;
  return HWP_OK;
fail_topo:
  hwloc_topology_destroy(m->topo);
fail_free:
  free(m);
  return hwp__errf(err, errlen, HWP_EIO, "hwloc cannot read this machine's topology: %s",
                   strerror(errno));
}

void hwp_machine_close(hwp_machine *m) {
  if (m == NULL) return;
  hwloc_topology_destroy(m->topo);
  free(m);
}

const hwp_machine_info *hwp_machine_describe(const hwp_machine *m) { return &m->info; }

/* Bind the calling thread to the first PU of core idx mod cores. 1 when bound. */
static int hwp__pin_self(hwp_machine *m, unsigned idx) {
  hwloc_obj_type_t type = hwp__count(m->topo, HWLOC_OBJ_CORE) ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
  unsigned n = hwp__count(m->topo, type);
  hwloc_obj_t obj = n ? hwloc_get_obj_by_type(m->topo, type, idx % n) : NULL;
  if (obj == NULL || obj->cpuset == NULL) return 0;
  hwloc_bitmap_t set = hwloc_bitmap_dup(obj->cpuset);
  if (set == NULL) return 0;
  hwloc_bitmap_singlify(set);
  int ok = hwloc_set_cpubind(m->topo, set, HWLOC_CPUBIND_THREAD) == 0;
  hwloc_bitmap_free(set);
  return ok;
}

/* ---- a team of pinned threads --------------------------------------------------- */

typedef void (*hwp__work_fn)(void *ctx, unsigned idx, unsigned n);

typedef struct hwp__team hwp__team;
typedef struct hwp__worker {
  hwp__team *team;
  unsigned idx;
  int pinned;
  pthread_t tid;
} hwp__worker;

struct hwp__team {
  hwp_machine *m;
  unsigned n, created;
  hwp__worker *workers;
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  uint64_t generation; /* bumped for each piece of work */
  unsigned running;    /* workers still on the current piece */
  int quit;
  hwp__work_fn fn;
  void *ctx;
};

static void *hwp__worker_main(void *arg) {
  hwp__worker *w = arg;
  hwp__team *t = w->team;
  int pinned = hwp__pin_self(t->m, w->idx);
  uint64_t seen = 0;
  pthread_mutex_lock(&t->mu);
  w->pinned = pinned;
  for (;;) {
    while (t->generation == seen && !t->quit) pthread_cond_wait(&t->go, &t->mu);
    if (t->quit) break;
    seen = t->generation;
    hwp__work_fn fn = t->fn;
    void *ctx = t->ctx;
    pthread_mutex_unlock(&t->mu);
    fn(ctx, w->idx, t->n);
    pthread_mutex_lock(&t->mu);
    if (--t->running == 0) pthread_cond_signal(&t->done);
  }
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

static void hwp__team_close(hwp__team *t) {
  if (t == NULL) return;
  pthread_mutex_lock(&t->mu);
  t->quit = 1;
  pthread_cond_broadcast(&t->go);
  pthread_mutex_unlock(&t->mu);
  for (unsigned i = 0; i < t->created; i++) pthread_join(t->workers[i].tid, NULL);
  pthread_cond_destroy(&t->done);
  pthread_cond_destroy(&t->go);
  pthread_mutex_destroy(&t->mu);
  free(t->workers);
  free(t);
}

static int hwp__team_open(hwp_machine *m, unsigned n, hwp__team **out, char *err, size_t errlen) {
  hwp__team *t = calloc(1, sizeof *t);
  if (t == NULL || (t->workers = calloc(n, sizeof *t->workers)) == NULL) {
    free(t);
    return hwp__errf(err, errlen, HWP_ENOMEM, "out of memory for %u threads", n);
  }
  t->m = m;
  t->n = n;
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->go, NULL);
  pthread_cond_init(&t->done, NULL);
  for (; t->created < n; t->created++) {
    hwp__worker *w = &t->workers[t->created];
    w->team = t;
    w->idx = t->created;
    int rc = pthread_create(&w->tid, NULL, hwp__worker_main, w);
    if (rc != 0) {
      hwp__team_close(t);
      return hwp__errf(err, errlen, HWP_EIO, "cannot start measuring thread %u of %u: %s",
                       w->idx + 1, n, strerror(rc));
    }
  }
  *out = t;
  return HWP_OK;
}

/* Run fn on every worker at once; the wall time from the start signal to the last
 * worker's return, in ns. */
static uint64_t hwp__team_run(hwp__team *t, hwp__work_fn fn, void *ctx) {
  pthread_mutex_lock(&t->mu);
  t->fn = fn;
  t->ctx = ctx;
  t->running = t->n;
  t->generation++;
  uint64_t start = hwp__now_ns();
  pthread_cond_broadcast(&t->go);
  while (t->running > 0) pthread_cond_wait(&t->done, &t->mu);
  uint64_t ns = hwp__now_ns() - start;
  pthread_mutex_unlock(&t->mu);
  return ns ? ns : 1;
}

/* The shortest of reps runs of fn. */
static uint64_t hwp__team_best(hwp__team *t, hwp__work_fn fn, void *ctx, unsigned reps) {
  uint64_t best = UINT64_MAX;
  for (unsigned r = 0; r < reps; r++) {
    uint64_t ns = hwp__team_run(t, fn, ctx);
    if (ns < best) best = ns;
  }
  return best;
}

static unsigned hwp__team_pinned(hwp__team *t) {
  unsigned pinned = 0;
  pthread_mutex_lock(&t->mu);
  for (unsigned i = 0; i < t->n; i++) pinned += t->workers[i].pinned != 0;
  pthread_mutex_unlock(&t->mu);
  return pinned;
}

/* "2 threads, each bound to its own core (hwloc)" or how many could not be. */
static void hwp__threads_text(char *buf, size_t len, unsigned threads, unsigned pinned) {
  if (pinned == threads)
    snprintf(buf, len, "%u thread%s, each bound to its own core (hwloc)", threads,
             threads == 1 ? "" : "s");
  else
    snprintf(buf, len, "%u thread%s, %u of them bound to a core (hwloc could not bind the "
             "others)", threads, threads == 1 ? "" : "s", pinned);
}

/* Shared start of both measurements: arguments, thread count, team. */
static int hwp__begin(hwp_machine *m, unsigned *threads, double seconds, hwp_measurement *out,
                      hwp__team **team, char *err, size_t errlen) {
  if (m == NULL || out == NULL || !(seconds >= 0.01 && seconds <= 3600))
    return hwp__errf(err, errlen, HWP_EINVAL,
                     "measuring needs a machine and 0.01 to 3600 seconds (got %g)", seconds);
  if (*threads == 0) *threads = m->info.cores;
  if (*threads > 4096)
    return hwp__errf(err, errlen, HWP_EINVAL, "at most 4096 threads (got %u)", *threads);
  memset(out, 0, sizeof *out);
  out->threads = *threads;
  return hwp__team_open(m, *threads, team, err, errlen);
}

/* ---- peak FMA throughput -------------------------------------------------------- */

#define HWP_FMA_REPS 5

typedef struct hwp__fma_job {
  const hwp__fma_kernel *kernel;
  uint64_t steps;
  float *checksums; /* one slot per thread */
} hwp__fma_job;

static void hwp__fma_work(void *ctx, unsigned idx, unsigned n) {
  hwp__fma_job *job = ctx;
  job->checksums[idx] = job->kernel->run(job->steps, 0.9999f, 1e-4f);
}

/* Double the steps until one run takes target_ns; returns the steps that fill rep_ns. */
static uint64_t hwp__fma_calibrate(hwp__team *t, hwp__fma_job *job, uint64_t target_ns,
                                   uint64_t rep_ns) {
  uint64_t ns;
  for (job->steps = 256;; job->steps *= 2) {
    ns = hwp__team_run(t, hwp__fma_work, job);
    if (ns >= target_ns || job->steps >= (1ull << 40)) break;
  }
  double steps = (double)job->steps * (double)rep_ns / (double)ns;
  return steps < 1 ? 1 : (uint64_t)steps;
}

int hwp_measure_fma(hwp_machine *m, unsigned threads, double seconds, hwp_measurement *out,
                    char *err, size_t errlen) {
  hwp__team *team = NULL;
  uint64_t t0 = hwp__now_ns();
  int rc = hwp__begin(m, &threads, seconds, out, &team, err, errlen);
  if (rc != HWP_OK) return rc;
  hwp__fma_job job = {hwp__fma_kernel_at(0), 0, calloc(threads, sizeof(float))};
  if (job.checksums == NULL) {
    rc = hwp__errf(err, errlen, HWP_ENOMEM, "out of memory");
    goto done;
  }
  uint64_t budget_ns = (uint64_t)(seconds * 1e9);
  uint64_t rep_ns = budget_ns * 8 / 10 / HWP_FMA_REPS;
  job.steps = hwp__fma_calibrate(team, &job, budget_ns / 10, rep_ns);
  uint64_t best = hwp__team_best(team, hwp__fma_work, &job, HWP_FMA_REPS);
  for (unsigned i = 0; i < threads; i++)
    if (!isfinite(job.checksums[i])) {
      rc = hwp__errf(err, errlen, HWP_EIO, "the %s kernel computed a non-finite result",
                     job.kernel->name);
      goto done;
    }
  out->value = hwp__fma_flops_per_step(job.kernel) * (double)job.steps * threads / (best * 1e-9);
  out->reps = HWP_FMA_REPS;
  out->pinned = hwp__team_pinned(team);
  char who[128];
  hwp__threads_text(who, sizeof who, threads, out->pinned);
  snprintf(out->method, sizeof out->method,
           "%s kernel, %d independent chains of %u-lane fp32 %s, %s, best of %d x %.2f s",
           job.kernel->name, HWP__FMA_CHAINS, job.kernel->lanes,
           job.kernel->fused ? "FMAs" : "multiply+adds", who, HWP_FMA_REPS, rep_ns * 1e-9);
done:
  free(job.checksums);
  hwp__team_close(team);
  out->seconds = (hwp__now_ns() - t0) * 1e-9;
  return rc;
}

/* ---- STREAM triad --------------------------------------------------------------- */

#define HWP_TRIAD_SCALAR 3.0

typedef struct hwp__triad_job {
  double *a, *b, *c;
  size_t n;
  size_t *wrong; /* one slot per thread: elements whose result is not b + s*c */
} hwp__triad_job;

static void hwp__range(const hwp__triad_job *job, unsigned idx, unsigned n, size_t *lo,
                       size_t *hi) {
  *lo = (size_t)((uint64_t)job->n * idx / n);
  *hi = (size_t)((uint64_t)job->n * (idx + 1) / n);
}

static void hwp__triad_init(void *ctx, unsigned idx, unsigned n) {
  hwp__triad_job *job = ctx;
  size_t lo, hi;
  hwp__range(job, idx, n, &lo, &hi);
  for (size_t i = lo; i < hi; i++) {
    job->a[i] = 0.0;
    job->b[i] = 1.0;
    job->c[i] = 2.0;
  }
}

static void hwp__triad_work(void *ctx, unsigned idx, unsigned n) {
  hwp__triad_job *job = ctx;
  size_t lo, hi;
  hwp__range(job, idx, n, &lo, &hi);
  hwp__triad(job->a + lo, job->b + lo, job->c + lo, HWP_TRIAD_SCALAR, hi - lo);
}

static void hwp__triad_check(void *ctx, unsigned idx, unsigned n) {
  hwp__triad_job *job = ctx;
  size_t lo, hi, wrong = 0;
  hwp__range(job, idx, n, &lo, &hi);
  for (size_t i = lo; i < hi; i++) wrong += job->a[i] != 1.0 + HWP_TRIAD_SCALAR * 2.0;
  job->wrong[idx] = wrong;
}

/* Bytes per array: what the caller asked, or 4 x the last-level caches (STREAM's rule),
 * at least 32 MiB, the three arrays at most an eighth of RAM; a whole number of pages. */
static size_t hwp__triad_bytes(const hwp_machine_info *info, size_t asked) {
  double bytes = asked;
  if (asked == 0) {
    bytes = info->llc_total_bytes ? 4.0 * (double)info->llc_total_bytes : 64 * HWP_MIB;
    if (bytes < 32 * HWP_MIB) bytes = 32 * HWP_MIB;
    if (info->memory_bytes && bytes > info->memory_bytes / 24.0) bytes = info->memory_bytes / 24.0;
  }
  return ((size_t)bytes + 4095) / 4096 * 4096;
}

static int hwp__triad_alloc(hwp__triad_job *job, size_t bytes, unsigned threads) {
  job->n = bytes / sizeof(double);
  job->a = aligned_alloc(4096, bytes);
  job->b = aligned_alloc(4096, bytes);
  job->c = aligned_alloc(4096, bytes);
  job->wrong = calloc(threads, sizeof *job->wrong);
  return job->a && job->b && job->c && job->wrong ? HWP_OK : HWP_ENOMEM;
}

static void hwp__triad_free(hwp__triad_job *job) {
  free(job->a);
  free(job->b);
  free(job->c);
  free(job->wrong);
}

/* Passes that fit the budget after a timed warm-up pass, 3 to 100. */
static unsigned hwp__triad_reps(hwp__team *t, hwp__triad_job *job, double seconds) {
  double pass_s = hwp__team_run(t, hwp__triad_work, job) * 1e-9;
  double reps = seconds / pass_s;
  return reps < 3 ? 3 : reps > 100 ? 100 : (unsigned)reps;
}

static int hwp__triad_verify(hwp__team *t, hwp__triad_job *job, char *err, size_t errlen) {
  hwp__team_run(t, hwp__triad_check, job);
  size_t wrong = 0;
  for (unsigned i = 0; i < t->n; i++) wrong += job->wrong[i];
  if (wrong == 0) return HWP_OK;
  return hwp__errf(err, errlen, HWP_EIO, "triad: %zu of %zu results are wrong", wrong, job->n);
}

int hwp_measure_triad(hwp_machine *m, unsigned threads, double seconds, size_t array_bytes,
                      hwp_measurement *out, char *err, size_t errlen) {
  hwp__team *team = NULL;
  hwp__triad_job job = {0};
  uint64_t t0 = hwp__now_ns();
  if (array_bytes != 0 && array_bytes < 4096)
    return hwp__errf(err, errlen, HWP_EINVAL, "triad arrays need at least 4096 bytes");
  int rc = hwp__begin(m, &threads, seconds, out, &team, err, errlen);
  if (rc != HWP_OK) return rc;
  size_t bytes = hwp__triad_bytes(&m->info, array_bytes);
  if (hwp__triad_alloc(&job, bytes, threads) != HWP_OK) {
    rc = hwp__errf(err, errlen, HWP_ENOMEM, "triad: cannot allocate 3 x %.0f MiB", bytes / HWP_MIB);
    goto done;
  }
  hwp__team_run(team, hwp__triad_init, &job);
  unsigned reps = hwp__triad_reps(team, &job, seconds - (hwp__now_ns() - t0) * 1e-9);
  uint64_t best = hwp__team_best(team, hwp__triad_work, &job, reps);
  if ((rc = hwp__triad_verify(team, &job, err, errlen)) != HWP_OK) goto done;
  out->value = 3.0 * sizeof(double) * (double)job.n / (best * 1e-9);
  out->reps = reps;
  out->array_bytes = bytes;
  out->pinned = hwp__team_pinned(team);
  char who[128];
  hwp__threads_text(who, sizeof who, threads, out->pinned);
  snprintf(out->method, sizeof out->method,
           "STREAM triad a[i] = b[i] + s*c[i], 3 fp64 arrays of %.4g MiB, 24 bytes per "
           "element, %s, best of %u passes", bytes / HWP_MIB, who, reps);
done:
  hwp__triad_free(&job);
  hwp__team_close(team);
  out->seconds = (hwp__now_ns() - t0) * 1e-9;
  return rc;
}
