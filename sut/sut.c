/*
 * sut/sut.c - the phase-checked wrapper around the SUT backend table.
 *
 * Picks the backend named by the spec, enforces open -> load -> issue/flush ->
 * unload -> close (SUT_EPHASE otherwise), counts samples issued in the wrong phase
 * (they are never completed, so loadgen counts them lost; sut_describe shows the
 * count) and bridges to libloadgen's lg_sut_ops / lg_qsl_ops.
 *
 * Phases: after open the sut is OPEN; every successful load adds one loaded set and
 * every unload removes one, and issue is allowed while at least one set is loaded
 * (LOADED). close is allowed in any phase.
 */
#include "sut/sut.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sut/cpu/cpu.h"
#include "sut/serial/serial.h"
#include "sut/cuda/cuda.h"

/* Every adapter compiled in. cuda (sut/cuda) and serial (sut/serial) go here, each
 * as a real backend or as a small "unavailable" one whose open returns SUT_ENOTSUP
 * with the reason. */
static const sut_backend *const backends[] = {
    &sut_cpu_backend,
    &sut_serial_backend,
    &sut_cuda_backend,
};

#define BACKEND_COUNT (sizeof backends / sizeof backends[0])

struct sut {
  const sut_backend *backend;
  void *self;
  const wl_model *model;
  const sut_samples *samples; /* NULL = the workload's generator */
  unsigned loaded_sets;      /* loads minus unloads; > 0 means LOADED */
  uint64_t samples_refused;  /* issued while no set was loaded */
};

const char *sut_strerror(int status)
{
  switch (status) {
#define SUT_STATUS_TEXT_(name, value, text) \
  case (value):                             \
    return text;
    SUT_STATUS_MAP(SUT_STATUS_TEXT_)
#undef SUT_STATUS_TEXT_
  }
  return "unknown status";
}

void sut_options_default(sut_options *o)
{
  memset(o, 0, sizeof *o);
  o->spec = "cpu";
  o->threads = SUT_THREADS_AUTO;
  o->batch = 0;
}

const sut_backend *const *sut_backends(size_t *count)
{
  if (count)
    *count = BACKEND_COUNT;
  return backends;
}

/* The backend whose name is the spec's text before ':'; NULL when none. */
static const sut_backend *find_backend(const char *spec)
{
  size_t len = strcspn(spec, ":");
  for (size_t i = 0; i < BACKEND_COUNT; i++)
    if (strlen(backends[i]->name) == len && strncmp(backends[i]->name, spec, len) == 0)
      return backends[i];
  return NULL;
}

static void unknown_message(const char *spec, char *err, size_t errlen)
{
  size_t used = (size_t)snprintf(err, errlen, "unknown SUT '%.*s'; known:",
                                 (int)strcspn(spec, ":"), spec);
  for (size_t i = 0; i < BACKEND_COUNT && used < errlen; i++)
    used += (size_t)snprintf(err + used, errlen - used, "%s %s", i ? "," : "",
                             backends[i]->name);
}

int sut_open(sut **out, const sut_options *o, const wl_model *m, char *err,
             size_t errlen)
{
  char scratch[8];
  if (!err || !errlen) {
    err = scratch;
    errlen = sizeof scratch;
  }
  err[0] = '\0';
  if (!out || !m) {
    snprintf(err, errlen, "sut_open: out and model must not be NULL");
    return SUT_EINVAL;
  }
  *out = NULL;
  sut_options defaults;
  sut_options_default(&defaults);
  sut_options opts = o ? *o : defaults;
  if (!opts.spec)
    opts.spec = defaults.spec;
  const sut_backend *backend = find_backend(opts.spec);
  if (!backend) {
    unknown_message(opts.spec, err, errlen);
    return SUT_EUNKNOWN;
  }
  sut *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "sut_open: out of memory");
    return SUT_ENOMEM;
  }
  s->backend = backend;
  s->model = m;
  s->samples = opts.samples;
  int rc = backend->open(&s->self, &opts, m, err, errlen);
  if (rc != SUT_OK) {
    free(s);
    return rc;
  }
  *out = s;
  return SUT_OK;
}

int sut_load(sut *s, const uint64_t *indices, size_t n)
{
  if (!s)
    return SUT_EPHASE;
  if (!indices && n)
    return SUT_EINVAL;
  int rc = s->backend->load(s->self, indices, n);
  if (rc == SUT_OK)
    s->loaded_sets++;
  return rc;
}

int sut_unload(sut *s, const uint64_t *indices, size_t n)
{
  if (!s || s->loaded_sets == 0)
    return SUT_EPHASE;
  if (!indices && n)
    return SUT_EINVAL;
  int rc = s->backend->unload(s->self, indices, n);
  if (rc == SUT_OK)
    s->loaded_sets--;
  return rc;
}

void sut_issue(sut *s, lg_test *t, const lg_sample *samples, size_t n)
{
  if (!s)
    return;
  if (s->loaded_sets == 0 || !t || !samples) {
    s->samples_refused += n;
    return;
  }
  if (n)
    s->backend->issue(s->self, t, samples, n);
}

void sut_flush(sut *s)
{
  if (s && s->loaded_sets > 0 && s->backend->flush)
    s->backend->flush(s->self);
}

void sut_describe(const sut *s, sut_info *out)
{
  memset(out, 0, sizeof *out);
  if (!s)
    return;
  s->backend->describe(s->self, out);
  out->samples_refused = s->samples_refused;
}

int sut_pin_caller_off(const sut *s, char *where, size_t len)
{
  if (!s || !where || !len)
    return SUT_EINVAL;
  if (s->backend->pin_caller_off)
    return s->backend->pin_caller_off(s->self, where, len);
  snprintf(where, len, "not pinned: the %s SUT keeps no host cores of its own",
           s->backend->name);
  return SUT_OK;
}

void sut_close(sut *s)
{
  if (!s)
    return;
  s->backend->close(s->self);
  free(s);
}

/* ---- libloadgen bridge --------------------------------------------------------- */
static void lg_issue_cb(void *ctx, lg_test *t, const lg_sample *samples, size_t n)
{
  sut_issue(ctx, t, samples, n);
}

static void lg_flush_cb(void *ctx)
{
  sut_flush(ctx);
}

static int lg_load_cb(void *ctx, const uint64_t *indices, size_t n)
{
  return sut_load(ctx, indices, n);
}

static int lg_unload_cb(void *ctx, const uint64_t *indices, size_t n)
{
  return sut_unload(ctx, indices, n);
}

void sut_lg_bind(sut *s, lg_sut_ops *sut_ops, lg_qsl_ops *qsl_ops)
{
  const wl_info *info = wl_model_info(s->model);
  *sut_ops = (lg_sut_ops){
      .name = s->backend->name,
      .issue = lg_issue_cb,
      .flush = lg_flush_cb,
  };
  *qsl_ops = (lg_qsl_ops){
      .name = info->name,
      .total_sample_count = sut_samples_count(s->samples, s->model),
      .performance_sample_count = info->performance_sample_count,
      .load = lg_load_cb,
      .unload = lg_unload_cb,
  };
}

int sut_samples_load(const sut_samples *src, const wl_model *m, uint64_t index, void *input,
                     char *err, size_t errlen) {
  if (!src) {
    wl_make_sample(m, index, input);
    return SUT_OK;
  }
  return src->load(src->ctx, index, input, err, errlen) == 0 ? SUT_OK : SUT_ESAMPLE;
}

uint64_t sut_samples_count(const sut_samples *src, const wl_model *m) {
  return src ? src->count : wl_model_info(m)->total_sample_count;
}
