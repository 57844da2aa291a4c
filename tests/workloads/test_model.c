/*
 * tests/workloads/test_model.c - the layer-list engine (workloads/model.[ch]):
 * TensorFlow 'same' padding, exact counts on a hand-computed layer list, the weight
 * recipe, each kernel against a naive direct implementation, ping-pong chaining, and
 * logit centring.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/model.h"
#include "workloads/rng.h"
#include "workloads/workload.h"

/* ---- naive reference kernels, indexed straight from the documented layouts -------- */

/* TensorFlow's rule, written out again: pad_before of one dimension. */
static int tf_pad_before(int in, int k, int s)
{
  int out = (in + s - 1) / s;
  int total = (out - 1) * s + k - in;
  return total > 0 ? total / 2 : 0;
}

static float naive_at(const float *x, int h, int w, int c, int y, int xx, int ch)
{
  if (y < 0 || y >= h || xx < 0 || xx >= w)
    return 0.0f;
  return x[((size_t)y * w + xx) * c + ch];
}

/* Conv or depthwise conv of plan p, straight from the definition, in double. */
static void naive_conv(const wl_layer_plan *p, const float *wt, const float *in,
                       float *out)
{
  const wl_layer *l = &p->layer;
  bool dw = l->op == WL_OP_DWCONV;
  const float *bias = wt + p->w_count;
  int pt = tf_pad_before(p->in_h, l->kh, l->sh), pl = tf_pad_before(p->in_w, l->kw, l->sw);
  for (int oy = 0; oy < p->out_h; oy++)
    for (int ox = 0; ox < p->out_w; ox++)
      for (int oc = 0; oc < p->out_c; oc++) {
        double acc = bias[oc];
        for (int ky = 0; ky < l->kh; ky++)
          for (int kx = 0; kx < l->kw; kx++)
            for (int ic = dw ? oc : 0; ic < (dw ? oc + 1 : p->in_c); ic++) {
              size_t wi = dw ? ((size_t)ky * l->kw + kx) * p->out_c + oc
                             : (((size_t)ky * l->kw + kx) * p->in_c + ic) * p->out_c + oc;
              acc += (double)wt[wi] * naive_at(in, p->in_h, p->in_w, p->in_c,
                                               oy * l->sh - pt + ky, ox * l->sw - pl + kx, ic);
            }
        if (l->relu && acc < 0)
          acc = 0;
        out[((size_t)oy * p->out_w + ox) * p->out_c + oc] = (float)acc;
      }
}

static void naive_dense(const wl_layer_plan *p, const float *wt, const float *in,
                        float *out)
{
  int n_in = p->in_h * p->in_w * p->in_c;
  for (int o = 0; o < p->out_c; o++) {
    double acc = wt[p->w_count + o];
    for (int i = 0; i < n_in; i++)
      acc += (double)in[i] * wt[(size_t)i * p->out_c + o];
    out[o] = (float)(p->layer.relu && acc < 0 ? 0 : acc);
  }
}

static void naive_pool(const wl_layer_plan *p, const float *in, float *out)
{
  int hw = p->in_h * p->in_w;
  for (int c = 0; c < p->in_c; c++) {
    double acc = 0;
    for (int i = 0; i < hw; i++)
      acc += in[(size_t)i * p->in_c + c];
    out[c] = (float)(acc / hw);
  }
}

static void naive_layer(const wl_net *net, int i, const float *in, float *out)
{
  const wl_layer_plan *p = &net->layers[i];
  const float *wt = net->weights + p->w_off;
  if (p->layer.op == WL_OP_DENSE)
    naive_dense(p, wt, in, out);
  else if (p->layer.op == WL_OP_AVGPOOL)
    naive_pool(p, in, out);
  else
    naive_conv(p, wt, in, out);
}

/* Run net on a random input with the engine and layer by layer with the naive
 * kernels; return the largest absolute difference of the outputs. */
static double engine_vs_naive(const wl_layer *layers, int n, int h, int w, int c)
{
  wl_net net;
  assert_int_equal(wl_net_init(&net, h, w, c, layers, n, 1234), WL_OK);
  size_t act = net.max_act > net.in_elems ? net.max_act : net.in_elems;
  float *in = malloc(sizeof(float) * net.in_elems);
  float *a = calloc(act + net.out_elems, sizeof(float));
  float *b = calloc(act + net.out_elems, sizeof(float));
  float *out = malloc(sizeof(float) * net.out_elems);
  void *scratch = malloc(wl_net_scratch_bytes(&net) + 1);
  assert_non_null(in);
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(out);
  assert_non_null(scratch);
  wl_rng r;
  wl_rng_seed(&r, 99);
  wl_rng_fill_f32(&r, in, net.in_elems, 1.0f);
  wl_net_run(&net, in, out, scratch);
  memcpy(a, in, sizeof(float) * net.in_elems);
  for (int i = 0; i < n; i++) {
    naive_layer(&net, i, a, b);
    float *t = a;
    a = b;
    b = t;
  }
  double worst = 0;
  for (size_t i = 0; i < net.out_elems; i++)
    worst = fmax(worst, fabs((double)out[i] - a[i]));
  free(in);
  free(a);
  free(b);
  free(out);
  free(scratch);
  wl_net_destroy(&net);
  return worst;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_same_pad(void **state)
{
  /* in, k, stride -> out, pad_before (pad_total in the comment) */
  static const int cases[][5] = {
      {49, 10, 2, 25, 4}, /* total 9: the odd extra goes after */
      {10, 4, 2, 5, 1},   /* total 2 */
      {5, 3, 1, 5, 1},    /* total 2 */
      {4, 3, 2, 2, 0},    /* total 1 */
      {6, 1, 2, 3, 0},    /* total -1 -> 0 */
      {7, 4, 1, 7, 1},    /* total 3 */
      {8, 4, 1, 8, 1},    /* total 3 */
      {1, 3, 1, 1, 1},    /* total 2 */
      {9, 3, 3, 3, 0},    /* total 0 */
      {10, 5, 3, 4, 2},   /* total 4 */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int out = -1, pad = -1;
    assert_int_equal(wl_same_pad(cases[i][0], cases[i][1], cases[i][2], &out, &pad), WL_OK);
    assert_int_equal(out, cases[i][3]);
    assert_int_equal(pad, cases[i][4]);
    assert_int_equal(pad, tf_pad_before(cases[i][0], cases[i][1], cases[i][2]));
  }
  int out, pad;
  assert_int_equal(wl_same_pad(0, 3, 1, &out, &pad), WL_EINVAL);
  assert_int_equal(wl_same_pad(5, 0, 1, &out, &pad), WL_EINVAL);
  assert_int_equal(wl_same_pad(5, 3, 0, &out, &pad), WL_EINVAL);
}

/*
 * 4x4x2 input; conv 3x3/2 3 filters ReLU -> 2x2x3; depthwise 3x3 ReLU -> 2x2x3;
 * pool -> 3; dense 2.
 *   params: 3*3*2*3+3 = 57, 27+3 = 30, 0, 3*2+2 = 8            -> 95
 *   MACs:   2*2*3*18 = 216, 2*2*3*9 = 108, 0, 6                -> 330
 *   FLOPs:  432+12+12 = 456, 216+12+12 = 240, 12+3 = 15, 12+2 = 14 -> 725
 *   bytes:  4*(95 + 32 in + 2 out) + 8*(12 + 12 + 3)            -> 732
 */
static const wl_layer tiny[] = {
    WL_CONV(3, 3, 2, 3, true), WL_DW(3, 3, 1, true), WL_GAP(), WL_DENSE(2, false),
};

static void test_counts_by_hand(void **state)
{
  wl_net net;
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, tiny, 4), WL_OK);
  assert_null(net.weights);
  assert_int_equal(net.total.params, 95);
  assert_int_equal(net.total.macs, 330);
  assert_int_equal(net.total.flops, 725);
  assert_int_equal(net.total.bytes, 732);
  assert_int_equal(net.layers[0].counts.params, 57);
  assert_int_equal(net.layers[0].counts.flops, 456);
  assert_int_equal(net.layers[1].counts.macs, 108);
  assert_int_equal(net.layers[2].counts.flops, 15);
  assert_int_equal(net.layers[3].counts.flops, 14);
  assert_int_equal(net.in_elems, 32);
  assert_int_equal(net.out_elems, 2);
  assert_int_equal(net.max_act, 12);
  assert_int_equal(wl_net_scratch_bytes(&net), 2 * 12 * sizeof(float));
  assert_int_equal(net.layers[0].out_h, 2);
  assert_int_equal(net.layers[0].pad_top, 0);
  assert_int_equal(net.layers[1].pad_top, 1);
  assert_int_equal(net.layers[3].w_off, 57 + 30);
  wl_net_destroy(&net);
}

static void test_plan_rejects(void **state)
{
  wl_net net;
  wl_layer bad = WL_CONV(0, 3, 1, 4, false);
  wl_layer nofilters = WL_CONV(3, 3, 1, 0, false);
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, tiny, 0), WL_EINVAL);
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, tiny, WL_NET_MAX_LAYERS + 1), WL_EINVAL);
  assert_int_equal(wl_net_plan(&net, 0, 4, 2, tiny, 4), WL_EINVAL);
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, &bad, 1), WL_EINVAL);
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, &nofilters, 1), WL_EINVAL);
  wl_net_destroy(NULL);
}

/* Layer i's weights are the wl_rng stream of wl_rng_derive(seed, i), He-scaled, then
 * the biases at 0.1; recomputed here from model.h's text. */
static void test_weight_recipe(void **state)
{
  wl_net net;
  assert_int_equal(wl_net_init(&net, 4, 4, 2, tiny, 4, 77), WL_OK);
  static const int layer_ids[] = {0, 1, 3};
  static const int fan_in[] = {3 * 3 * 2, 3 * 3, 3};
  for (int k = 0; k < 3; k++) {
    const wl_layer_plan *p = &net.layers[layer_ids[k]];
    wl_rng r;
    wl_rng_seed(&r, wl_rng_derive(77, (uint64_t)layer_ids[k]));
    float scale = (float)sqrt(6.0 / fan_in[k]);
    for (size_t i = 0; i < p->w_count; i++)
      assert_true(net.weights[p->w_off + i] == wl_rng_f32(&r) * scale);
    for (size_t i = 0; i < p->b_count; i++)
      assert_true(net.weights[p->w_off + p->w_count + i] == wl_rng_f32(&r) * 0.1f);
  }
  wl_net_destroy(&net);
}

static void test_conv_vs_naive(void **state)
{
  /* strides 2x1, kernel 3x2, 10 filters: one SIMD block plus a remainder */
  wl_layer conv = {WL_OP_CONV, 3, 2, 2, 1, 10, false};
  wl_layer conv_relu = {WL_OP_CONV, 5, 4, 2, 3, 8, true};
  wl_layer pw = WL_PW(19, true);
  assert_true(engine_vs_naive(&conv, 1, 7, 6, 3) < 1e-5);
  assert_true(engine_vs_naive(&conv_relu, 1, 8, 9, 2) < 1e-5);
  assert_true(engine_vs_naive(&pw, 1, 5, 4, 17) < 1e-5);
}

static void test_depthwise_pool_dense_vs_naive(void **state)
{
  wl_layer dw = WL_DW(3, 3, 1, false);
  wl_layer dw_s2 = {WL_OP_DWCONV, 3, 3, 2, 2, 0, true};
  wl_layer gap = WL_GAP();
  wl_layer dense = WL_DENSE(13, true);
  assert_true(engine_vs_naive(&dw, 1, 6, 5, 11) < 1e-5);
  assert_true(engine_vs_naive(&dw_s2, 1, 7, 8, 16) < 1e-5);
  assert_true(engine_vs_naive(&gap, 1, 5, 3, 9) < 1e-5);
  assert_true(engine_vs_naive(&dense, 1, 3, 2, 5) < 1e-5); /* flattens 3x2x5 */
}

/* A DS-CNN-shaped chain exercises both ping-pong buffers and the final output. */
static void test_chain_vs_naive(void **state)
{
  static const wl_layer chain[] = {
      WL_CONV(4, 3, 2, 12, true), WL_DW(3, 3, 1, true), WL_PW(12, true),
      WL_DW(3, 3, 1, true),       WL_PW(9, true),       WL_GAP(),
      WL_DENSE(5, false),
  };
  assert_true(engine_vs_naive(chain, 7, 13, 6, 1) < 1e-5);
  assert_true(engine_vs_naive(tiny, 4, 4, 4, 2) < 1e-5);
}

static void test_center_logits(void **state)
{
  wl_net net;
  assert_int_equal(wl_net_init(&net, 4, 4, 2, tiny, 4, 5), WL_OK);
  float inputs[8 * 32], out[2], sum[2] = {0, 0};
  float scratch[24];
  wl_rng r;
  wl_rng_seed(&r, 6);
  wl_rng_fill_f32(&r, inputs, 8 * 32, 1.0f);
  assert_int_equal(wl_net_center_logits(&net, inputs, 8), WL_OK);
  for (int s = 0; s < 8; s++) {
    wl_net_run(&net, inputs + s * 32, out, scratch);
    sum[0] += out[0];
    sum[1] += out[1];
  }
  assert_true(fabs(sum[0] / 8) < 1e-6 && fabs(sum[1] / 8) < 1e-6);
  assert_int_equal(wl_net_center_logits(&net, inputs, 0), WL_EINVAL);
  wl_net_destroy(&net);

  wl_layer relu_last = WL_DENSE(2, true);
  assert_int_equal(wl_net_init(&net, 4, 4, 2, &relu_last, 1, 5), WL_OK);
  assert_int_equal(wl_net_center_logits(&net, inputs, 8), WL_EINVAL);
  wl_net_destroy(&net);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_pad),
      cmocka_unit_test(test_counts_by_hand),
      cmocka_unit_test(test_plan_rejects),
      cmocka_unit_test(test_weight_recipe),
      cmocka_unit_test(test_conv_vs_naive),
      cmocka_unit_test(test_depthwise_pool_dense_vs_naive),
      cmocka_unit_test(test_chain_vs_naive),
      cmocka_unit_test(test_center_logits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
