/*
 * tests/workloads/test_model.c - the layer-list engine (workloads/model.[ch]):
 * TensorFlow 'same' padding, exact counts on hand-computed layer lists (a residual one
 * included), graph checks and activation slots, the weight recipe, each kernel (the
 * residual add included) against a naive direct implementation, ping-pong and
 * residual chaining, logit centring, the prototype head and the observed run.
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

static void naive_add(const wl_layer_plan *p, const float *x, const float *y, float *out)
{
  size_t n = (size_t)p->out_h * p->out_w * p->out_c;
  for (size_t i = 0; i < n; i++) {
    double v = (double)x[i] + y[i];
    out[i] = (float)(p->layer.relu && v < 0 ? 0 : v);
  }
}

/* Layer i with the naive kernels; y is an add's operand. */
static void naive_layer(const wl_net *net, int i, const float *in, const float *y,
                        float *out)
{
  const wl_layer_plan *p = &net->layers[i];
  const float *wt = net->weights + p->w_off;
  if (p->layer.op == WL_OP_DENSE)
    naive_dense(p, wt, in, out);
  else if (p->layer.op == WL_OP_AVGPOOL)
    naive_pool(p, in, out);
  else if (p->layer.op == WL_OP_ADD)
    naive_add(p, in, y, out);
  else
    naive_conv(p, wt, in, out);
}

/* Run net on a random input with the engine and layer by layer with the naive
 * kernels, every output kept in its own buffer and the inputs found from the table's
 * src/add fields as model.h defines them; return the largest absolute difference of
 * the outputs. */
static double engine_vs_naive(const wl_layer *layers, int n, int h, int w, int c)
{
  wl_net net;
  assert_int_equal(wl_net_init(&net, h, w, c, layers, n, 1234), WL_OK);
  float *in = malloc(sizeof(float) * net.in_elems);
  float *acts[WL_NET_MAX_LAYERS];
  float *out = malloc(sizeof(float) * net.out_elems);
  void *scratch = malloc(wl_net_scratch_bytes(&net) + 1);
  assert_non_null(in);
  assert_non_null(out);
  assert_non_null(scratch);
  wl_rng r;
  wl_rng_seed(&r, 99);
  wl_rng_fill_f32(&r, in, net.in_elems, 1.0f);
  wl_net_run(&net, in, out, scratch);
  for (int i = 0; i < n; i++) {
    const wl_layer_plan *p = &net.layers[i];
    int src = layers[i].src ? layers[i].src - 1 : i - 1;
    acts[i] = malloc(sizeof(float) * (size_t)p->out_h * p->out_w * p->out_c);
    assert_non_null(acts[i]);
    naive_layer(&net, i, src < 0 ? in : acts[src],
                layers[i].add ? acts[layers[i].add - 1] : NULL, acts[i]);
  }
  double worst = 0;
  for (size_t i = 0; i < net.out_elems; i++)
    worst = fmax(worst, fabs((double)out[i] - acts[n - 1][i]));
  for (int i = 0; i < n; i++)
    free(acts[i]);
  free(in);
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
  assert_int_equal(net.n_slots, 2);
  assert_int_equal(net.layers[0].slot, 0);
  assert_int_equal(net.layers[1].slot, 1);
  assert_int_equal(net.layers[2].slot, 0);
  assert_int_equal(net.layers[3].slot, -1);
  assert_int_equal(wl_net_scratch_bytes(&net), 2 * 12 * sizeof(float));
  assert_int_equal(net.layers[0].out_h, 2);
  assert_int_equal(net.layers[0].pad_top, 0);
  assert_int_equal(net.layers[1].pad_top, 1);
  assert_int_equal(net.layers[3].w_off, 57 + 30);
  wl_net_destroy(&net);
}

/*
 * A residual block with a projected shortcut on a 4x4x2 input:
 *   0 conv 3x3/1, 4, ReLU   -> 4x4x4   params 72+4 = 76    MACs 16*4*18 = 1152
 *   1 conv 3x3/2, 8, ReLU   -> 2x2x8   params 288+8 = 296  MACs 4*8*36 = 1152
 *   2 conv 3x3/1, 8         -> 2x2x8   params 576+8 = 584  MACs 4*8*72 = 2304
 *   3 conv 1x1/2, 8 on 0    -> 2x2x8   params 32+8 = 40    MACs 4*8*4 = 128
 *   4 add 2, ReLU           -> 2x2x8   params 0            MACs 0
 *   5 pool                  -> 8
 *   6 dense 3               -> 3       params 24+3 = 27    MACs 24
 * params 1023, MACs 4760.
 * FLOPs: 2*MACs + bias adds (64+32+32+32+3) + ReLUs (64+32+32) + add 32 + pool 32+8
 *        = 9520 + 163 + 128 + 32 + 40 = 9883.
 * Readers: 0 by 1 and 3; 1 by 2; 2 by 4 (operand); 3 by 4; 4 by 5; 5 by 6.
 * bytes: 4*(1023 + 32 in + 3 out) + 4*(3*64 + 2*32 + 2*32 + 2*32 + 2*32 + 2*8)
 *        = 4232 + 1856 = 6088.
 * Slots: 0 -> s0; 1 -> s1; 2 -> s2 (s0 still read by 3, s1 by 2); 3 -> s1 (layer 1's
 * output is dead by then); 4 -> s0; 5 -> s1 (s0 is its input). Three slots of 64.
 */
static const wl_layer residual[] = {
    WL_CONV(3, 3, 1, 4, true),
    WL_CONV(3, 3, 2, 8, true),
    WL_CONV(3, 3, 1, 8, false),
    WL_CONV_FROM(0, 1, 1, 2, 8, false),
    WL_ADD(2, true),
    WL_GAP(),
    WL_DENSE(3, false),
};

static void test_residual_plan(void **state)
{
  wl_net net;
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, residual, 7), WL_OK);
  assert_int_equal(net.total.params, 1023);
  assert_int_equal(net.total.macs, 4760);
  assert_int_equal(net.total.flops, 9883);
  assert_int_equal(net.total.bytes, 6088);
  assert_int_equal(net.layers[4].counts.flops, 32 + 32);
  assert_int_equal(net.layers[4].counts.params, 0);
  assert_int_equal(net.layers[3].in, 0);
  assert_int_equal(net.layers[3].in_h, 4);
  assert_int_equal(net.layers[3].out_h, 2);
  assert_int_equal(net.layers[3].pad_top, 0);
  assert_int_equal(net.layers[4].in, 3);
  assert_int_equal(net.layers[4].operand, 2);
  assert_int_equal(net.layers[2].operand, -1);
  assert_int_equal(net.layers[0].in, -1);
  static const int readers[] = {2, 1, 1, 1, 1, 1, 0};
  static const int slots[] = {0, 1, 2, 1, 0, 1, -1};
  for (int i = 0; i < 7; i++) {
    assert_int_equal(net.layers[i].readers, readers[i]);
    assert_int_equal(net.layers[i].slot, slots[i]);
  }
  assert_int_equal(net.n_slots, 3);
  assert_int_equal(net.max_act, 64);
  assert_int_equal(wl_net_scratch_bytes(&net), 3 * 64 * sizeof(float));
  assert_int_equal(net.layers[6].w_off, 76 + 296 + 584 + 40);
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
  /* graph errors: a source at or after the layer, an add on layer 0, an operand of
   * another shape, an add field outside WL_OP_ADD, an output nobody reads */
  wl_layer graph[3] = {WL_CONV(3, 3, 1, 2, true), WL_CONV_FROM(1, 3, 3, 1, 2, true),
                       WL_DENSE(2, false)};
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, graph, 3), WL_EINVAL);
  graph[1] = (wl_layer)WL_CONV_FROM(2, 3, 3, 1, 2, true);
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, graph, 3), WL_EINVAL);
  graph[1] = (wl_layer)WL_CONV(3, 3, 1, 2, true);
  graph[1].src = -1;
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, graph, 3), WL_EINVAL);
  wl_layer add0 = WL_ADD(0, false);
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, &add0, 1), WL_EINVAL);
  wl_layer mismatch[3] = {WL_CONV(3, 3, 1, 3, true), WL_CONV(3, 3, 2, 3, true),
                          WL_ADD(0, false)};
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, mismatch, 3), WL_EINVAL);
  mismatch[1] = (wl_layer)WL_CONV(3, 3, 1, 4, true);
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, mismatch, 3), WL_EINVAL);
  mismatch[1] = (wl_layer)WL_CONV(3, 3, 1, 3, true);
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, mismatch, 3), WL_OK);
  mismatch[2].add = 0; /* an add without an operand */
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, mismatch, 3), WL_EINVAL);
  wl_layer stray[2] = {WL_CONV(3, 3, 1, 2, true), WL_DENSE(2, false)};
  stray[1].add = 1;
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, stray, 2), WL_EINVAL);
  wl_layer dead[3] = {WL_CONV(3, 3, 1, 2, true), WL_CONV(3, 3, 1, 2, true),
                      WL_CONV_FROM(0, 1, 1, 1, 2, false)};
  assert_int_equal(wl_net_plan(&net, 4, 4, 2, dead, 3), WL_EINVAL);
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
  wl_layer conv = {WL_OP_CONV, 3, 2, 2, 1, 10, false, 0, 0};
  wl_layer conv_relu = {WL_OP_CONV, 5, 4, 2, 3, 8, true, 0, 0};
  wl_layer pw = WL_PW(19, true);
  assert_true(engine_vs_naive(&conv, 1, 7, 6, 3) < 1e-5);
  assert_true(engine_vs_naive(&conv_relu, 1, 8, 9, 2) < 1e-5);
  assert_true(engine_vs_naive(&pw, 1, 5, 4, 17) < 1e-5);
}

static void test_depthwise_pool_dense_vs_naive(void **state)
{
  wl_layer dw = WL_DW(3, 3, 1, false);
  wl_layer dw_s2 = {WL_OP_DWCONV, 3, 3, 2, 2, 0, true, 0, 0};
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

/* Residual graphs: the add alone, an identity and a projected shortcut, and two
 * stages in a row (the ResNet-8 pattern), whose slots get reused across stages. */
static void test_residual_vs_naive(void **state)
{
  static const wl_layer add_only[] = {
      WL_CONV(3, 3, 1, 5, false), WL_DW(3, 3, 1, false), WL_ADD(0, true)};
  static const wl_layer identity[] = {
      WL_CONV(3, 3, 1, 6, true), WL_CONV(3, 3, 1, 6, true), WL_CONV(3, 3, 1, 6, false),
      WL_ADD(0, true),           WL_GAP(),                  WL_DENSE(4, false)};
  static const wl_layer two_stages[] = {
      /* 0 */ WL_CONV(3, 3, 1, 4, true),
      /* 1 */ WL_CONV(3, 3, 2, 8, true),
      /* 2 */ WL_CONV(3, 3, 1, 8, false),
      /* 3 */ WL_CONV_FROM(0, 1, 1, 2, 8, false),
      /* 4 */ WL_ADD(2, true),
      /* 5 */ WL_CONV(3, 3, 2, 12, true),
      /* 6 */ WL_CONV(3, 3, 1, 12, false),
      /* 7 */ WL_CONV_FROM(4, 1, 1, 2, 12, false),
      /* 8 */ WL_ADD(6, true),
      /* 9 */ WL_GAP(),
      /* 10 */ WL_DENSE(5, false),
  };
  assert_true(engine_vs_naive(add_only, 3, 5, 4, 3) < 1e-5);
  assert_true(engine_vs_naive(identity, 6, 6, 5, 2) < 1e-5);
  assert_true(engine_vs_naive(residual, 7, 4, 4, 2) < 1e-5);
  assert_true(engine_vs_naive(two_stages, 11, 9, 7, 3) < 1e-5);
}

/* Dense stacks without pooling (the autoencoder's shape), a strided depthwise chain. */
static void test_dense_stack_vs_naive(void **state)
{
  static const wl_layer stack[] = {WL_DENSE(17, true), WL_DENSE(3, true),
                                   WL_DENSE(17, true), WL_DENSE(40, false)};
  static const wl_layer dw_chain[] = {WL_CONV(3, 3, 2, 8, true), WL_DW(3, 3, 2, true),
                                      WL_PW(16, true), WL_DW(3, 3, 2, true),
                                      WL_PW(9, true)};
  assert_true(engine_vs_naive(stack, 4, 1, 1, 40) < 1e-5);
  assert_true(engine_vs_naive(dw_chain, 5, 11, 10, 3) < 1e-5);
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

/* The prototype head, recomputed from model.h's text with the naive kernels. */
static void test_prototype_head(void **state)
{
  static const wl_layer net_layers[] = {WL_CONV(3, 3, 1, 6, true), WL_GAP(),
                                        WL_DENSE(3, false)};
  enum { N = 5, IN = 4 * 4 * 2 };
  wl_net net;
  float inputs[N * IN], act[4 * 4 * 6], feat[N][6];
  wl_rng r;
  wl_rng_seed(&r, 8);
  wl_rng_fill_f32(&r, inputs, N * IN, 1.0f);
  assert_int_equal(wl_net_init(&net, 4, 4, 2, net_layers, 3, 21), WL_OK);
  float bias_before[3];
  memcpy(bias_before, net.weights + net.layers[2].w_off + net.layers[2].w_count,
         sizeof bias_before);
  for (int s = 0; s < N; s++) {
    naive_layer(&net, 0, inputs + s * IN, NULL, act);
    naive_layer(&net, 1, act, NULL, feat[s]);
  }
  assert_int_equal(wl_net_prototype_head(&net, inputs, N), WL_OK);
  double mean[6] = {0};
  for (int s = 0; s < N; s++)
    for (int j = 0; j < 6; j++)
      mean[j] += feat[s][j] / N;
  const float *w = net.weights + net.layers[2].w_off;
  for (int k = 0; k < 3; k++) {
    double norm2 = 0, got2 = 0;
    for (int j = 0; j < 6; j++)
      norm2 += (feat[k][j] - mean[j]) * (feat[k][j] - mean[j]);
    for (int j = 0; j < 6; j++) {
      double want = (feat[k][j] - mean[j]) * sqrt(2.0 / norm2);
      assert_true(fabs(w[j * 3 + k] - want) < 1e-5);
      got2 += (double)w[j * 3 + k] * w[j * 3 + k];
    }
    assert_true(fabs(got2 - 2.0) < 1e-5);
  }
  assert_memory_equal(w + 18, bias_before, sizeof bias_before); /* biases untouched */
  assert_int_equal(wl_net_prototype_head(&net, inputs, 2), WL_EINVAL); /* n < classes */
  wl_net_destroy(&net);
  wl_layer alone = WL_DENSE(2, false), relu_head[2] = {WL_GAP(), WL_DENSE(2, true)};
  assert_int_equal(wl_net_init(&net, 4, 4, 2, &alone, 1, 21), WL_OK);
  assert_int_equal(wl_net_prototype_head(&net, inputs, N), WL_EINVAL); /* reads the input */
  wl_net_destroy(&net);
  assert_int_equal(wl_net_init(&net, 4, 4, 2, relu_head, 2, 21), WL_OK);
  assert_int_equal(wl_net_prototype_head(&net, inputs, N), WL_EINVAL);
  wl_net_destroy(&net);
}

/* The observer sees every layer's output as the next layer will read it. */
static void see_copy(void *ctx, int layer, const float *act, size_t n)
{
  float **outs = ctx;
  memcpy(outs[layer], act, n * sizeof(float));
}

static void test_run_observed(void **state)
{
  wl_net net;
  float in[32], out[3], scratch[3 * 64], o2[3];
  float a[7][64], *outs[7];
  for (int i = 0; i < 7; i++)
    outs[i] = a[i];
  wl_rng r;
  wl_rng_seed(&r, 3);
  wl_rng_fill_f32(&r, in, 32, 1.0f);
  assert_int_equal(wl_net_init(&net, 4, 4, 2, residual, 7, 4), WL_OK);
  wl_net_run_observed(&net, in, out, scratch, see_copy, outs);
  wl_net_run(&net, in, o2, scratch);
  assert_memory_equal(out, o2, sizeof out);
  assert_memory_equal(a[6], out, sizeof out);
  float b[64];
  naive_layer(&net, 5, a[4], NULL, b); /* the pool from the add's output */
  for (int c = 0; c < 8; c++)
    assert_true(fabsf(b[c] - a[5][c]) < 1e-6f);
  wl_net_destroy(&net);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_pad),
      cmocka_unit_test(test_counts_by_hand),
      cmocka_unit_test(test_residual_plan),
      cmocka_unit_test(test_plan_rejects),
      cmocka_unit_test(test_weight_recipe),
      cmocka_unit_test(test_conv_vs_naive),
      cmocka_unit_test(test_depthwise_pool_dense_vs_naive),
      cmocka_unit_test(test_chain_vs_naive),
      cmocka_unit_test(test_residual_vs_naive),
      cmocka_unit_test(test_dense_stack_vs_naive),
      cmocka_unit_test(test_center_logits),
      cmocka_unit_test(test_prototype_head),
      cmocka_unit_test(test_run_observed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
