/*
 * tests/workloads/test_fastnet.c - the fast path (workloads/fastnet.[ch] and
 * wl_infer_batch) against the reference interpreter: every workload at batch 1, a
 * batch smaller than a chunk and one larger than a chunk (so several passes run, the
 * last one short), with max abs error <= 1e-4 * (1 + max |ref|) and the same argmax on
 * every sample; a residual net with every layer kind on each kernel table this CPU
 * has; int8 models and the workloads without a fast path agree exactly (they run
 * wl_infer); the scratch size grows with the batch only up to a chunk.
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

#include "workloads/dataset.h"
#include "workloads/fastnet.h"
#include "workloads/rng.h"
#include "workloads/workload.h"

#define FAST_TOL 1e-4
#define MAX_BATCH 70

/* max |fast - ref| over n floats, and max |ref| into *ref_max. */
static double max_diff(const float *fast, const float *ref, size_t n, double *ref_max)
{
  double d = 0.0;
  for (size_t i = 0; i < n; i++) {
    double e = fabs((double)fast[i] - (double)ref[i]);
    d = isnan(e) ? INFINITY : e > d ? e : d;
    if (fabs((double)ref[i]) > *ref_max)
      *ref_max = fabs((double)ref[i]);
  }
  return d;
}

/* wl_infer_batch on `batch` samples vs wl_infer on each; returns the worst error. */
static double compare_batch(const wl_model *m, size_t batch, bool exact)
{
  const wl_info *info = wl_model_info(m);
  size_t ib = wl_tensor_bytes(&info->input), ob = wl_tensor_bytes(&info->output);
  size_t outs = wl_tensor_elems(&info->output);
  bool f32 = info->output.dtype == WL_F32;
  void *in[MAX_BATCH], *out[MAX_BATCH];
  float *ref = malloc(ob ? ob : 1);
  void *ref_scratch = malloc(wl_scratch_bytes(m) + 1);
  void *scratch = aligned_alloc(64, (wl_batch_scratch_bytes(m, batch) + 64) / 64 * 64);
  assert_true(ref && ref_scratch && scratch);
  wl_scratch_init(m, ref_scratch, 0);
  wl_scratch_init(m, scratch, 0);
  for (size_t i = 0; i < batch; i++) {
    in[i] = malloc(ib);
    out[i] = malloc(ob ? ob : 1);
    assert_true(in[i] && out[i]);
    wl_make_sample(m, 100 + i, in[i]);
  }
  wl_infer_batch(m, (const void *const *)in, out, batch, scratch);
  double worst = 0.0;
  for (size_t i = 0; i < batch; i++) {
    wl_infer(m, in[i], ref, ref_scratch);
    if (exact || !f32) {
      assert_memory_equal(out[i], ref, ob);
      continue;
    }
    double ref_max = 0.0, d = max_diff(out[i], ref, outs, &ref_max);
    if (!(d <= FAST_TOL * (1.0 + ref_max)))
      fail_msg("%s batch %zu sample %zu: max abs error %g (max |ref| %g)", info->name,
               batch, i, d, ref_max);
    if (outs > 1 && !info->reconstruction)
      assert_int_equal(wl_argmax(out[i], outs), wl_argmax(ref, outs));
    worst = d > worst ? d : worst;
  }
  for (size_t i = 0; i < batch; i++) {
    free(in[i]);
    free(out[i]);
  }
  free(ref);
  free(ref_scratch);
  free(scratch);
  return worst;
}

static void check_workload(const char *name, const char *precision, bool exact)
{
  wl_params p;
  wl_params_init(&p);
  if (precision)
    assert_int_equal(wl_params_set(&p, "precision", precision), WL_OK);
  wl_model *m;
  char err[256];
  assert_int_equal(wl_open(&m, name, &p, err, sizeof err), WL_OK);
  static const size_t batches[] = {1, 5, MAX_BATCH};
  for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
    double worst = compare_batch(m, batches[b], exact);
    printf("%s %s batch %zu: max abs error vs reference %.3g\n", name,
           precision ? precision : "fp32", batches[b], worst);
  }
  wl_close(m);
}

static void test_every_workload_fp32(void **state)
{
  static const char *const names[] = {"kws", "ic", "vww", "ad"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    check_workload(names[i], NULL, false);
}

static void test_gemm_fast_path(void **state)
{
  wl_params p;
  wl_params_init(&p);
  assert_int_equal(wl_params_set(&p, "m", "7"), WL_OK);
  assert_int_equal(wl_params_set(&p, "n", "37"), WL_OK);
  assert_int_equal(wl_params_set(&p, "k", "300"), WL_OK);
  wl_model *m;
  char err[256];
  assert_int_equal(wl_open(&m, "gemm", &p, err, sizeof err), WL_OK);
  compare_batch(m, 3, false);
  wl_close(m);
  check_workload("gemm", NULL, false); /* the default 256^3 */
}

/* int8 runs its own interpreter (wl_qnet_run) one sample at a time: exact. */
static void test_int8_exact(void **state)
{
  check_workload("kws", "int8", true);
  check_workload("ad", "int8", true);
}

/* null and delay have no fast path: wl_infer_batch runs wl_infer, byte for byte. */
static void test_fallback_exact(void **state)
{
  wl_model *m;
  char err[256];
  assert_int_equal(wl_open(&m, "null", NULL, err, sizeof err), WL_OK);
  assert_int_equal(wl_batch_scratch_bytes(m, 16), wl_scratch_bytes(m));
  compare_batch(m, 5, true);
  wl_close(m);
}

/* Scratch covers one chunk at most: a bigger batch goes in passes. */
static void test_scratch_bytes(void **state)
{
  wl_model *m;
  char err[256];
  assert_int_equal(wl_open(&m, "ad", NULL, err, sizeof err), WL_OK);
  size_t one = wl_batch_scratch_bytes(m, 1), many = wl_batch_scratch_bytes(m, 1000);
  assert_true(one >= wl_scratch_bytes(m));
  assert_true(many > one);
  assert_int_equal(many, wl_batch_scratch_bytes(m, WL_FAST_MAX_CHUNK));
  wl_close(m);
}

/* A residual net with every layer kind and odd shapes, on each kernel table. */
static const wl_layer residual[] = {
    WL_CONV(3, 3, 2, 12, true),          /* 0: stride 2, odd input */
    WL_DW(3, 3, 1, true),                /* 1: 12 channels: 8 + 4 */
    WL_PW(12, false),                    /* 2 */
    WL_ADD(0, true),                     /* 3 */
    WL_CONV_FROM(3, 1, 1, 2, 20, false), /* 4: 1x1 stride 2 shortcut */
    WL_CONV_FROM(3, 3, 3, 2, 20, true),  /* 5 */
    WL_ADD(4, true),                     /* 6 */
    WL_DW(5, 5, 2, false),               /* 7 */
    WL_GAP(),                            /* 8 */
    WL_DENSE(19, true),                  /* 9 */
    WL_DENSE(5, false),                  /* 10 */
};

static void test_residual_net_each_isa(void **state)
{
  wl_net net;
  assert_int_equal(wl_net_init(&net, 11, 9, 3, residual,
                               (int)(sizeof residual / sizeof residual[0]), 7),
                   WL_OK);
  enum { N = 9 };
  float *x = malloc(sizeof(float) * net.in_elems * N);
  float *y = malloc(sizeof(float) * net.out_elems * N);
  float *ref = malloc(sizeof(float) * net.out_elems);
  void *ref_scratch = malloc(wl_net_scratch_bytes(&net));
  assert_true(x && y && ref && ref_scratch);
  wl_rng r;
  wl_rng_seed(&r, 5);
  wl_rng_fill_f32(&r, x, net.in_elems * N, 1.0f);
  const float *in[N];
  float *out[N];
  for (int i = 0; i < N; i++) {
    in[i] = x + (size_t)i * net.in_elems;
    out[i] = y + (size_t)i * net.out_elems;
  }
  for (int isa = WL_KERN_GENERIC; isa <= WL_KERN_AVX2; isa++) {
    wl_kern kern;
    if (!wl_kern_init_isa(&kern, (wl_kern_isa)isa)) {
      printf("SKIP: kernel table %d not supported here\n", isa);
      continue;
    }
    wl_fast_net f;
    assert_int_equal(wl_fast_net_init_kern(&f, &net, &kern), WL_OK);
    void *scratch = malloc(wl_fast_net_scratch_bytes(&f, N));
    assert_non_null(scratch);
    wl_fast_net_run(&f, in, out, N, N, scratch);
    for (int i = 0; i < N; i++) {
      wl_net_run(&net, in[i], ref, ref_scratch);
      double ref_max = 0.0, d = max_diff(out[i], ref, net.out_elems, &ref_max);
      if (!(d <= FAST_TOL * (1.0 + ref_max)))
        fail_msg("%s sample %d: max abs error %g", kern.name, i, d);
      assert_int_equal(wl_argmax(out[i], net.out_elems), wl_argmax(ref, net.out_elems));
    }
    free(scratch);
    wl_fast_net_destroy(&f);
  }
  free(x);
  free(y);
  free(ref);
  free(ref_scratch);
  wl_net_destroy(&net);
}

static void test_init_needs_weights(void **state)
{
  wl_net net;
  assert_int_equal(wl_net_plan(&net, 11, 9, 3, residual, 3), WL_OK);
  wl_fast_net f;
  assert_int_equal(wl_fast_net_init(&f, &net), WL_EINVAL);
  wl_fast_net_destroy(&f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_workload_fp32),
      cmocka_unit_test(test_gemm_fast_path),
      cmocka_unit_test(test_int8_exact),
      cmocka_unit_test(test_fallback_exact),
      cmocka_unit_test(test_scratch_bytes),
      cmocka_unit_test(test_residual_net_each_isa),
      cmocka_unit_test(test_init_needs_weights),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
