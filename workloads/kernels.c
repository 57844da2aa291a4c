/*
 * workloads/kernels.c - the fast fp32 kernels (kernels.h): B packing, the blocked GEMM
 * driver with its edge tiles, the implicit-GEMM convolution, and the kernel table with
 * its runtime choice of micro-kernels (kernels_body.h compiled for the baseline ISA
 * and, on x86-64, for AVX2 + FMA).
 */
#include "workloads/kernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WL_KERN_HAVE_AVX2 1
#include <immintrin.h>
#else
#define WL_KERN_HAVE_AVX2 0
#endif

/* 8 floats as a GCC vector; loads and stores through a 4-byte-aligned alias. */
typedef float wl_v8 __attribute__((vector_size(32)));
typedef float wl_v8u __attribute__((vector_size(32), aligned(4), may_alias));
typedef int32_t wl_v8i __attribute__((vector_size(32)));
#define WL_V8_LD(p) ((wl_v8)*(const wl_v8u *)(const void *)(p))
#define WL_V8_ST(p, v) (*(wl_v8u *)(void *)(p) = (v))
#define WL_V8_SPLAT(s) ((wl_v8){(s), (s), (s), (s), (s), (s), (s), (s)})
/* max(v, 0) with NaN -> 0, as the reference's `v > 0 ? v : 0`. */
#define WL_V8_RELU(v) ((wl_v8)((wl_v8i)(v) & ((v) > WL_V8_SPLAT(0.0f))))

/* ---- the micro-kernels, once per ISA ---------------------------------------------- */
#define WL_KB(name) name##_generic
#define WL_KB_FMA(x, y, z) ((x) * (y) + (z))
#define WL_KB_ATTR
#include "workloads/kernels_body.h"
#undef WL_KB
#undef WL_KB_FMA
#undef WL_KB_ATTR

#if WL_KERN_HAVE_AVX2
#define WL_KB(name) name##_avx2
#define WL_KB_FMA(x, y, z) ((wl_v8)_mm256_fmadd_ps((x), (y), (z)))
#define WL_KB_ATTR __attribute__((target("avx2,fma")))
#include "workloads/kernels_body.h"
#undef WL_KB
#undef WL_KB_FMA
#undef WL_KB_ATTR
#endif

bool wl_kern_init_isa(wl_kern *k, wl_kern_isa isa)
{
  if (isa == WL_KERN_GENERIC) {
    *k = (wl_kern){WL_KERN_GENERIC, "generic", tile_generic, row4_generic, dw_generic,
                   add_generic};
    return true;
  }
#if WL_KERN_HAVE_AVX2
  if (isa == WL_KERN_AVX2) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
      return false;
    *k = (wl_kern){WL_KERN_AVX2, "avx2+fma", tile_avx2, row4_avx2, dw_avx2, add_avx2};
    return true;
  }
#endif
  return false;
}

void wl_kern_init(wl_kern *k)
{
  if (!wl_kern_init_isa(k, WL_KERN_AVX2))
    wl_kern_init_isa(k, WL_KERN_GENERIC);
}

/* ---- packing ---------------------------------------------------------------------- */

int wl_kern_b_init(wl_kern_b *pb, const float *b, size_t ldb, int k, int n,
                   const float *bias)
{
  memset(pb, 0, sizeof *pb);
  if (k < 1 || n < 1)
    return -1;
  int panels = (n + WL_KERN_NR - 1) / WL_KERN_NR;
  size_t floats = (size_t)panels * (size_t)k * WL_KERN_NR;
  size_t bias_bytes = ((size_t)panels * WL_KERN_NR * sizeof(float) + 63) / 64 * 64;
  pb->packed = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
  pb->bias = aligned_alloc(64, bias_bytes);
  if (!pb->packed || !pb->bias) {
    wl_kern_b_destroy(pb);
    return -1;
  }
  pb->k = k;
  pb->n = n;
  pb->panels = panels;
  memset(pb->bias, 0, bias_bytes);
  if (bias)
    memcpy(pb->bias, bias, sizeof(float) * (size_t)n);
  for (int j = 0; j < panels; j++) {
    int cols = n - j * WL_KERN_NR < WL_KERN_NR ? n - j * WL_KERN_NR : WL_KERN_NR;
    float *dst = pb->packed + (size_t)j * k * WL_KERN_NR;
    for (int p = 0; p < k; p++, dst += WL_KERN_NR) {
      memset(dst, 0, sizeof(float) * WL_KERN_NR);
      memcpy(dst, b + (size_t)p * ldb + (size_t)j * WL_KERN_NR, sizeof(float) * cols);
    }
  }
  return 0;
}

void wl_kern_b_destroy(wl_kern_b *pb)
{
  free(pb->packed);
  free(pb->bias);
  pb->packed = NULL;
  pb->bias = NULL;
}

/* ---- GEMM driver ------------------------------------------------------------------ */

/* Flags of the K block [p0, p0 + kc) of k. */
static int block_flags(int p0, int kc, int k, bool relu)
{
  return (p0 == 0 ? WL_KERN_FIRST : 0) | (relu && p0 + kc == k ? WL_KERN_RELU : 0);
}

/* One MR x NR tile of C at c: mr real rows, nr real columns; through a local tile
 * when it is not whole. */
static void gemm_tile(const wl_kern *kt, const wl_kern_rows *a, int mr, const float *bp,
                      const float *bias, float *c, size_t ldc, int nr, int flags)
{
  if (mr == WL_KERN_MR && nr == WL_KERN_NR) {
    kt->tile(a, bp, bias, c, ldc, flags);
    return;
  }
  _Alignas(64) float t[WL_KERN_MR * WL_KERN_NR];
  if (!(flags & WL_KERN_FIRST))
    for (int r = 0; r < mr; r++)
      memcpy(t + r * WL_KERN_NR, c + r * ldc, sizeof(float) * (size_t)nr);
  kt->tile(a, bp, bias, t, WL_KERN_NR, flags);
  for (int r = 0; r < mr; r++)
    memcpy(c + r * ldc, t + r * WL_KERN_NR, sizeof(float) * (size_t)nr);
}

static int min_int(int a, int b)
{
  return a < b ? a : b;
}

/* m = 1: four panels at a time through row4; in the last group, the slots past the
 * end read the group's first panel again (their outputs are dropped). */
static void gemm_row(const wl_kern *kt, const float *a, const wl_kern_b *pb, bool relu,
                     float *c)
{
  size_t pstride = (size_t)pb->k * WL_KERN_NR;
  int flags = WL_KERN_FIRST | (relu ? WL_KERN_RELU : 0);
  for (int j = 0; j < pb->panels; j += 4) {
    int left = pb->panels - j < 4 ? pb->panels - j : 4;
    const float *bp[4];
    for (int q = 0; q < 4; q++)
      bp[q] = pb->packed + (size_t)(j + (q < left ? q : 0)) * pstride;
    int cols = pb->n - j * WL_KERN_NR;
    if (cols >= 4 * WL_KERN_NR) {
      kt->row4(pb->k, a, bp, pb->bias + j * WL_KERN_NR, c + j * WL_KERN_NR, flags);
      continue;
    }
    _Alignas(64) float t[4 * WL_KERN_NR], bias[4 * WL_KERN_NR] = {0};
    memcpy(bias, pb->bias + j * WL_KERN_NR, sizeof(float) * (size_t)left * WL_KERN_NR);
    kt->row4(pb->k, a, bp, bias, t, flags);
    memcpy(c + j * WL_KERN_NR, t, sizeof(float) * (size_t)cols);
  }
}

void wl_kern_gemm(const wl_kern *kt, int m, const float *a, size_t lda,
                  const wl_kern_b *pb, bool relu, float *c, size_t ldc)
{
  if (m == 1) {
    gemm_row(kt, a, pb, relu, c);
    return;
  }
  int k = pb->k, n = pb->n;
  size_t pstride = (size_t)k * WL_KERN_NR;
  for (int p0 = 0; p0 < k; p0 += WL_KERN_KC) {
    int kc = k - p0 < WL_KERN_KC ? k - p0 : WL_KERN_KC;
    int flags = block_flags(p0, kc, k, relu);
    for (int i0 = 0; i0 < m; i0 += WL_KERN_MC) {
      int i1 = m - i0 < WL_KERN_MC ? m : i0 + WL_KERN_MC;
      for (int j = 0; j < pb->panels; j++) {
        const float *bp = pb->packed + (size_t)j * pstride + (size_t)p0 * WL_KERN_NR;
        int nr = n - j * WL_KERN_NR < WL_KERN_NR ? n - j * WL_KERN_NR : WL_KERN_NR;
        for (int i = i0; i < i1; i += WL_KERN_MR) {
          int mr = min_int(i1 - i, WL_KERN_MR);
          wl_kern_rows rows = {.nseg = 1, .kseg = kc, .seg_stride = 0};
          for (int r = 0; r < WL_KERN_MR; r++)
            rows.row[r] = a + (size_t)(i + min_int(r, mr - 1)) * lda + p0;
          gemm_tile(kt, &rows, mr, bp, pb->bias + j * WL_KERN_NR,
                    c + (size_t)i * ldc + j * WL_KERN_NR, ldc, nr, flags);
        }
      }
    }
  }
}

/* ---- convolution (implicit GEMM) ------------------------------------------------- */

/* Rows and columns of the zero-padded input: every input the kernel covers. */
static void padded_size(const wl_kern_conv *g, int *hp, int *wp)
{
  int need_h = (g->out_h - 1) * g->sh + g->kh, need_w = (g->out_w - 1) * g->sw + g->kw;
  *hp = g->pad_top + g->in_h > need_h ? g->pad_top + g->in_h : need_h;
  *wp = g->pad_left + g->in_w > need_w ? g->pad_left + g->in_w : need_w;
}

size_t wl_kern_conv_pad_floats(const wl_kern_conv *g)
{
  int hp, wp;
  padded_size(g, &hp, &wp);
  if (hp == g->in_h && wp == g->in_w)
    return 0;
  return (size_t)hp * (size_t)wp * (size_t)g->in_c;
}

/* The input with its 'same' padding made real (zeros), in pad; *wp gets its width. */
static const float *pad_input(const wl_kern_conv *g, const float *in, float *pad, int *wp)
{
  int hp;
  padded_size(g, &hp, wp);
  size_t ch = (size_t)g->in_c, row = (size_t)*wp * ch;
  if (hp == g->in_h && *wp == g->in_w)
    return in;
  size_t left = (size_t)g->pad_left * ch, width = (size_t)g->in_w * ch;
  memset(pad, 0, sizeof(float) * row * (size_t)g->pad_top);
  for (int y = 0; y < g->in_h; y++) {
    float *dst = pad + (size_t)(g->pad_top + y) * row;
    memset(dst, 0, sizeof(float) * left);
    memcpy(dst + left, in + (size_t)y * width, sizeof(float) * width);
    memset(dst + left + width, 0, sizeof(float) * (row - left - width));
  }
  memset(pad + (size_t)(g->pad_top + g->in_h) * row, 0,
         sizeof(float) * row * (size_t)(hp - g->pad_top - g->in_h));
  return pad;
}

void wl_kern_conv2d(const wl_kern *kt, const wl_kern_conv *g, const float *in,
                    const wl_kern_b *pb, bool relu, float *out, float *pad)
{
  int wp;
  const float *src = pad_input(g, in, pad, &wp);
  size_t ch = (size_t)g->in_c, n = (size_t)pb->n, pstride = (size_t)pb->k * WL_KERN_NR;
  int pixels = g->out_h * g->out_w, flags = WL_KERN_FIRST | (relu ? WL_KERN_RELU : 0);
  wl_kern_rows rows = {.nseg = g->kh, .kseg = g->kw * g->in_c,
                       .seg_stride = (size_t)wp * ch};
  size_t row_step = (size_t)g->sh * wp * ch, col_step = (size_t)g->sw * ch;
  for (int j = 0; j < pb->panels; j++) {
    const float *bp = pb->packed + (size_t)j * pstride;
    int nr = min_int(pb->n - j * WL_KERN_NR, WL_KERN_NR), oy = 0, ox = 0;
    for (int p0 = 0; p0 < pixels; p0 += WL_KERN_MR) {
      int mr = min_int(pixels - p0, WL_KERN_MR);
      /* output pixel p0 + r is (oy, ox) stepped r times along the rows */
      for (int r = 0; r < WL_KERN_MR; r++) {
        if (r < mr) {
          rows.row[r] = src + (size_t)oy * row_step + (size_t)ox * col_step;
          if (++ox == g->out_w)
            ox = 0, oy++;
        } else {
          rows.row[r] = rows.row[mr - 1];
        }
      }
      gemm_tile(kt, &rows, mr, bp, pb->bias + j * WL_KERN_NR,
                out + (size_t)p0 * n + (size_t)j * WL_KERN_NR, n, nr, flags);
    }
  }
}
