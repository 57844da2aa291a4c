/*
 * workloads/gemm.c - `gemm`: one fp32 matrix product C = A x B per inference, for
 * measuring a SUT's raw compute and memory bandwidth outside any model.
 *
 * Shapes (--set m=..., n=..., k=...; each 1..16384, default 256): the input is A, M x K
 * f32 row-major (a new A per sample); B, K x N f32 row-major, is the workload's fixed
 * weight; the output is C, M x N f32 row-major.
 * Counts per inference: params = K*N (B), MACs = M*N*K, FLOPs = 2*M*N*K,
 *   bytes = 4 * (M*K + K*N + M*N) (A and B read once, C written once).
 * Result: C[i][j] = sum over k = 0 .. K-1 of A[i][k] * B[k][j], summed in binary32
 *   from 0.0f in ascending k, each product rounded then added (no fused multiply-add).
 *   The cache-blocked reference keeps exactly that order, so it matches a naive triple
 *   loop bit for bit; a SUT that sums in another order differs by rounding only.
 * Weights: B from wl_rng seeded with wl_rng_derive(weight_seed, 0) (weight_seed default
 *   1): K*N values wl_rng_f32() (uniform in [-1, 1)) in row-major order.
 * Samples: A of sample `index` from wl_rng seeded with wl_rng_derive(sample_seed, index)
 *   (sample_seed default 2): M*K values wl_rng_f32() in row-major order.
 * total_sample_count = 1024; performance_sample_count = 64 MiB / (4 * M * K) clamped to
 *   1..1024 (256 samples at the defaults), so the loaded set outgrows the caches.
 * The model's impl is a wl_gemm (wl_private.h). No scratch: wl_infer writes C directly.
 * Fast path (wl_infer_batch): B packed at open for the packed, blocked GEMM of
 *   kernels.h (AVX2 + FMA micro-kernel where the CPU has it); same sums up to rounding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/rng.h"
#include "workloads/wl_private.h"

#define GEMM_MAX_DIM 16384
#define GEMM_SAMPLES 1024
#define GEMM_LOADED_BYTES (64u << 20)
#define GEMM_NB 256 /* columns per block: one 1 KB row segment of C stays in L1 */
#define GEMM_KB 128 /* rows of B per block: a 128 x 256 block (128 KB) stays in L2 */
#define GEMM_VEC 8  /* columns per SIMD block */

const char wl_gemm_description[] =
    "fp32 matrix multiply C = A x B (M x K times K x N): raw compute and bandwidth";

const wl_param_info wl_gemm_params[] = {
    {"m", "256", "rows of A and C (1..16384)"},
    {"n", "256", "columns of B and C (1..16384)"},
    {"k", "256", "columns of A, rows of B (1..16384)"},
    {"weight_seed", "1", "seed of the deterministic B (wl_rng)"},
    {"sample_seed", "2", "seed of the deterministic A of each sample (wl_rng)"},
    {NULL, NULL, NULL},
};

/* One dimension: an integer 1..GEMM_MAX_DIM. */
static int gemm_dim(const wl_param_ctx *ctx, const char *key, int *out)
{
  uint64_t v = 0;
  int rc = wl_param_u64(ctx, key, &v);
  if (rc != WL_OK)
    return rc;
  if (v < 1 || v > GEMM_MAX_DIM) {
    wl_set_err(ctx->err, ctx->errlen,
               "workload '%s': %s=%s is not valid; accepted: an integer 1..%d",
               ctx->workload, key, wl_param_value(ctx, key), GEMM_MAX_DIM);
    return WL_EPARAM;
  }
  *out = (int)v;
  return WL_OK;
}

static void gemm_fill_info(wl_info *info, const wl_gemm *g)
{
  uint64_t m = (uint64_t)g->m, n = (uint64_t)g->n, k = (uint64_t)g->k;
  uint64_t loaded = GEMM_LOADED_BYTES / (4 * m * k);
  info->input = (wl_tensor){WL_F32, 2, {g->m, g->k, 0, 0}};
  info->output = (wl_tensor){WL_F32, 2, {g->m, g->n, 0, 0}};
  info->params = k * n;
  info->macs = m * n * k;
  info->flops = 2 * m * n * k;
  info->bytes_moved = 4 * (m * k + k * n + m * n);
  info->total_sample_count = GEMM_SAMPLES;
  info->performance_sample_count = loaded < 1 ? 1 : loaded > GEMM_SAMPLES ? GEMM_SAMPLES
                                                                          : loaded;
}

static int gemm_open(wl_model *m, const wl_param_ctx *ctx)
{
  wl_gemm g = {0};
  int rc = gemm_dim(ctx, "m", &g.m);
  if (rc == WL_OK)
    rc = gemm_dim(ctx, "n", &g.n);
  if (rc == WL_OK)
    rc = gemm_dim(ctx, "k", &g.k);
  if (rc == WL_OK)
    rc = wl_param_u64(ctx, "weight_seed", &m->info.weight_seed);
  if (rc == WL_OK)
    rc = wl_param_u64(ctx, "sample_seed", &m->info.sample_seed);
  if (rc != WL_OK)
    return rc;
  wl_gemm *impl = malloc(sizeof *impl);
  size_t nb = (size_t)g.k * (size_t)g.n;
  g.b = malloc(sizeof(float) * nb);
  if (!impl || !g.b) {
    free(impl);
    free(g.b);
    wl_set_err(ctx->err, ctx->errlen, "workload 'gemm': out of memory for B (%zu floats)",
               nb);
    return WL_ENOMEM;
  }
  wl_rng r;
  wl_rng_seed(&r, wl_rng_derive(m->info.weight_seed, 0));
  wl_rng_fill_f32(&r, g.b, nb, 1.0f);
  wl_kern_init(&g.kern);
  if (wl_kern_b_init(&g.packed, g.b, (size_t)g.n, g.k, g.n, NULL) != 0) {
    free(impl);
    free(g.b);
    wl_set_err(ctx->err, ctx->errlen, "workload 'gemm': out of memory for packed B");
    return WL_ENOMEM;
  }
  *impl = g;
  gemm_fill_info(&m->info, impl);
  m->impl = impl;
  return WL_OK;
}

static void gemm_close(wl_model *m)
{
  wl_gemm *g = m->impl;
  wl_kern_b_destroy(&g->packed);
  free(g->b);
  free(g);
}

static size_t gemm_scratch_bytes(const wl_model *m)
{
  return 0;
}

static void gemm_scratch_init(const wl_model *m, void *scratch, unsigned worker)
{
}

static void gemm_make_sample(const wl_model *m, uint64_t index, void *input)
{
  const wl_gemm *g = m->impl;
  wl_rng r;
  wl_rng_seed(&r, wl_rng_derive(m->info.sample_seed, index));
  wl_rng_fill_f32(&r, input, (size_t)g->m * (size_t)g->k, 1.0f);
}

/*
 * c[j] += a[0] * b0[j], then a[1] * b1[j], ... for `rows` rows of B (at most 4) that
 * are `ldb` floats apart: one element of C is loaded and stored once per 4 products,
 * and each still gets its products added one at a time in ascending k. Columns go in
 * blocks of GEMM_VEC with fixed-size inner loops, which gcc -O2 turns into SIMD code;
 * a scalar loop finishes the remainder.
 */
static void gemm_rows(float *restrict c, const float *restrict a, const float *restrict b,
                      size_t ldb, int rows, int cols)
{
  int j = 0;
  for (; j + GEMM_VEC <= cols; j += GEMM_VEC) {
    float s[GEMM_VEC];
    for (int v = 0; v < GEMM_VEC; v++)
      s[v] = c[j + v];
    for (int r = 0; r < rows; r++) {
      const float *br = b + (size_t)r * ldb + j;
      float ar = a[r];
      for (int v = 0; v < GEMM_VEC; v++)
        s[v] += ar * br[v];
    }
    for (int v = 0; v < GEMM_VEC; v++)
      c[j + v] = s[v];
  }
  for (; j < cols; j++) {
    float s = c[j];
    for (int r = 0; r < rows; r++)
      s += a[r] * b[(size_t)r * ldb + j];
    c[j] = s;
  }
}

void wl_gemm_run(const wl_gemm *g, const float *a, float *c)
{
  size_t n = (size_t)g->n, k = (size_t)g->k;
  memset(c, 0, sizeof(float) * (size_t)g->m * n);
  for (size_t j0 = 0; j0 < n; j0 += GEMM_NB) {
    int cols = (int)(n - j0 < GEMM_NB ? n - j0 : GEMM_NB);
    for (size_t k0 = 0; k0 < k; k0 += GEMM_KB) {
      size_t kend = k - k0 < GEMM_KB ? k : k0 + GEMM_KB;
      for (size_t i = 0; i < (size_t)g->m; i++)
        for (size_t kk = k0; kk < kend; kk += 4) {
          int rows = (int)(kend - kk < 4 ? kend - kk : 4);
          gemm_rows(c + i * n + j0, a + i * k + kk, g->b + kk * n + j0, n, rows, cols);
        }
    }
  }
}

static void gemm_infer(const wl_model *m, const void *input, void *output, void *scratch)
{
  wl_gemm_run(m->impl, input, output);
}

/* The fast path: the packed, blocked GEMM of kernels.h, one sample at a time. */
static void gemm_infer_batch(const wl_model *m, const void *const *inputs,
                             void *const *outputs, size_t n, void *scratch)
{
  const wl_gemm *g = m->impl;
  for (size_t i = 0; i < n; i++)
    wl_kern_gemm(&g->kern, g->m, inputs[i], (size_t)g->k, &g->packed, false, outputs[i],
                 (size_t)g->n);
}

static size_t gemm_batch_scratch_bytes(const wl_model *m, size_t batch)
{
  return 0;
}

const wl_ops wl_gemm_ops = {
    gemm_open,        gemm_close, gemm_scratch_bytes,       gemm_scratch_init,
    gemm_make_sample, gemm_infer, gemm_batch_scratch_bytes, gemm_infer_batch,
};
