/*
 * tests/workloads/test_models.c - the ic (ResNet-8), vww (MobileNetV1 0.25), ad (FC
 * autoencoder) and gemm workloads: exact parameter, MAC, FLOP and byte counts against
 * the MLPerf Tiny table, layer shapes and the residual graph, the documented sample
 * recipes (recomputed here), pinned reference outputs, determinism with a poisoned
 * scratch, a class spread for the classifiers, the anomaly score, and gemm against a
 * naive triple loop.
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

#include "workloads/model.h"
#include "workloads/rng.h"
#include "workloads/wl_private.h"
#include "workloads/workload.h"

/* ---- helpers ---------------------------------------------------------------------- */

static wl_model *open_with(const char *name, const char *const *kv)
{
  wl_params p;
  wl_model *m = NULL;
  char err[256] = "";
  wl_params_init(&p);
  for (; kv && kv[0]; kv += 2)
    assert_int_equal(wl_params_set(&p, kv[0], kv[1]), WL_OK);
  int rc = wl_open(&m, name, &p, err, sizeof err);
  if (rc != WL_OK)
    fail_msg("wl_open(%s): %s", name, err);
  return m;
}

static wl_model *open_model(const char *name)
{
  return open_with(name, NULL);
}

/* One inference of sample `index`; returns the output (caller frees). */
static float *infer_sample(const wl_model *m, uint64_t index)
{
  const wl_info *i = wl_model_info(m);
  float *in = malloc(wl_tensor_bytes(&i->input));
  float *out = malloc(wl_tensor_bytes(&i->output));
  void *scratch = malloc(wl_scratch_bytes(m) + 1);
  assert_non_null(in);
  assert_non_null(out);
  assert_non_null(scratch);
  wl_scratch_init(m, scratch, 0);
  wl_make_sample(m, index, in);
  wl_infer(m, in, out, scratch);
  free(in);
  free(scratch);
  return out;
}

static size_t argmax(const float *v, size_t n)
{
  size_t best = 0;
  for (size_t i = 1; i < n; i++)
    if (v[i] > v[best])
      best = i;
  return best;
}

/* "77.7k" style: x rounded to three significant digits equals want * 10^exp. */
static void assert_rounds_to(uint64_t x, uint64_t want, uint64_t unit)
{
  assert_int_equal((x + unit / 2) / unit, want);
}

static void check_common_info(const wl_model *m, const char *name, const char *in_shape,
                              const char *out_shape)
{
  const wl_info *i = wl_model_info(m);
  char buf[64];
  assert_string_equal(i->name, name);
  assert_string_equal(wl_tensor_format(&i->input, buf, sizeof buf), in_shape);
  assert_string_equal(wl_tensor_format(&i->output, buf, sizeof buf), out_shape);
  assert_int_equal(i->weight_seed, 1);
  assert_int_equal(i->sample_seed, 2);
  assert_false(i->compute_free);
}

/* ---- ic: ResNet-8 ----------------------------------------------------------------- */

static void test_ic_counts(void **state)
{
  wl_model *m = open_model("ic");
  const wl_info *i = wl_model_info(m);
  check_common_info(m, "ic", "32x32x3 f32", "10 f32");
  /* conv0 448; stage 1: 2 x 2,320; stage 2: 4,640 + 9,248 + 544 (projection);
   * stage 3: 18,496 + 36,928 + 2,112; dense 650 */
  assert_int_equal(i->params, 448 + 2 * 2320 + 4640 + 9248 + 544 + 18496 + 36928 + 2112 + 650);
  assert_int_equal(i->params, 77706);
  assert_rounds_to(i->params, 777, 100); /* the table's 77.7k */
  /* 442,368 + 2 x 2,359,296 + (1,179,648 + 2,359,296 + 131,072) x 2 + 640 */
  assert_int_equal(i->macs, 12501632);
  assert_rounds_to(i->macs, 125, 100000); /* 12.5M */
  /* 2*MACs + bias adds 86,026 + ReLUs 73,728 + residual adds 28,672 + pool 4,160 */
  assert_int_equal(i->flops, 2 * 12501632 + 86026 + 73728 + 28672 + 4160);
  /* 4*(params + 3,072 in + 10 out) + 4*(1 + readers)*elements of each intermediate:
   * layers 0 and 3 (32x32x16) and 7 (16x16x32) have two readers */
  uint64_t acts = 3 * 16384 * 2 + 2 * 16384 * 2 /* 0, 3; 1, 2 */
                  + 3 * 8192 + 2 * 8192 * 3     /* 7; 4, 5, 6 */
                  + 2 * 4096 * 4 + 2 * 64;      /* 8, 9, 10, 11; pool */
  assert_int_equal(i->bytes_moved, 4 * (77706 + 3072 + 10) + 4 * acts);
  assert_int_equal(i->bytes_moved, 1405008);
  assert_int_equal(i->total_sample_count, 1024);
  assert_int_equal(i->performance_sample_count, 1024);
  assert_false(i->reconstruction);
  assert_int_equal(wl_scratch_bytes(m), 3 * 16384 * sizeof(float)); /* three slots */
  wl_close(m);
}

static void test_ic_shapes(void **state)
{
  wl_model *m = open_model("ic");
  const wl_net *net = m->impl;
  /* layer: op, input layer, operand, out h, out c, relu */
  static const int expect[][6] = {
      {WL_OP_CONV, -1, -1, 32, 16, 1},   {WL_OP_CONV, 0, -1, 32, 16, 1},
      {WL_OP_CONV, 1, -1, 32, 16, 0},    {WL_OP_ADD, 2, 0, 32, 16, 1},
      {WL_OP_CONV, 3, -1, 16, 32, 1},    {WL_OP_CONV, 4, -1, 16, 32, 0},
      {WL_OP_CONV, 3, -1, 16, 32, 0},    {WL_OP_ADD, 6, 5, 16, 32, 1},
      {WL_OP_CONV, 7, -1, 8, 64, 1},     {WL_OP_CONV, 8, -1, 8, 64, 0},
      {WL_OP_CONV, 7, -1, 8, 64, 0},     {WL_OP_ADD, 10, 9, 8, 64, 1},
      {WL_OP_AVGPOOL, 11, -1, 1, 64, 0}, {WL_OP_DENSE, 12, -1, 1, 10, 0},
  };
  assert_int_equal(net->n_layers, 14);
  for (int k = 0; k < 14; k++) {
    const wl_layer_plan *p = &net->layers[k];
    assert_int_equal(p->layer.op, expect[k][0]);
    assert_int_equal(p->in, expect[k][1]);
    assert_int_equal(p->operand, expect[k][2]);
    assert_int_equal(p->out_h, expect[k][3]);
    assert_int_equal(p->out_w, expect[k][3]);
    assert_int_equal(p->out_c, expect[k][4]);
    assert_int_equal(p->layer.relu, expect[k][5]);
  }
  /* stride 2 'same' on 32 with 3x3: total padding 1, all after; 1x1/2: none */
  assert_int_equal(net->layers[4].pad_top, 0);
  assert_int_equal(net->layers[6].layer.kh, 1);
  assert_int_equal(net->layers[6].layer.sh, 2);
  assert_int_equal(net->layers[1].pad_top, 1);
  assert_int_equal(net->n_slots, 3);
  wl_close(m);
}

/* ---- vww: MobileNetV1 0.25 --------------------------------------------------------- */

static void test_vww_counts(void **state)
{
  wl_model *m = open_model("vww");
  const wl_info *i = wl_model_info(m);
  check_common_info(m, "vww", "96x96x3 f32", "2 f32");
  assert_int_equal(i->params, 210850);
  assert_rounds_to(i->params, 211, 1000); /* 211k */
  assert_int_equal(i->macs, 7489664);
  assert_rounds_to(i->macs, 749, 10000); /* 7.49M */
  /* 2*MACs + bias adds and ReLUs on 231,552 conv outputs each + pool 2,304 + 256
   * + 2 dense biases */
  assert_int_equal(i->flops, 2 * 7489664 + 2 * 231552 + 2304 + 256 + 2);
  /* 4*(params + 27,648 in + 2 out) + 8*(231,552 conv outputs + 256 pooled) */
  assert_int_equal(i->bytes_moved, 4 * (210850 + 27648 + 2) + 8 * (231552 + 256));
  assert_int_equal(i->total_sample_count, 1024);
  assert_int_equal(i->performance_sample_count, 256);
  assert_int_equal(wl_scratch_bytes(m), 2 * 36864 * sizeof(float)); /* 48x48x16 */
  wl_close(m);
}

static void test_vww_shapes(void **state)
{
  wl_model *m = open_model("vww");
  const wl_net *net = m->impl;
  static const int filters[13] = {16, 32, 32, 64, 64, 128, 128, 128, 128, 128, 128, 256, 256};
  static const int strides[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
  assert_int_equal(net->n_layers, 29);
  assert_int_equal(net->layers[0].out_h, 48);
  assert_int_equal(net->layers[0].out_c, 8);
  int side = 48;
  for (int b = 0; b < 13; b++) {
    const wl_layer_plan *dw = &net->layers[1 + 2 * b], *pw = &net->layers[2 + 2 * b];
    side = (side + strides[b] - 1) / strides[b];
    assert_int_equal(dw->layer.op, WL_OP_DWCONV);
    assert_int_equal(dw->layer.sh, strides[b]);
    assert_int_equal(dw->out_h, side);
    assert_int_equal(dw->out_w, side);
    assert_true(dw->layer.relu);
    assert_int_equal(pw->layer.op, WL_OP_CONV);
    assert_int_equal(pw->layer.kh, 1);
    assert_int_equal(pw->out_c, filters[b]);
    assert_int_equal(pw->out_h, side);
    assert_true(pw->layer.relu);
  }
  assert_int_equal(side, 3);
  assert_int_equal(net->layers[27].layer.op, WL_OP_AVGPOOL);
  assert_int_equal(net->layers[28].out_c, 2);
  assert_false(net->layers[28].layer.relu);
  wl_close(m);
}

/* ---- ad: FC autoencoder ------------------------------------------------------------- */

static void test_ad_counts_and_shapes(void **state)
{
  wl_model *m = open_model("ad");
  const wl_info *i = wl_model_info(m);
  const wl_net *net = m->impl;
  check_common_info(m, "ad", "640 f32", "640 f32");
  /* 82,048 + 3 x 16,512 + 1,032 | 1,152 + 3 x 16,512 + 82,560 */
  assert_int_equal(i->params, 265864);
  assert_rounds_to(i->params, 266, 1000); /* 266k */
  assert_int_equal(i->macs, 264192);
  assert_rounds_to(i->macs, 264, 1000); /* 0.264M */
  /* 2*MACs + bias adds (8 x 128 + 8 + 640) + ReLUs (8 x 128 + 8) */
  assert_int_equal(i->flops, 2 * 264192 + 1672 + 1032);
  assert_int_equal(i->bytes_moved, 4 * (265864 + 640 + 640) + 8 * (8 * 128 + 8));
  assert_true(i->reconstruction);
  static const int outs[10] = {128, 128, 128, 128, 8, 128, 128, 128, 128, 640};
  assert_int_equal(net->n_layers, 10);
  for (int k = 0; k < 10; k++) {
    assert_int_equal(net->layers[k].layer.op, WL_OP_DENSE);
    assert_int_equal(net->layers[k].out_c, outs[k]);
    assert_int_equal(net->layers[k].layer.relu, k < 9);
  }
  assert_int_equal(net->layers[0].in_c, 640);
  wl_close(m);
}

/* ---- sample recipes, recomputed from the documented text --------------------------- */

static void check_image_recipe(const wl_model *m, int h, int w, uint64_t index)
{
  size_t n = (size_t)h * w * 3;
  float *x = malloc(sizeof(float) * n);
  wl_rng r;
  float mean[3], amp[3];
  wl_make_sample(m, index, x);
  wl_rng_seed(&r, wl_rng_derive(2, index));
  for (int c = 0; c < 3; c++)
    mean[c] = wl_rng_f32(&r) * 0.25f;
  for (int c = 0; c < 3; c++)
    amp[c] = wl_rng_f32(&r);
  int cell_w = 1 + (int)(wl_rng_next(&r) >> 61);
  int cell_h = 1 + (int)(wl_rng_next(&r) >> 61);
  int phase_x = (int)(wl_rng_next(&r) >> 61);
  int phase_y = (int)(wl_rng_next(&r) >> 61);
  for (int y = 0; y < h; y++)
    for (int xx = 0; xx < w; xx++)
      for (int c = 0; c < 3; c++) {
        bool odd = ((xx + phase_x) / cell_w + (y + phase_y) / cell_h) % 2 == 1;
        volatile float base = mean[c] + (odd ? amp[c] : -amp[c]);
        float want = base + wl_rng_f32(&r) * 0.25f;
        assert_true(x[((size_t)y * w + xx) * 3 + c] == want);
      }
  free(x);
}

static void test_sample_recipes(void **state)
{
  wl_model *ic = open_model("ic"), *vww = open_model("vww"), *ad = open_model("ad");
  for (uint64_t index = 0; index < 3; index++) {
    check_image_recipe(ic, 32, 32, index);
    check_image_recipe(vww, 96, 96, index);
  }
  static const float ic_pinned[4] = {0.559254289f, 0.332017154f, -0.218831331f, 0.762034297f};
  float x[3072], y[640];
  wl_make_sample(ic, 0, x);
  assert_memory_equal(x, ic_pinned, sizeof ic_pinned);
  for (uint64_t index = 0; index < 3; index++) {
    wl_rng r;
    float mean[128];
    wl_make_sample(ad, index, y);
    wl_rng_seed(&r, wl_rng_derive(2, index));
    for (int b = 0; b < 128; b++)
      mean[b] = wl_rng_f32(&r);
    for (int k = 0; k < 640; k++)
      assert_true(y[k] == mean[k % 128] + wl_rng_f32(&r) * 0.5f);
  }
  wl_close(ic);
  wl_close(vww);
  wl_close(ad);
}

/* ---- reference outputs --------------------------------------------------------------- */

/* Outputs of sample 0 with the default seeds: a change means the documented weight or
 * sample recipe changed, and every other SUT would disagree. */
static void test_pinned_outputs(void **state)
{
  static const float ic[10] = {-2.02644634f, 2.16933894f, -2.8846488f,  -2.43721199f,
                               -0.80852139f, -2.6064949f, -2.3129735f,  -2.4439311f,
                               2.0143168f,   3.27295399f};
  static const float vww[2] = {-0.201058924f, 0.0739709362f};
  static const float ad[4] = {-0.155693874f, 0.415997505f, 0.482771546f, 0.371016771f};
  static const float gemm[4] = {0.904345155f, -3.96370697f, -9.61463737f, -4.31534576f};
  static const struct {
    const char *name;
    const float *want;
    size_t n;
    float tol;
  } cases[] = {{"ic", ic, 10, 1e-5f}, {"vww", vww, 2, 1e-5f}, {"ad", ad, 4, 1e-6f},
               {"gemm", gemm, 4, 1e-5f}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    wl_model *m = open_model(cases[c].name);
    float *out = infer_sample(m, 0);
    for (size_t k = 0; k < cases[c].n; k++)
      if (!(fabsf(out[k] - cases[c].want[k]) < cases[c].tol))
        fail_msg("%s output %zu: %.9g, pinned %.9g", cases[c].name, k, out[k],
                 cases[c].want[k]);
    free(out);
    wl_close(m);
  }
}

/* Same bytes from a fresh model with a NaN-poisoned scratch, twice: nothing leaks
 * between inferences and the weights are rebuilt identically. */
static void test_deterministic(void **state)
{
  static const char *const names[] = {"ic", "vww", "ad", "gemm"};
  for (size_t w = 0; w < sizeof names / sizeof names[0]; w++) {
    wl_model *a = open_model(names[w]), *b = open_model(names[w]);
    const wl_info *i = wl_model_info(a);
    size_t out_b = wl_tensor_bytes(&i->output), n = wl_scratch_bytes(b);
    float *want = infer_sample(a, 5);
    float *in = malloc(wl_tensor_bytes(&i->input)), *out = malloc(out_b);
    float *poison = malloc(n + sizeof(float));
    for (size_t k = 0; k < n / sizeof(float) + 1; k++)
      poison[k] = NAN;
    wl_make_sample(b, 5, in);
    for (int rep = 0; rep < 2; rep++) {
      wl_infer(b, in, out, poison);
      assert_memory_equal(out, want, out_b);
    }
    free(want);
    free(in);
    free(out);
    free(poison);
    wl_close(a);
    wl_close(b);
  }
}

static void test_seeds_change_things(void **state)
{
  static const char *const w5[] = {"weight_seed", "5", NULL};
  static const char *const s5[] = {"sample_seed", "5", NULL};
  wl_model *base = open_model("ic"), *w = open_with("ic", w5), *s = open_with("ic", s5);
  float *a = infer_sample(base, 3), *b = infer_sample(w, 3), *c = infer_sample(s, 3);
  assert_memory_not_equal(a, b, 10 * sizeof(float));
  assert_memory_not_equal(a, c, 10 * sizeof(float));
  free(a);
  free(b);
  free(c);
  wl_close(base);
  wl_close(w);
  wl_close(s);
}

/* The predicted class varies across samples, so top-1 agreement means something. */
static void check_spread(const char *name, size_t classes, int min_distinct, int max_share)
{
  wl_model *m = open_model(name);
  int hist[16] = {0}, distinct = 0, most = 0;
  for (uint64_t s = 0; s < 64; s++) {
    float *out = infer_sample(m, s);
    for (size_t k = 0; k < classes; k++)
      assert_true(isfinite(out[k]) && fabsf(out[k]) < 100.0f);
    hist[argmax(out, classes)]++;
    free(out);
  }
  for (size_t k = 0; k < classes; k++) {
    distinct += hist[k] > 0;
    most = hist[k] > most ? hist[k] : most;
  }
  if (distinct < min_distinct || most > max_share)
    fail_msg("%s: %d classes seen, the commonest %d times of 64", name, distinct, most);
  wl_close(m);
}

static void test_argmax_spread(void **state)
{
  check_spread("ic", 10, 5, 32);
  check_spread("vww", 2, 2, 44);
}

/* ---- ad's anomaly score ------------------------------------------------------------- */

static void test_anomaly_score(void **state)
{
  wl_model *ad = open_model("ad"), *kws = open_model("kws");
  float in[640], *out = infer_sample(ad, 4);
  wl_make_sample(ad, 4, in);
  double sum = 0;
  for (int k = 0; k < 640; k++)
    sum += ((double)out[k] - in[k]) * ((double)out[k] - in[k]);
  double score = wl_anomaly_score(ad, in, out);
  assert_true(score == sum / 640);
  assert_true(score > 0);
  assert_true(wl_anomaly_score(ad, in, in) == 0.0);
  assert_true(isnan(wl_anomaly_score(kws, in, out)));
  /* an exact reconstruction scores 0; a uniform offset d scores d^2 */
  float shifted[640];
  for (int k = 0; k < 640; k++)
    shifted[k] = in[k] + 0.5f;
  assert_true(fabs(wl_anomaly_score(ad, in, shifted) - 0.25) < 1e-6);
  free(out);
  wl_close(ad);
  wl_close(kws);
}

/* ---- gemm ------------------------------------------------------------------------------ */

static void test_gemm_counts_and_params(void **state)
{
  wl_model *m = open_model("gemm");
  const wl_info *i = wl_model_info(m);
  char buf[64], err[256];
  assert_string_equal(wl_tensor_format(&i->input, buf, sizeof buf), "256x256 f32");
  assert_string_equal(wl_tensor_format(&i->output, buf, sizeof buf), "256x256 f32");
  assert_int_equal(i->params, 65536);
  assert_int_equal(i->macs, 16777216);
  assert_int_equal(i->flops, 2 * 16777216);
  assert_int_equal(i->bytes_moved, 4 * 3 * 65536);
  assert_int_equal(i->performance_sample_count, 256); /* 64 MiB of A */
  assert_int_equal(i->total_sample_count, 1024);
  assert_int_equal(wl_scratch_bytes(m), 0);
  wl_close(m);

  static const char *const odd[] = {"m", "3", "n", "70", "k", "5", NULL};
  m = open_with("gemm", odd);
  i = wl_model_info(m);
  assert_string_equal(wl_tensor_format(&i->input, buf, sizeof buf), "3x5 f32");
  assert_string_equal(wl_tensor_format(&i->output, buf, sizeof buf), "3x70 f32");
  assert_int_equal(i->macs, 3 * 70 * 5);
  assert_int_equal(i->flops, 2 * 3 * 70 * 5);
  assert_int_equal(i->bytes_moved, 4 * (15 + 350 + 210));
  assert_int_equal(i->params, 350);
  assert_int_equal(i->performance_sample_count, 1024);
  wl_close(m);

  static const char *const big[] = {"m", "16384", "k", "16384", "n", "1", NULL};
  m = open_with("gemm", big);
  assert_int_equal(wl_model_info(m)->performance_sample_count, 1); /* 1 GiB per sample */
  wl_close(m);

  static const char *const bad[] = {"0", "16385", "abc", "-1"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    wl_params p;
    wl_params_init(&p);
    wl_params_set(&p, "k", bad[k]);
    assert_int_equal(wl_open(&m, "gemm", &p, err, sizeof err), WL_EPARAM);
    assert_non_null(strstr(err, "k="));
    assert_null(m);
  }
}

/* C = A x B from the blocked reference, against a naive triple loop summing in the
 * documented order (bit-identical) and in double (close), on shapes that cross the
 * 256-column and 128-row blocks and leave remainders of the 4-row step. */
static void test_gemm_vs_naive(void **state)
{
  static const int shapes[][3] = {{1, 1, 1}, {3, 70, 5}, {17, 300, 131}, {64, 256, 256},
                                  {2, 513, 262}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    char ms[16], ns[16], ks[16];
    snprintf(ms, sizeof ms, "%d", shapes[s][0]);
    snprintf(ns, sizeof ns, "%d", shapes[s][1]);
    snprintf(ks, sizeof ks, "%d", shapes[s][2]);
    const char *const kv[] = {"m", ms, "n", ns, "k", ks, NULL};
    wl_model *m = open_with("gemm", kv);
    int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
    float *a = malloc(sizeof(float) * (size_t)M * K), *b = malloc(sizeof(float) * (size_t)K * N);
    float *c = malloc(sizeof(float) * (size_t)M * N);
    wl_rng r;
    wl_make_sample(m, 9, a);
    wl_rng_seed(&r, wl_rng_derive(2, 9)); /* the documented sample recipe */
    for (size_t k = 0; k < (size_t)M * K; k++)
      assert_true(a[k] == wl_rng_f32(&r));
    wl_rng_seed(&r, wl_rng_derive(1, 0)); /* B, as gemm.c documents it */
    wl_rng_fill_f32(&r, b, (size_t)K * N, 1.0f);
    wl_infer(m, a, c, NULL);
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) {
        float acc = 0.0f;
        double exact = 0.0;
        for (int k = 0; k < K; k++) {
          volatile float prod = a[(size_t)i * K + k] * b[(size_t)k * N + j];
          acc = acc + prod;
          exact += (double)a[(size_t)i * K + k] * b[(size_t)k * N + j];
        }
        float got = c[(size_t)i * N + j];
        if (got != acc || fabs(got - exact) > 1e-4 * K)
          fail_msg("%dx%dx%d C[%d][%d] = %.9g, naive %.9g, exact %.9g", M, N, K, i, j, got,
                   acc, exact);
      }
    free(a);
    free(b);
    free(c);
    wl_close(m);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ic_counts),
      cmocka_unit_test(test_ic_shapes),
      cmocka_unit_test(test_vww_counts),
      cmocka_unit_test(test_vww_shapes),
      cmocka_unit_test(test_ad_counts_and_shapes),
      cmocka_unit_test(test_sample_recipes),
      cmocka_unit_test(test_pinned_outputs),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_seeds_change_things),
      cmocka_unit_test(test_argmax_spread),
      cmocka_unit_test(test_anomaly_score),
      cmocka_unit_test(test_gemm_counts_and_params),
      cmocka_unit_test(test_gemm_vs_naive),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
