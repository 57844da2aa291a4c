/*
 * workloads/synthetic.c - the harness-calibration workloads `null` and `delay`.
 *
 * Both take a 1-byte u8 input (sample `index` is the byte index & 0xFF) and echo it to
 * a 1-byte u8 output, so the accuracy check compares byte-wise and finds no error.
 *   null:  no compute at all (0 FLOPs, compute_free = true): measures the harness.
 *   delay: a service time per inference, busy-waited on CLOCK_MONOTONIC so the worker
 *          stays busy like a real kernel. delay_us (>= 0, default 100) and delay_dist:
 *          fixed (every inference takes delay_us) or exponential (mean delay_us, drawn
 *          with wl_rng: t = -delay_us * ln(1 - wl_rng_unit_f64()), from a per-thread
 *          generator in the scratch buffer seeded by wl_scratch_init(worker) with
 *          wl_rng_derive(WL_DELAY_SEED, worker)).
 * 1024 samples, all loaded by default.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workloads/rng.h"
#include "workloads/wl_private.h"

#define SYN_SAMPLES 1024
#define WL_DELAY_SEED 0x64656C6179ULL /* "delay" */

const char wl_null_description[] =
    "harness calibration: no compute, the output is the input byte";
const char wl_delay_description[] =
    "harness calibration: busy-waits a fixed or exponential service time";

const wl_param_info wl_null_params[] = {{NULL, NULL, NULL}};

const wl_param_info wl_delay_params[] = {
    {"delay_us", "100", "service time per inference in microseconds (mean if exponential)"},
    {"delay_dist", "fixed", "service-time distribution: fixed or exponential"},
    {NULL, NULL, NULL},
};

static const char *const delay_dists[] = {"fixed", "exponential", NULL};
enum { DELAY_FIXED = 0, DELAY_EXPONENTIAL = 1 };

typedef struct delay {
  double delay_ns;
  int dist;
} delay;

/* Shapes and counts shared by null and delay: one byte in, one byte out. */
static void syn_fill_info(wl_info *info)
{
  info->input = (wl_tensor){WL_U8, 1, {1, 0, 0, 0}};
  info->output = (wl_tensor){WL_U8, 1, {1, 0, 0, 0}};
  info->bytes_moved = 2;
  info->total_sample_count = SYN_SAMPLES;
  info->performance_sample_count = SYN_SAMPLES;
}

static int null_open(wl_model *m, const wl_param_ctx *ctx)
{
  syn_fill_info(&m->info);
  m->info.compute_free = true;
  return WL_OK;
}

static int delay_open(wl_model *m, const wl_param_ctx *ctx)
{
  double us;
  int dist;
  int rc = wl_param_nonneg(ctx, "delay_us", &us);
  if (rc == WL_OK)
    rc = wl_param_choice(ctx, "delay_dist", delay_dists, &dist);
  if (rc != WL_OK)
    return rc;
  delay *d = malloc(sizeof *d);
  if (!d)
    return WL_ENOMEM;
  d->delay_ns = us * 1000.0;
  d->dist = dist;
  syn_fill_info(&m->info);
  m->impl = d;
  return WL_OK;
}

static void syn_close(wl_model *m)
{
  free(m->impl);
}

static size_t null_scratch_bytes(const wl_model *m)
{
  return 0;
}

static size_t delay_scratch_bytes(const wl_model *m)
{
  return sizeof(wl_rng);
}

static void null_scratch_init(const wl_model *m, void *scratch, unsigned worker)
{
}

static void delay_scratch_init(const wl_model *m, void *scratch, unsigned worker)
{
  wl_rng_seed(scratch, wl_rng_derive(WL_DELAY_SEED, worker));
}

static void syn_make_sample(const wl_model *m, uint64_t index, void *input)
{
  *(uint8_t *)input = (uint8_t)(index & 0xFF);
}

static void null_infer(const wl_model *m, const void *input, void *output, void *scratch)
{
  *(uint8_t *)output = *(const uint8_t *)input;
}

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t wl_delay_next_ns(const wl_model *m, void *scratch)
{
  if (m->ops != &wl_delay_ops)
    return 0;
  const delay *d = m->impl;
  double ns = d->delay_ns;
  if (d->dist == DELAY_EXPONENTIAL)
    ns = -ns * log1p(-wl_rng_unit_f64(scratch));
  return (uint64_t)llround(ns);
}

static void delay_infer(const wl_model *m, const void *input, void *output,
                        void *scratch)
{
  uint64_t start = now_ns();
  uint64_t service = wl_delay_next_ns(m, scratch);
  while (now_ns() - start < service)
    ;
  null_infer(m, input, output, scratch);
}

const wl_ops wl_null_ops = {
    null_open, syn_close, null_scratch_bytes, null_scratch_init, syn_make_sample,
    null_infer, NULL, NULL,
};

const wl_ops wl_delay_ops = {
    delay_open, syn_close, delay_scratch_bytes, delay_scratch_init, syn_make_sample,
    delay_infer, NULL, NULL,
};
