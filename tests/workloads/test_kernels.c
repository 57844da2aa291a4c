/*
 * tests/workloads/test_kernels.c - the fast fp32 kernels (workloads/kernels.[ch])
 * against naive references computed in double: the packed GEMM on odd sizes, edge
 * tiles in both dimensions, K blocks, row strides, with and without bias and ReLU, and
 * the one-row (GEMV) path; the implicit-GEMM convolution on odd shapes, strides,
 * paddings and kernel sizes; the depthwise convolution with channel counts that are
 * not a multiple of the vector width; the residual add. Every case runs on each kernel
 * table this CPU has (generic always, AVX2 + FMA where supported; the others print
 * SKIP lines).
 *
 * Tolerance: |fast - exact| <= 1e-5 * (sum |a_i b_i| + |bias|) + 1e-6, a few ulps of
 * the magnitude the sum went through (fp32 summation, fused or not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/kernels.h"
#include "workloads/rng.h"

#define TOL_REL 1e-5
#define TOL_ABS 1e-6

static float *rand_floats(size_t n, uint64_t seed)
{
  float *v = malloc(sizeof(float) * (n ? n : 1));
  assert_non_null(v);
  wl_rng r;
  wl_rng_seed(&r, seed);
  wl_rng_fill_f32(&r, v, n, 1.0f);
  return v;
}

/* exact value and magnitude of one output, checked against got */
static void check_out(float got, double exact, double mag, const char *what, int i, int j)
{
  double tol = TOL_REL * mag + TOL_ABS;
  if (!(fabs((double)got - exact) <= tol)) {
    print_error("%s: [%d][%d] = %.9g, exact %.9g (tolerance %.3g)\n", what, i, j,
                (double)got, exact, tol);
    fail();
  }
}

/* Each kernel table this CPU has; fills isas, returns the count. */
static int tables(wl_kern *out)
{
  int n = 0;
  for (int isa = WL_KERN_GENERIC; isa <= WL_KERN_AVX2; isa++)
    if (wl_kern_init_isa(&out[n], (wl_kern_isa)isa))
      n++;
    else
      printf("SKIP: kernel table %d: not supported on this CPU or build\n", isa);
  return n;
}

/* ---- GEMM --------------------------------------------------------------------------- */

/* C = A x B + bias (ReLU) with lda, ldb, ldc wider than the matrices. */
static void gemm_case(const wl_kern *kt, int m, int n, int k, bool bias_on, bool relu)
{
  size_t lda = (size_t)k + 3, ldb = (size_t)n + 5, ldc = (size_t)n + 2;
  float *a = rand_floats((size_t)m * lda, 11 + (uint64_t)m);
  float *b = rand_floats((size_t)k * ldb, 23 + (uint64_t)n);
  float *bias = bias_on ? rand_floats((size_t)n, 37) : NULL;
  float *c = malloc(sizeof(float) * (size_t)m * ldc);
  assert_non_null(c);
  for (size_t i = 0; i < (size_t)m * ldc; i++)
    c[i] = 12345.0f; /* the gaps between rows must survive */
  wl_kern_b pb;
  assert_int_equal(wl_kern_b_init(&pb, b, ldb, k, n, bias), 0);
  wl_kern_gemm(kt, m, a, lda, &pb, relu, c, ldc);
  char what[96];
  snprintf(what, sizeof what, "%s gemm m=%d n=%d k=%d bias=%d relu=%d", kt->name, m, n, k,
           bias_on, relu);
  for (int i = 0; i < m; i++) {
    for (int j = 0; j < n; j++) {
      double exact = bias ? bias[j] : 0.0, mag = fabs(exact);
      for (int p = 0; p < k; p++) {
        double t = (double)a[(size_t)i * lda + p] * b[(size_t)p * ldb + j];
        exact += t;
        mag += fabs(t);
      }
      if (relu && exact < 0)
        exact = 0;
      check_out(c[(size_t)i * ldc + j], exact, mag, what, i, j);
    }
    for (size_t j = (size_t)n; j < ldc; j++)
      assert_true(c[(size_t)i * ldc + j] == 12345.0f);
  }
  wl_kern_b_destroy(&pb);
  free(a);
  free(b);
  free(bias);
  free(c);
}

static void test_gemm_odd_sizes(void **state)
{
  wl_kern kt[2];
  int nt = tables(kt);
  static const int ms[] = {1, 2, 5, 6, 7, 13, 150};
  static const int ns[] = {1, 3, 16, 17, 40, 64, 70};
  static const int ks[] = {1, 5, 16, 33};
  for (int t = 0; t < nt; t++)
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
      for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++)
        for (size_t p = 0; p < sizeof ks / sizeof ks[0]; p++)
          gemm_case(&kt[t], ms[i], ns[j], ks[p], (i + j) % 2 == 0, (j + p) % 2 == 1);
}

/* K beyond one K block (WL_KERN_KC) and M beyond one M block (WL_KERN_MC), so the
 * accumulate-into-C path and the ReLU on the last block only are exercised. */
static void test_gemm_blocks(void **state)
{
  wl_kern kt[2];
  int nt = tables(kt);
  for (int t = 0; t < nt; t++) {
    gemm_case(&kt[t], 7, 19, WL_KERN_KC + 1, true, true);
    gemm_case(&kt[t], WL_KERN_MC + 5, 33, 2 * WL_KERN_KC + 7, true, true);
    gemm_case(&kt[t], 1, 70, 2 * WL_KERN_KC + 7, true, true);
    gemm_case(&kt[t], 1, 200, 640, false, false);
  }
}

static void test_pack_rejects_bad_sizes(void **state)
{
  float b[4] = {0};
  wl_kern_b pb;
  assert_int_equal(wl_kern_b_init(&pb, b, 2, 0, 2, NULL), -1);
  assert_int_equal(wl_kern_b_init(&pb, b, 2, 2, 0, NULL), -1);
  wl_kern_b_destroy(&pb); /* zeroed: nothing to free, no crash */
}

/* ---- convolutions --------------------------------------------------------------------- */

/* TensorFlow 'same' padding of one dimension, written out again. */
static void same(int in, int k, int s, int *out, int *before)
{
  *out = (in + s - 1) / s;
  int total = (*out - 1) * s + k - in;
  *before = total > 0 ? total / 2 : 0;
}

static wl_kern_conv geometry(int h, int w, int c, int kh, int kw, int sh, int sw)
{
  wl_kern_conv g = {h, w, c, 0, 0, kh, kw, sh, sw, 0, 0};
  same(h, kh, sh, &g.out_h, &g.pad_top);
  same(w, kw, sw, &g.out_w, &g.pad_left);
  return g;
}

static double at(const wl_kern_conv *g, const float *x, int y, int xx, int ch)
{
  if (y < 0 || y >= g->in_h || xx < 0 || xx >= g->in_w)
    return 0.0;
  return x[((size_t)y * g->in_w + xx) * g->in_c + ch];
}

/* One output of a conv (HWIO weights, n_out filters) or, with dw, a depthwise conv. */
static double naive_conv_at(const wl_kern_conv *g, const float *x, const float *w,
                            int n_out, bool dw, int oy, int ox, int oc, double *mag)
{
  double acc = 0.0;
  *mag = 0.0;
  for (int ky = 0; ky < g->kh; ky++)
    for (int kx = 0; kx < g->kw; kx++)
      for (int ic = dw ? oc : 0; ic < (dw ? oc + 1 : g->in_c); ic++) {
        size_t wi = dw ? ((size_t)ky * g->kw + kx) * g->in_c + ic
                       : (((size_t)ky * g->kw + kx) * g->in_c + ic) * n_out + oc;
        double t = w[wi] * at(g, x, oy * g->sh - g->pad_top + ky,
                              ox * g->sw - g->pad_left + kx, ic);
        acc += t;
        *mag += fabs(t);
      }
  return acc;
}

static void check_conv(const wl_kern_conv *g, const float *x, const float *w,
                       const float *bias, int n_out, bool dw, bool relu, const float *out,
                       const char *what)
{
  for (int oy = 0; oy < g->out_h; oy++)
    for (int ox = 0; ox < g->out_w; ox++)
      for (int oc = 0; oc < n_out; oc++) {
        double mag, exact = bias[oc] + naive_conv_at(g, x, w, n_out, dw, oy, ox, oc, &mag);
        if (relu && exact < 0)
          exact = 0;
        check_out(out[((size_t)oy * g->out_w + ox) * n_out + oc], exact,
                  mag + fabs(bias[oc]), what, oy * g->out_w + ox, oc);
      }
}

static void conv_case(const wl_kern *kt, int h, int w, int c, int kh, int kw, int s,
                      int n_out, bool relu)
{
  wl_kern_conv g = geometry(h, w, c, kh, kw, s, s);
  size_t k = (size_t)kh * kw * c, outs = (size_t)g.out_h * g.out_w * n_out;
  float *x = rand_floats((size_t)h * w * c, 101);
  float *wt = rand_floats(k * n_out, 103);
  float *bias = rand_floats((size_t)n_out, 107);
  float *out = malloc(sizeof(float) * outs);
  size_t pad_n = wl_kern_conv_pad_floats(&g);
  float *pad = malloc(sizeof(float) * (pad_n ? pad_n : 1));
  assert_non_null(out);
  assert_non_null(pad);
  for (size_t i = 0; i < pad_n; i++)
    pad[i] = NAN; /* stale scratch must not leak into the padding */
  wl_kern_b pb;
  assert_int_equal(wl_kern_b_init(&pb, wt, (size_t)n_out, (int)k, n_out, bias), 0);
  wl_kern_conv2d(kt, &g, x, &pb, relu, out, pad);
  char what[128];
  snprintf(what, sizeof what, "%s conv %dx%dx%d k%dx%d s%d -> %d", kt->name, h, w, c, kh,
           kw, s, n_out);
  check_conv(&g, x, wt, bias, n_out, false, relu, out, what);
  wl_kern_b_destroy(&pb);
  free(x);
  free(wt);
  free(bias);
  free(out);
  free(pad);
}

static void test_conv_shapes(void **state)
{
  wl_kern kt[2];
  int nt = tables(kt);
  for (int t = 0; t < nt; t++) {
    conv_case(&kt[t], 7, 9, 3, 3, 3, 1, 8, true);   /* odd sizes, N < NR */
    conv_case(&kt[t], 7, 9, 3, 3, 3, 2, 17, false); /* stride 2, extra pad after */
    conv_case(&kt[t], 8, 8, 16, 3, 3, 2, 32, true); /* even input, stride 2 */
    conv_case(&kt[t], 49, 10, 1, 10, 4, 2, 64, true); /* kws's first layer */
    conv_case(&kt[t], 5, 6, 4, 1, 3, 1, 5, false);  /* 1 x 3 kernel */
    conv_case(&kt[t], 4, 4, 2, 5, 5, 1, 3, true);   /* kernel wider than half the input */
    conv_case(&kt[t], 6, 5, 8, 1, 1, 2, 16, false); /* 1x1 stride 2 (a shortcut) */
    conv_case(&kt[t], 3, 3, 5, 1, 1, 1, 7, true);   /* 1x1 stride 1: no padding copy */
  }
}

static void dw_case(const wl_kern *kt, int h, int w, int c, int k, int s, bool relu)
{
  wl_kern_conv g = geometry(h, w, c, k, k, s, s);
  size_t outs = (size_t)g.out_h * g.out_w * c;
  float *x = rand_floats((size_t)h * w * c, 201);
  float *wt = rand_floats((size_t)k * k * c, 203);
  float *bias = rand_floats((size_t)c, 207);
  float *out = malloc(sizeof(float) * outs);
  assert_non_null(out);
  wl_kern_dw d = {g, wt, bias, relu};
  kt->dw(&d, x, out);
  char what[96];
  snprintf(what, sizeof what, "%s depthwise %dx%dx%d k%d s%d", kt->name, h, w, c, k, s);
  check_conv(&g, x, wt, bias, c, true, relu, out, what);
  free(x);
  free(wt);
  free(bias);
  free(out);
}

static void test_depthwise_shapes(void **state)
{
  wl_kern kt[2];
  int nt = tables(kt);
  for (int t = 0; t < nt; t++) {
    dw_case(&kt[t], 5, 7, 1, 3, 1, true);
    dw_case(&kt[t], 5, 7, 8, 3, 2, false);
    dw_case(&kt[t], 9, 4, 13, 3, 1, true);   /* 8 + 5 channels */
    dw_case(&kt[t], 6, 6, 24, 3, 2, true);
    dw_case(&kt[t], 3, 2, 16, 5, 1, false);  /* kernel larger than the input */
  }
}

static void test_add(void **state)
{
  wl_kern kt[2];
  int nt = tables(kt);
  enum { N = 29 }; /* three vectors and five left over */
  float *x = rand_floats(N, 301), *y = rand_floats(N, 303), out[N];
  for (int t = 0; t < nt; t++)
    for (int relu = 0; relu < 2; relu++) {
      kt[t].add(N, x, y, out, relu);
      for (int i = 0; i < N; i++) {
        float v = x[i] + y[i];
        assert_true(out[i] == (relu && v < 0 ? 0.0f : v));
      }
    }
  free(x);
  free(y);
}

static void test_table_names(void **state)
{
  wl_kern best, generic;
  wl_kern_init(&best);
  assert_true(wl_kern_init_isa(&generic, WL_KERN_GENERIC));
  assert_string_equal(generic.name, "generic");
  assert_non_null(best.tile);
  assert_non_null(best.row4);
  assert_non_null(best.dw);
  assert_non_null(best.add);
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    assert_string_equal(best.name, "avx2+fma");
#endif
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gemm_odd_sizes),
      cmocka_unit_test(test_gemm_blocks),
      cmocka_unit_test(test_pack_rejects_bad_sizes),
      cmocka_unit_test(test_conv_shapes),
      cmocka_unit_test(test_depthwise_shapes),
      cmocka_unit_test(test_add),
      cmocka_unit_test(test_table_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
