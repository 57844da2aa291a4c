/*
 * tests/workloads/test_quant.c - the int8 path (workloads/quant.[ch]): the fixed-point
 * primitives against hand-computed values (negative numbers and rounding ties
 * included), QuantizeMultiplier, the quantization recipe recomputed from quant.h's
 * text (scales, per-channel weights, biases, multipliers, equalization, bias
 * correction), every int8 kernel against a naive interpreter written from the same
 * text, and the int8 workloads: top-1 agreement with fp32, error bounds, counts,
 * determinism and the precision parameter.
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
#include "workloads/quant.h"
#include "workloads/rng.h"
#include "workloads/wl_private.h"
#include "workloads/workload.h"

/* ---- fixed-point primitives ---------------------------------------------------------- */

static void test_srdhm(void **state)
{
  /* round(a * b / 2^31), ties toward +infinity */
  assert_int_equal(wl_q_srdhm(INT32_MIN, INT32_MIN), INT32_MAX); /* the one overflow */
  assert_int_equal(wl_q_srdhm(1 << 30, 1 << 30), 1 << 29);        /* exact */
  assert_int_equal(wl_q_srdhm(1 << 15, 1 << 15), 1);              /* 0.5 -> 1 */
  assert_int_equal(wl_q_srdhm(-(1 << 15), 1 << 15), 0);           /* -0.5 -> 0 */
  assert_int_equal(wl_q_srdhm(3 << 15, 1 << 15), 2);              /* 1.5 -> 2 */
  assert_int_equal(wl_q_srdhm(-(3 << 15), 1 << 15), -1);          /* -1.5 -> -1 */
  assert_int_equal(wl_q_srdhm(-((1 << 30) + 1), 1), -1);          /* just past -0.5 */
  assert_int_equal(wl_q_srdhm((1 << 30) - 1, 1), 0);              /* just under 0.5 */
  assert_int_equal(wl_q_srdhm(1000000, 1518500250), 707107);      /* 707106.78 */
  assert_int_equal(wl_q_srdhm(-1000000, 1518500250), -707107);
  assert_int_equal(wl_q_srdhm(INT32_MIN, INT32_MAX), -INT32_MAX); /* exact */
  assert_int_equal(wl_q_srdhm(INT32_MAX, INT32_MAX), INT32_MAX - 1);
}

static void test_rdivpot(void **state)
{
  /* round(x / 2^e), ties away from zero */
  static const int32_t cases[][3] = {
      {5, 1, 3},   {-5, 1, -3}, {3, 1, 2},   {-3, 1, -2},  {4, 1, 2},    {-4, 1, -2},
      {6, 2, 2},   {-6, 2, -2}, {5, 2, 1},   {-5, 2, -1},  {7, 2, 2},    {-7, 2, -2},
      {7, 0, 7},   {-7, 0, -7}, {0, 5, 0},   {-1, 1, -1},  {1, 1, 1},    {-1, 2, 0},
      {1 << 30, 31, 1},         {-(1 << 30), 31, -1},     {INT32_MIN, 31, -1},
      {INT32_MAX, 31, 1},       {INT32_MAX, 1, 1073741824}, {INT32_MIN, 1, -1073741824},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (wl_q_rdivpot(cases[i][0], cases[i][1]) != cases[i][2])
      fail_msg("rdivpot(%d, %d) = %d, want %d", cases[i][0], cases[i][1],
               wl_q_rdivpot(cases[i][0], cases[i][1]), cases[i][2]);
}

static void test_requantize(void **state)
{
  int32_t half = 1 << 30; /* 0.5 in Q31 */
  assert_int_equal(wl_q_mul(3, half, 0), 2);    /* 1.5 -> 2 */
  assert_int_equal(wl_q_mul(-3, half, 0), -1);  /* -1.5 -> -1: srdhm's tie goes up */
  assert_int_equal(wl_q_mul(3, half, -1), 1);   /* 0.75: 2, then 2 / 2 = 1 */
  assert_int_equal(wl_q_mul(10, half, -2), 1);  /* 1.25: 5, then 5 / 4 -> 1 */
  assert_int_equal(wl_q_mul(-10, half, -2), -1);
  assert_int_equal(wl_q_mul(6, half, -2), 1);   /* 0.75: 3, then 3 / 4 -> 1 */
  assert_int_equal(wl_q_mul(-6, half, -2), -1); /* -0.75: -3, then -3 / 4 -> -1 */
  assert_int_equal(wl_q_mul(12, half, -3), 1);  /* 0.75: 6 / 8 = 0.75 -> 1 */
  assert_int_equal(wl_q_mul(-20, half, -3), -1); /* -1.25: -10 / 8 -> -1 */
  assert_int_equal(wl_q_mul(-4, half, -2), -1); /* -0.5: -2 exactly, then -2 / 4 -> -1 */
  /* two roundings are not one: 1 * 0.25 is 0.25, but srdhm gives 0.5 -> 1 first and
   * 1 / 2 -> 1 then; for -1, srdhm's tie goes up to 0 */
  assert_int_equal(wl_q_mul(1, half, -1), 1);
  assert_int_equal(wl_q_mul(-1, half, -1), 0);
}

static void test_requantize_double_rounding(void **state)
{
  int32_t half = 1 << 30;
  assert_int_equal(wl_q_mul(3, half, 2), 6);           /* a left shift: 3 * 4 * 0.5 */
  assert_int_equal(wl_q_mul(1 << 30, half, 2), 1 << 30); /* 2^32 saturates first */
  /* against exact arithmetic: within one unit, and exact on exact products */
  wl_rng r;
  wl_rng_seed(&r, 5);
  for (int i = 0; i < 20000; i++) {
    int32_t x = (int32_t)(wl_rng_next(&r) >> 40) - (1 << 23);
    double real = 0.25 + 0.75 * wl_rng_unit_f64(&r);
    int shift_in = -(int)(wl_rng_next(&r) % 12);
    int32_t mult;
    int shift;
    wl_q_multiplier(ldexp(real, shift_in), &mult, &shift);
    double want = (double)x * mult * ldexp(1.0, shift - 31);
    int32_t got = wl_q_mul(x, mult, shift);
    assert_true(fabs(got - want) <= 1.0);
  }
}

static void test_multiplier(void **state)
{
  static const struct {
    double real;
    int32_t mult;
    int shift;
  } cases[] = {
      {0.5, 1 << 30, 0},
      {1.0, 1 << 30, 1},
      {0.25, 1 << 30, -1},
      {0.75, 1610612736, 0},
      {0.0, 0, 0},
      {1.0 - 1.0 / 1099511627776.0, 1 << 30, 1}, /* q * 2^31 rounds up to 2^31 */
      {1.0 / 1099511627776.0, 0, 0},             /* 2^-40: shift < -31 flushes to 0 */
      {1099511627776.0, INT32_MAX, 30},          /* 2^40: shift > 30 saturates */
      {0.1, 1717986918, -3},                     /* 0.8 * 2^-3; 0.8 * 2^31 rounded */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int32_t mult = -1;
    int shift = -99;
    wl_q_multiplier(cases[i].real, &mult, &shift);
    if (mult != cases[i].mult || shift != cases[i].shift)
      fail_msg("multiplier(%g) = (%d, %d), want (%d, %d)", cases[i].real, mult, shift,
               cases[i].mult, cases[i].shift);
  }
  assert_true(wl_q_scale(0.0f) == 1.0f);
  assert_true(wl_q_scale(127.0f) == 1.0f);
  assert_true(wl_q_scale(2.54f) == 2.54f / 127.0f);
}

/* ---- a naive int8 interpreter, from quant.h's layer formulas -------------------------- */

static int8_t sat8(int32_t v, int32_t lo)
{
  return (int8_t)(v < lo ? lo : v > 127 ? 127 : v);
}

static int8_t naive_at(const int8_t *x, const wl_layer_plan *p, int y, int xx, int c)
{
  if (y < 0 || y >= p->in_h || xx < 0 || xx >= p->in_w)
    return 0;
  return x[((size_t)y * p->in_w + xx) * p->in_c + c];
}

/* acc of output (oy, ox, oc) of a conv, depthwise or dense layer. */
static int32_t naive_acc(const wl_qnet *q, int i, const int8_t *x, int oy, int ox, int oc)
{
  const wl_layer_plan *p = &q->net->layers[i];
  const wl_layer *l = &p->layer;
  const int8_t *w = q->w + p->w_off;
  int32_t acc = q->bias[q->layers[i].c_off + (size_t)oc];
  if (l->op == WL_OP_DENSE) {
    int n_in = p->in_h * p->in_w * p->in_c;
    for (int k = 0; k < n_in; k++)
      acc += x[k] * w[(size_t)k * p->out_c + oc];
    return acc;
  }
  for (int ky = 0; ky < l->kh; ky++)
    for (int kx = 0; kx < l->kw; kx++) {
      int iy = oy * l->sh - p->pad_top + ky, ix = ox * l->sw - p->pad_left + kx;
      if (l->op == WL_OP_DWCONV)
        acc += naive_at(x, p, iy, ix, oc) * w[((size_t)ky * l->kw + kx) * p->out_c + oc];
      else
        for (int ic = 0; ic < p->in_c; ic++)
          acc += naive_at(x, p, iy, ix, ic) *
                 w[(((size_t)ky * l->kw + kx) * p->in_c + ic) * p->out_c + oc];
    }
  return acc;
}

/* Layer i: int8 into out8, or (last layer) floats into outf. */
static void naive_qlayer(const wl_qnet *q, int i, const int8_t *x, const int8_t *y,
                         int8_t *out8, float *outf)
{
  const wl_layer_plan *p = &q->net->layers[i];
  const wl_qlayer *ql = &q->layers[i];
  size_t n = (size_t)p->out_h * p->out_w * p->out_c;
  for (size_t e = 0; e < n; e++) {
    int oc = (int)(e % (size_t)p->out_c);
    int pix = (int)(e / (size_t)p->out_c), oy = pix / p->out_w, ox = pix % p->out_w;
    int32_t v;
    if (p->layer.op == WL_OP_AVGPOOL) {
      int32_t acc = 0;
      for (int k = 0; k < p->in_h * p->in_w; k++)
        acc += x[(size_t)k * p->in_c + oc];
      v = wl_q_mul(acc, ql->mult[0], ql->shift[0]);
    } else if (p->layer.op == WL_OP_ADD) {
      int32_t a = wl_q_mul(x[e] * (1 << 20), ql->mult[0], ql->shift[0]);
      int32_t b = wl_q_mul(y[e] * (1 << 20), ql->mult[1], ql->shift[1]);
      v = wl_q_mul(a + b, ql->mult[2], ql->shift[2]);
    } else {
      int32_t acc = naive_acc(q, i, x, oy, ox, oc);
      size_t ch = ql->c_off + (size_t)oc;
      if (outf) {
        outf[e] = (float)acc * (ql->in_scale * q->w_scale[ch]);
        continue;
      }
      v = wl_q_mul(acc, q->mult[ch], (int)q->shift[ch]);
    }
    if (outf)
      outf[e] = (float)sat8(v, ql->act_min) * ql->out_scale;
    else
      out8[e] = sat8(v, ql->act_min);
  }
}

/* The whole int8 model, every output in its own buffer. */
static void naive_qrun(const wl_qnet *q, const float *in, float *out)
{
  const wl_net *net = q->net;
  int8_t *input = malloc(net->in_elems), *acts[WL_NET_MAX_LAYERS];
  for (size_t k = 0; k < net->in_elems; k++) {
    long v = lroundf(in[k] / q->in_scale);
    input[k] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
  }
  for (int i = 0; i < net->n_layers; i++) {
    const wl_layer_plan *p = &net->layers[i];
    bool last = i == net->n_layers - 1;
    acts[i] = malloc((size_t)p->out_h * p->out_w * p->out_c);
    const int8_t *x = p->in < 0 ? input : acts[p->in];
    const int8_t *y = p->operand >= 0 ? acts[p->operand] : NULL;
    naive_qlayer(q, i, x, y, acts[i], last ? out : NULL);
  }
  for (int i = 0; i < net->n_layers; i++)
    free(acts[i]);
  free(input);
}

/* Build net + qnet on 8 random calibration inputs and compare wl_qnet_run with the
 * naive interpreter bit for bit on fresh inputs; also bound the error against fp32
 * loosely (fresh inputs may clip), which catches a wrong table. */
static void qnet_vs_naive(const wl_layer *layers, int n_layers, int h, int w, int c)
{
  enum { CALIB = 8, TRIALS = 4 };
  wl_net net;
  wl_qnet q;
  assert_int_equal(wl_net_init(&net, h, w, c, layers, n_layers, 77), WL_OK);
  float *calib = malloc(sizeof(float) * CALIB * net.in_elems);
  wl_rng r;
  wl_rng_seed(&r, 11);
  wl_rng_fill_f32(&r, calib, CALIB * net.in_elems, 1.0f);
  assert_int_equal(wl_qnet_init(&q, &net, calib, CALIB), WL_OK);
  float *in = malloc(sizeof(float) * net.in_elems);
  float *got = malloc(sizeof(float) * net.out_elems), *want = malloc(sizeof(float) * net.out_elems);
  float *ref = malloc(sizeof(float) * net.out_elems);
  void *qs = malloc(wl_qnet_scratch_bytes(&q) + 1), *fs = malloc(wl_net_scratch_bytes(&net) + 1);
  for (int t = 0; t < TRIALS; t++) {
    wl_rng_fill_f32(&r, in, net.in_elems, 1.0f);
    memset(qs, 0x5A, wl_qnet_scratch_bytes(&q)); /* stale scratch must not matter */
    wl_qnet_run(&q, in, got, qs);
    naive_qrun(&q, in, want);
    assert_memory_equal(got, want, sizeof(float) * net.out_elems);
    wl_net_run(&net, in, ref, fs);
    double worst = 0, top = 0;
    for (size_t k = 0; k < net.out_elems; k++) {
      worst = fmax(worst, fabs((double)got[k] - ref[k]));
      top = fmax(top, fabs((double)ref[k]));
    }
    if (worst > 0.25 * top + 0.05) /* tiny random nets, 8 calibration inputs */
      fail_msg("%d-layer net: int8 error %g on outputs up to %g", n_layers, worst, top);
  }
  free(calib);
  free(in);
  free(got);
  free(want);
  free(ref);
  free(qs);
  free(fs);
  wl_qnet_destroy(&q);
  wl_net_destroy(&net);
}

static void test_kernels_vs_naive(void **state)
{
  static const wl_layer conv_dw[] = {
      {WL_OP_CONV, 3, 2, 2, 1, 20, true, 0, 0}, /* strided, 16-channel block + 4 */
      WL_DW(3, 3, 2, true),                      /* strided depthwise */
      WL_PW(7, false),                           /* last layer: dequantized accumulators */
  };
  static const wl_layer pooled[] = {WL_CONV(3, 3, 1, 18, true), WL_GAP(), WL_DENSE(5, false)};
  static const wl_layer residual[] = {
      WL_CONV(3, 3, 1, 4, true),           WL_CONV(3, 3, 2, 8, true),
      WL_CONV(3, 3, 1, 8, false),          WL_CONV_FROM(0, 1, 1, 2, 8, false),
      WL_ADD(2, true),                     WL_GAP(),
      WL_DENSE(3, false),
  };
  static const wl_layer add_last[] = {WL_CONV(3, 3, 1, 3, true), WL_CONV(1, 1, 1, 3, false),
                                      WL_ADD(0, false)};
  static const wl_layer pool_last[] = {WL_CONV(3, 3, 1, 5, true), WL_GAP()};
  static const wl_layer stack[] = {WL_DENSE(33, true), WL_DENSE(3, true), WL_DENSE(17, false)};
  qnet_vs_naive(conv_dw, 3, 9, 8, 3);
  qnet_vs_naive(pooled, 3, 6, 5, 4);
  qnet_vs_naive(residual, 7, 7, 6, 2);
  qnet_vs_naive(add_last, 3, 5, 4, 3);
  qnet_vs_naive(pool_last, 2, 5, 4, 3);
  qnet_vs_naive(stack, 3, 1, 1, 40);
}

/* ---- the quantization recipe, recomputed from quant.h -------------------------------- */

typedef struct maxes {
  int n_layers;
  float layer[WL_NET_MAX_LAYERS];
  float chan[WL_NET_MAX_LAYERS][64];
  const wl_net *net;
} maxes;

static void see_maxes(void *ctx, int layer, const float *act, size_t n)
{
  maxes *m = ctx;
  int c = m->net->layers[layer].out_c;
  for (size_t k = 0; k < n; k++) {
    float v = fabsf(act[k]);
    m->layer[layer] = fmaxf(m->layer[layer], v);
    m->chan[layer][k % (size_t)c] = fmaxf(m->chan[layer][k % (size_t)c], v);
  }
}

static void measure_maxes(const wl_net *net, const float *calib, int n, maxes *m)
{
  memset(m, 0, sizeof *m);
  m->net = net;
  float *buf = malloc(sizeof(float) * net->out_elems + wl_net_scratch_bytes(net) + 4);
  for (int s = 0; s < n; s++)
    wl_net_run_observed(net, calib + (size_t)s * net->in_elems, buf, buf + net->out_elems,
                        see_maxes, m);
  free(buf);
}

/* The expected int8 weights, bias (before correction) and multiplier of layer i. */
static void check_layer_tables(const wl_qnet *q, const wl_net *eq, int i, float s_in,
                               float s_out, bool check_bias)
{
  const wl_layer_plan *p = &eq->layers[i];
  const float *w = eq->weights + p->w_off, *b = w + p->w_count;
  size_t outs = p->b_count, per = p->w_count / outs, c_off = q->layers[i].c_off;
  assert_true(q->layers[i].in_scale == s_in);
  assert_true(q->layers[i].out_scale == s_out);
  for (size_t oc = 0; oc < outs; oc++) {
    float m = 0;
    for (size_t k = 0; k < per; k++)
      m = fmaxf(m, fabsf(w[k * outs + oc]));
    float sw = m / 127.0f;
    assert_true(q->w_scale[c_off + oc] == sw);
    for (size_t k = 0; k < per; k++) {
      long v = lroundf(w[k * outs + oc] / sw);
      assert_int_equal(q->w[p->w_off + k * outs + oc], v);
    }
    double s_acc = (double)s_in * sw;
    if (check_bias)
      assert_int_equal(q->bias[c_off + oc], llround(b[oc] / s_acc));
    int32_t mult;
    int shift;
    wl_q_multiplier(s_acc / s_out, &mult, &shift);
    assert_int_equal(q->mult[c_off + oc], mult);
    assert_int_equal(q->shift[c_off + oc], shift);
  }
}

/*
 * conv 3x3 (6, ReLU) -> conv 1x1 (5, ReLU) -> pool -> dense 3, on 5x5x2 with one filter
 * of each conv shrunk so the channels are unbalanced. Layer 0's output is read by a
 * conv and layer 1's by a pool feeding a dense layer: both are equalized. The test
 * redoes steps 1-4 of quant.h by hand and compares every table.
 */
static void test_recipe_by_hand(void **state)
{
  static const wl_layer layers[] = {WL_CONV(3, 3, 1, 6, true), WL_CONV(1, 1, 1, 5, true),
                                    WL_GAP(), WL_DENSE(3, false)};
  enum { N = 6, IN = 5 * 5 * 2 };
  wl_net net, eq;
  wl_qnet q;
  float calib[N * IN];
  wl_rng r;
  wl_rng_seed(&r, 12);
  wl_rng_fill_f32(&r, calib, N * IN, 1.0f);
  assert_int_equal(wl_net_init(&net, 5, 5, 2, layers, 4, 3), WL_OK);
  float *w0 = net.weights + net.layers[0].w_off, *w1 = net.weights + net.layers[1].w_off;
  for (size_t k = 2; k < net.layers[0].w_count + 6; k += 6)
    w0[k] *= 0.05f; /* channel 2 of layer 0, bias included */
  for (size_t k = 4; k < net.layers[1].w_count + 5; k += 5)
    w1[k] *= 0.1f; /* channel 4 of layer 1 */
  assert_int_equal(wl_qnet_init(&q, &net, calib, N), WL_OK);

  /* 1. channel ranges; 2. equalization of layers 0 and 1 */
  maxes orig, after;
  measure_maxes(&net, calib, N, &orig);
  eq = net;
  eq.weights = malloc(sizeof(float) * net.total.params);
  memcpy(eq.weights, net.weights, sizeof(float) * net.total.params);
  float r0[6], r1[5];
  for (int c = 0; c < 6; c++)
    r0[c] = fmaxf(orig.chan[0][c] / orig.layer[0], 0.5f);
  for (int c = 0; c < 5; c++)
    r1[c] = fmaxf(orig.chan[1][c] / orig.layer[1], 0.5f);
  assert_true(r0[2] == 0.5f); /* the shrunk channel hits the floor */
  float *e0 = eq.weights + eq.layers[0].w_off, *e1 = eq.weights + eq.layers[1].w_off;
  float *e3 = eq.weights + eq.layers[3].w_off;
  for (size_t k = 0; k < eq.layers[0].w_count + 6; k++)
    e0[k] = e0[k] / r0[k % 6];
  for (size_t k = 0; k < eq.layers[1].w_count; k++) /* [in 6][out 5] */
    e1[k] = e1[k] * r0[k / 5];
  for (size_t k = 0; k < eq.layers[1].w_count + 5; k++)
    e1[k] = e1[k] / r1[k % 5];
  for (size_t k = 0; k < eq.layers[3].w_count; k++) /* [in 5][out 3] */
    e3[k] = e3[k] * r1[k / 3];

  /* 3. scales from the equalized net, then the tables */
  measure_maxes(&eq, calib, N, &after);
  float in_max = 0;
  for (int k = 0; k < N * IN; k++)
    in_max = fmaxf(in_max, fabsf(calib[k]));
  float s_in = in_max / 127.0f, s[4];
  for (int i = 0; i < 4; i++)
    s[i] = after.layer[i] / 127.0f;
  assert_true(q.in_scale == s_in);
  check_layer_tables(&q, &eq, 0, s_in, s[0], true);
  check_layer_tables(&q, &eq, 1, s[0], s[1], true);
  check_layer_tables(&q, &eq, 3, s[2], s[3], false);
  int32_t mult;
  int shift;
  wl_q_multiplier((double)s[1] / ((double)s[2] * 25), &mult, &shift); /* the pool */
  assert_int_equal(q.layers[2].mult[0], mult);
  assert_int_equal(q.layers[2].shift[0], shift);
  assert_int_equal(q.layers[0].act_min, 0);
  assert_int_equal(q.layers[3].act_min, -128);

  /* 4. bias correction: the last layer's mean error over the calibration inputs is
   * now under half an accumulator step (its outputs are linear in the bias) */
  float ref[3], got[3];
  void *qs = malloc(wl_qnet_scratch_bytes(&q)), *fs = malloc(wl_net_scratch_bytes(&net));
  double err[3] = {0};
  for (int s_i = 0; s_i < N; s_i++) {
    wl_net_run(&net, calib + s_i * IN, ref, fs);
    wl_qnet_run(&q, calib + s_i * IN, got, qs);
    for (int k = 0; k < 3; k++)
      err[k] += ((double)got[k] - ref[k]) / N;
  }
  for (int k = 0; k < 3; k++) {
    double step = (double)q.layers[3].in_scale * q.w_scale[q.layers[3].c_off + (size_t)k];
    assert_true(fabs(err[k]) <= 0.5 * step + 1e-9);
  }
  /* counts: 1 byte per weight, 4 per bias, f32 in and out, int8 activations */
  size_t weights = 0, biases = 0;
  for (int i = 0; i < 4; i++) {
    weights += net.layers[i].w_count;
    biases += net.layers[i].b_count;
  }
  assert_int_equal(q.bytes, weights + 4 * biases + 4 * (IN + 3) + 2 * (150 + 125 + 5));
  assert_int_equal(wl_qnet_scratch_bytes(&q), 4 * 6 + IN + 3 + 2 * 150);
  free(qs);
  free(fs);
  free(eq.weights);
  wl_qnet_destroy(&q);
  wl_qnet_destroy(&q); /* twice is harmless */
  wl_qnet_destroy(NULL);
  wl_net_destroy(&net);
}

/* A residual join and a fully connected stack are left unequalized: their tables are
 * the plain recipe on the original weights. */
static void test_no_equalization(void **state)
{
  static const wl_layer stack[] = {WL_DENSE(9, true), WL_DENSE(4, false)};
  enum { N = 5, IN = 12 };
  wl_net net;
  wl_qnet q;
  float calib[N * IN];
  wl_rng r;
  wl_rng_seed(&r, 2);
  wl_rng_fill_f32(&r, calib, N * IN, 1.0f);
  assert_int_equal(wl_net_init(&net, 1, 1, IN, stack, 2, 9), WL_OK);
  assert_int_equal(wl_qnet_init(&q, &net, calib, N), WL_OK);
  maxes m;
  measure_maxes(&net, calib, N, &m);
  float in_max = 0;
  for (int k = 0; k < N * IN; k++)
    in_max = fmaxf(in_max, fabsf(calib[k]));
  check_layer_tables(&q, &net, 0, in_max / 127.0f, m.layer[0] / 127.0f, true);
  check_layer_tables(&q, &net, 1, m.layer[0] / 127.0f, m.layer[1] / 127.0f, false);
  wl_qnet_destroy(&q);
  assert_int_equal(wl_qnet_init(&q, &net, calib, 0), WL_EINVAL);
  wl_net_destroy(&net);
}

/* ---- the int8 workloads ------------------------------------------------------------- */

static wl_model *open_prec(const char *name, const char *precision)
{
  wl_params p;
  wl_model *m = NULL;
  char err[256];
  wl_params_init(&p);
  assert_int_equal(wl_params_set(&p, "precision", precision), WL_OK);
  if (wl_open(&m, name, &p, err, sizeof err) != WL_OK)
    fail_msg("%s: %s", name, err);
  return m;
}

typedef struct agreement {
  wl_accuracy acc;
  double max_ref;       /* largest |fp32 output| */
  double max_score_rel; /* reconstruction workloads: worst relative score error */
} agreement;

/* int8 against fp32 over samples 0 .. n-1. */
static agreement compare(const char *name, int n)
{
  wl_model *f = open_prec(name, "fp32"), *q = open_prec(name, "int8");
  const wl_info *fi = wl_model_info(f), *qi = wl_model_info(q);
  assert_int_equal(qi->macs, fi->macs);
  assert_int_equal(qi->flops, fi->flops);
  assert_int_equal(qi->params, fi->params);
  assert_true(qi->bytes_moved < fi->bytes_moved);
  size_t outs = wl_tensor_elems(&fi->output);
  float *in = malloc(wl_tensor_bytes(&fi->input));
  float *a = malloc(sizeof(float) * outs), *b = malloc(sizeof(float) * outs);
  void *fs = malloc(wl_scratch_bytes(f) + 1), *qs = malloc(wl_scratch_bytes(q) + 1);
  agreement g = {.max_ref = 0};
  wl_accuracy_init(&g.acc);
  for (int s = 0; s < n; s++) {
    wl_make_sample(f, (uint64_t)s, in);
    wl_infer(f, in, a, fs);
    wl_infer(q, in, b, qs);
    wl_accuracy_add(q, &g.acc, b, a);
    for (size_t k = 0; k < outs; k++)
      g.max_ref = fmax(g.max_ref, fabs((double)a[k]));
    if (fi->reconstruction) {
      double sa = wl_anomaly_score(f, in, a), sb = wl_anomaly_score(q, in, b);
      g.max_score_rel = fmax(g.max_score_rel, fabs(sb - sa) / sa);
    }
  }
  free(in);
  free(a);
  free(b);
  free(fs);
  free(qs);
  wl_close(f);
  wl_close(q);
  print_message("%s int8 vs fp32 over %d samples: top-1 %llu/%d (%.1f %%), max abs error "
                "%.4g (outputs up to %.4g)\n",
                name, n, (unsigned long long)g.acc.top1_agree, n,
                100.0 * (double)g.acc.top1_agree / n, g.acc.max_abs_error, g.max_ref);
  return g;
}

/* The brief's bar: int8 top-1 agreement above 95 % over the first 256 samples, and a
 * max abs error that is a small part of the logits' range. */
static void test_int8_agreement(void **state)
{
  static const struct {
    const char *name;
    double max_err; /* absolute bound on any logit */
  } cases[] = {{"kws", 0.1}, {"ic", 2.0}, {"vww", 1.0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    agreement g = compare(cases[i].name, 256);
    assert_int_equal(g.acc.samples, 256);
    assert_true(g.acc.top1_agree * 100 > 95 * 256);
    assert_true(g.acc.max_abs_error < cases[i].max_err);
    assert_true(g.acc.max_abs_error < 0.2 * g.max_ref);
  }
}

/* ad: the reconstruction and its anomaly score stay close. */
static void test_int8_ad(void **state)
{
  agreement g = compare("ad", 64);
  print_message("ad int8 worst relative anomaly-score error %.3f\n", g.max_score_rel);
  assert_true(g.acc.max_abs_error < 1.0);
  assert_true(g.acc.max_abs_error < 0.3 * g.max_ref);
  assert_true(g.max_score_rel < 0.25);
}

static void test_int8_info_and_determinism(void **state)
{
  wl_model *q = open_prec("kws", "int8"), *q2 = open_prec("kws", "int8");
  const wl_info *i = wl_model_info(q);
  /* 22,016 int8 weights + 4 x 588 biases + 4 x (490 + 12) + 2 x (9 x 8,000 + 64) */
  assert_int_equal(i->bytes_moved, 22016 + 4 * 588 + 4 * (490 + 12) + 2 * (9 * 8000 + 64));
  assert_int_equal(i->macs, 2656768);
  /* 64 accumulators, the int8 input and logits, two slots of 8,000 */
  assert_int_equal(wl_scratch_bytes(q), 4 * 64 + 490 + 12 + 2 * 8000);
  static const float pinned[12] = {
      0.0246656314f, -0.0446548685f, -0.0648510307f, 0.150825918f,
      0.0928200036f, -0.123572744f,  -0.176708922f,  0.209315002f,
      -0.0816752985f, 0.0228091944f, -0.0286830906f, 0.0144220758f};
  float in[490], a[12], b[12];
  size_t n = wl_scratch_bytes(q2);
  unsigned char *poison = malloc(n);
  memset(poison, 0xA5, n);
  void *s = malloc(wl_scratch_bytes(q));
  wl_make_sample(q, 0, in);
  wl_infer(q, in, a, s);
  for (int k = 0; k < 12; k++)
    if (!(fabsf(a[k] - pinned[k]) < 1e-6f))
      fail_msg("int8 logit %d: %.9g, pinned %.9g", k, a[k], pinned[k]);
  wl_infer(q2, in, b, poison);
  assert_memory_equal(a, b, sizeof a);
  wl_infer(q2, in, b, poison);
  assert_memory_equal(a, b, sizeof a);
  free(poison);
  free(s);
  wl_close(q);
  wl_close(q2);
}

static void test_precision_param(void **state)
{
  wl_params p;
  wl_model *m = NULL;
  char err[256];
  wl_params_init(&p);
  wl_params_set(&p, "precision", "fp16");
  assert_int_equal(wl_open(&m, "vww", &p, err, sizeof err), WL_EPARAM);
  assert_null(m);
  assert_non_null(strstr(err, "precision=fp16"));
  assert_non_null(strstr(err, "fp32, int8"));
  assert_int_equal(wl_open(&m, "gemm", &p, err, sizeof err), WL_EPARAM); /* no such key */
  static const char *const models[] = {"kws", "ic", "vww", "ad"};
  for (size_t i = 0; i < 4; i++) {
    wl_params_set(&p, "precision", "fp32");
    assert_int_equal(wl_open(&m, models[i], &p, err, sizeof err), WL_OK);
    wl_close(m);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_srdhm),
      cmocka_unit_test(test_rdivpot),
      cmocka_unit_test(test_requantize),
      cmocka_unit_test(test_requantize_double_rounding),
      cmocka_unit_test(test_multiplier),
      cmocka_unit_test(test_kernels_vs_naive),
      cmocka_unit_test(test_recipe_by_hand),
      cmocka_unit_test(test_no_equalization),
      cmocka_unit_test(test_int8_agreement),
      cmocka_unit_test(test_int8_ad),
      cmocka_unit_test(test_int8_info_and_determinism),
      cmocka_unit_test(test_precision_param),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
