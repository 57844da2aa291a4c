/*
 * sut/cpu/cpu.c - the CPU adapter: options, sample store, worker pool or inline.
 *
 * Open parses the spec options, loads the hwloc topology (running unpinned, with the
 * reason, when hwloc fails), works out the placement (sut/cpu/place.h: --cpus,
 * --pin, the worker count, the CPUs left to the loadgen thread), creates the sample
 * store and either the worker pool or the inline executor. Load and unload first
 * quiesce the pool so no worker reads the store while it changes; unload drops
 * samples still queued (loadgen only unloads after its drain, so they are already
 * counted lost).
 */
#include "sut/cpu/cpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sut/cpu/exec.h"
#include "sut/cpu/place.h"
#include "sut/cpu/pool.h"
#include "sut/cpu/store.h"
#include "sut/cpu/topo.h"

#define CPU_BATCH_COMPUTE 16
#define CPU_BATCH_COMPUTE_FREE 1024
#define CPU_BATCH_MAX 65536
#define CPU_SPIN_US_DEFAULT 20
#define CPU_SPIN_US_MAX 1000000

typedef struct cpu_opts {
  sut_pin pin;
  uint64_t spin_us;
} cpu_opts;

typedef struct sut_cpu {
  const wl_model *model;
  cpu_opts opts;
  sut_topo *topo;          /* NULL when hwloc failed: unpinned */
  char topo_why[96];
  sut_place *place;
  sut_store *store;
  sut_pool *pool;          /* NULL when inline */
  sut_exec inline_exec;
  bool inline_mode;
  size_t batch;
  _Atomic uint64_t not_loaded;
  char device[128];
} sut_cpu;

/* ---- spec options -------------------------------------------------------------- */
static int parse_pin(const char *value, cpu_opts *o, char *err, size_t errlen)
{
  static const char *const names[] = {"core", "pu", "none"};
  for (int i = 0; i < 3; i++) {
    if (strcmp(value, names[i]) == 0) {
      o->pin = (sut_pin)i;
      return SUT_OK;
    }
  }
  snprintf(err, errlen, "cpu: pin %s: use core, pu or none", value);
  return SUT_EINVAL;
}

static int parse_spin(const char *value, cpu_opts *o, char *err, size_t errlen)
{
  char *end;
  unsigned long long us = strtoull(value, &end, 10);
  if (end == value || *end || us > CPU_SPIN_US_MAX) {
    snprintf(err, errlen, "cpu: spin_us=%s: use 0 to %d", value, CPU_SPIN_US_MAX);
    return SUT_EINVAL;
  }
  o->spin_us = us;
  return SUT_OK;
}

static int parse_option(char *kv, cpu_opts *o, char *err, size_t errlen)
{
  char *eq = strchr(kv, '=');
  if (!eq) {
    snprintf(err, errlen, "cpu: option '%s' needs key=value (keys: pin, spin_us)", kv);
    return SUT_EINVAL;
  }
  *eq = '\0';
  const char *value = eq + 1;
  if (strcmp(kv, "pin") == 0)
    return parse_pin(value, o, err, errlen);
  if (strcmp(kv, "spin_us") == 0)
    return parse_spin(value, o, err, errlen);
  if (strcmp(kv, "cores") == 0 || strcmp(kv, "pus") == 0) {
    snprintf(err, errlen, "cpu: option '%s' is gone: name OS CPU numbers with --cpus "
             "and choose core or pu with --pin", kv);
    return SUT_EINVAL;
  }
  snprintf(err, errlen, "cpu: unknown option '%s' (keys: pin, spin_us)", kv);
  return SUT_EINVAL;
}

/* Options after "cpu:" (none when spec has no ':'). */
static int parse_spec(const char *spec, cpu_opts *o, char *err, size_t errlen)
{
  memset(o, 0, sizeof *o);
  o->pin = SUT_PIN_CORE;
  o->spin_us = CPU_SPIN_US_DEFAULT;
  const char *colon = spec ? strchr(spec, ':') : NULL;
  if (!colon || !colon[1])
    return SUT_OK;
  char buf[256];
  if (strlen(colon + 1) >= sizeof buf) {
    snprintf(err, errlen, "cpu: options too long");
    return SUT_EINVAL;
  }
  strcpy(buf, colon + 1);
  int rc = SUT_OK;
  for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv && rc == SUT_OK;
       kv = strtok_r(NULL, ",", &save))
    rc = parse_option(kv, o, err, errlen);
  return rc;
}

/* The spec's options, then sut_options.pin over the spec's pin=. */
static int parse_options(const sut_options *so, cpu_opts *o, char *err, size_t errlen)
{
  int rc = parse_spec(so->spec, o, err, errlen);
  if (rc == SUT_OK && so->pin)
    rc = parse_pin(so->pin, o, err, errlen);
  return rc;
}

static int check_options(const sut_options *o, char *err, size_t errlen)
{
  if (o->threads < SUT_THREADS_AUTO || o->threads > SUT_MAX_WORKERS) {
    snprintf(err, errlen, "cpu: threads=%d: use 1 to %d, 0 (one per core) or -1 "
             "(inline)", o->threads, SUT_MAX_WORKERS);
    return SUT_EINVAL;
  }
  if (o->batch < 0 || o->batch > CPU_BATCH_MAX) {
    snprintf(err, errlen, "cpu: batch=%d: use 1 to %d, or 0 for the default", o->batch,
             CPU_BATCH_MAX);
    return SUT_EINVAL;
  }
  return SUT_OK;
}

/* ---- open ---------------------------------------------------------------------- */
/* Topology (unpinned without it) and placement; the placement checks --cpus even
 * when the SUT will run inline. */
static int place_workers(sut_cpu *c, const sut_options *o, char *err, size_t errlen)
{
  if (sut_topo_open(&c->topo, c->topo_why, sizeof c->topo_why) == SUT_ENOMEM) {
    snprintf(err, errlen, "cpu: out of memory for the topology");
    return SUT_ENOMEM;
  }
  sut_place_request r = {
      .cpus = o->cpus,
      .pin = c->opts.pin,
      .threads = o->threads > 0 ? (unsigned)o->threads : 0u,
  };
  return sut_place_init(&c->place, c->topo, &r, err, errlen);
}

static int start_pool(sut_cpu *c, char *err, size_t errlen)
{
  sut_pool_config pc = {
      .workers = sut_place_workers(c->place),
      .batch = c->batch,
      .spin_ns = c->opts.spin_us * 1000u,
      .place = c->place,
  };
  return sut_pool_start(&c->pool, &pc, c->model, c->store, &c->not_loaded, err, errlen);
}

/* Inline executor or worker pool, as the options and the workload ask. */
static int start_execution(sut_cpu *c, const sut_options *o, char *err, size_t errlen)
{
  const wl_info *info = wl_model_info(c->model);
  c->inline_mode = o->threads == SUT_THREADS_INLINE ||
                   (o->threads == SUT_THREADS_AUTO && info->compute_free);
  c->batch = o->batch > 0                ? (size_t)o->batch
             : info->compute_free        ? CPU_BATCH_COMPUTE_FREE
                                         : CPU_BATCH_COMPUTE;
  if (!c->inline_mode)
    return start_pool(c, err, errlen);
  int rc = sut_exec_init(&c->inline_exec, c->model, c->store, c->batch, 0,
                         &c->not_loaded);
  if (rc != SUT_OK)
    snprintf(err, errlen, "cpu: out of memory for the inline executor");
  return rc;
}

static void cpu_close(void *self);

static int cpu_open(void **self, const sut_options *o, const wl_model *m, char *err,
                    size_t errlen)
{
  *self = NULL;
  sut_cpu *c = calloc(1, sizeof *c);
  if (!c) {
    snprintf(err, errlen, "cpu: out of memory");
    return SUT_ENOMEM;
  }
  c->model = m;
  atomic_init(&c->not_loaded, 0);
  int rc = check_options(o, err, errlen);
  if (rc == SUT_OK)
    rc = parse_options(o, &c->opts, err, errlen);
  if (rc == SUT_OK)
    rc = place_workers(c, o, err, errlen);
  if (rc != SUT_OK)
    goto fail;
  sut_topo_device(c->topo, c->device, sizeof c->device);
  if (sut_store_init(&c->store, m, o->samples) != SUT_OK) {
    rc = SUT_ENOMEM;
    snprintf(err, errlen, "cpu: out of memory for the sample store");
    goto fail;
  }
  rc = start_execution(c, o, err, errlen);
  if (rc != SUT_OK)
    goto fail;
  *self = c;
  return SUT_OK;

fail:
  cpu_close(c);
  return rc;
}

/* ---- phases -------------------------------------------------------------------- */
static int cpu_load(void *self, const uint64_t *indices, size_t n)
{
  sut_cpu *c = self;
  if (c->pool)
    sut_pool_quiesce(c->pool, false);
  return sut_store_load(c->store, indices, n);
}

static int cpu_unload(void *self, const uint64_t *indices, size_t n)
{
  sut_cpu *c = self;
  if (c->pool)
    sut_pool_quiesce(c->pool, true);
  return sut_store_unload(c->store, indices, n);
}

static void cpu_issue(void *self, lg_test *t, const lg_sample *s, size_t n)
{
  sut_cpu *c = self;
  if (c->inline_mode)
    sut_exec_run(&c->inline_exec, t, s, n);
  else
    sut_pool_issue(c->pool, t, s, n);
}

static void cpu_flush(void *self)
{
  /* Workers run whatever is queued without being asked; nothing to push. */
}

static void cpu_describe(void *self, sut_info *out)
{
  sut_cpu *c = self;
  snprintf(out->name, sizeof out->name, "cpu");
  snprintf(out->device, sizeof out->device, "%s", c->device);
  out->batch = (int)c->batch;
  out->inline_completion = c->inline_mode;
  out->samples_not_loaded = atomic_load_explicit(&c->not_loaded, memory_order_relaxed);
  if (c->inline_mode) {
    out->threads = 0;
    snprintf(out->pinning, sizeof out->pinning,
             "none (inline: runs on the issuing thread)");
    return;
  }
  sut_pool_describe(c->pool, out);
  sut_place_spare(c->place, out->loadgen_cpus, sizeof out->loadgen_cpus);
  if (!c->topo)
    snprintf(out->pinning, sizeof out->pinning, "none (hwloc unavailable: %.37s)",
             c->topo_why);
}

static int cpu_pin_caller_off(void *self, char *where, size_t len)
{
  sut_cpu *c = self;
  if (!c->inline_mode)
    return sut_place_bind_spare(c->place, where, len);
  snprintf(where, len, "not pinned: the SUT runs inline on the calling thread");
  return SUT_OK;
}

static void cpu_close(void *self)
{
  sut_cpu *c = self;
  if (!c)
    return;
  sut_pool_stop(c->pool);
  sut_exec_destroy(&c->inline_exec);
  sut_store_destroy(c->store);
  sut_place_destroy(c->place);
  sut_topo_close(c->topo);
  free(c);
}

const sut_backend sut_cpu_backend = {
    .name = "cpu",
    .help = "in-process worker threads, one per physical core, pinned with hwloc "
            "(--cpus LIST, --pin core|pu|none; cpu:pin=core|pu|none,spin_us=N)",
    .open = cpu_open,
    .load = cpu_load,
    .unload = cpu_unload,
    .issue = cpu_issue,
    .flush = cpu_flush,
    .describe = cpu_describe,
    .close = cpu_close,
    .pin_caller_off = cpu_pin_caller_off,
};
