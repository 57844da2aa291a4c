/*
 * workloads/quant.c - int8 inference of a layer-list model: calibration and weight
 * quantization at open time (the arithmetic is specified in quant.h); inference is the
 * freestanding kernel of workloads/qkernel.c, which the firmware compiles too.
 */
#include "workloads/quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/workload.h"

#define WL_Q_EQ_FLOOR 0.5f    /* smallest equalization factor (quant.h) */

_Static_assert((int)WL_QK_CONV == (int)WL_OP_CONV && (int)WL_QK_DWCONV == (int)WL_OP_DWCONV &&
                   (int)WL_QK_AVGPOOL == (int)WL_OP_AVGPOOL &&
                   (int)WL_QK_DENSE == (int)WL_OP_DENSE && (int)WL_QK_ADD == (int)WL_OP_ADD,
               "qkernel.h's layer operations follow model.h's wl_op");

/* ---- scales and multipliers -------------------------------------------------------- */

void wl_q_multiplier(double real, int32_t *mult, int *shift)
{
  *mult = 0;
  *shift = 0;
  if (!(real > 0.0))
    return;
  int e;
  double frac = frexp(real, &e);
  int64_t fixed = llround(frac * 2147483648.0);
  if (fixed == ((int64_t)1 << 31)) {
    fixed /= 2;
    e++;
  }
  if (e < -31) {
    e = 0;
    fixed = 0;
  }
  if (e > 30) {
    e = 30;
    fixed = INT32_MAX;
  }
  *mult = (int32_t)fixed;
  *shift = e;
}

float wl_q_scale(float max_abs)
{
  return max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
}

static int32_t clamp_i32(int64_t v, int32_t lo, int32_t hi)
{
  return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

/* llround(v) clamped to the int32 range (clamped first, so llround never overflows). */
static int32_t round_i32(double v)
{
  if (!(v > (double)INT32_MIN))
    return INT32_MIN; /* NaN too */
  if (v >= (double)INT32_MAX)
    return INT32_MAX;
  return (int32_t)llround(v);
}

/* ---- calibration ------------------------------------------------------------------ */

/* Largest |value| seen so far, per tensor or per channel. */
typedef struct maxima {
  const wl_net *net;
  float *layer;    /* per layer output */
  float *channel;  /* per channel of each layer output, at chan_off[layer] */
  size_t chan_off[WL_NET_MAX_LAYERS];
} maxima;

static void see_max_abs(void *ctx, int layer, const float *act, size_t n)
{
  maxima *mx = ctx;
  size_t c = (size_t)mx->net->layers[layer].out_c;
  float *ch = mx->channel ? mx->channel + mx->chan_off[layer] : NULL;
  for (size_t i = 0; i < n; i++) {
    float v = fabsf(act[i]);
    if (v > mx->layer[layer])
      mx->layer[layer] = v;
    if (ch && v > ch[i % c])
      ch[i % c] = v;
  }
}

/* Run net on the calibration inputs recording the maxima (channel ones if asked). */
static int measure(const wl_net *net, const float *calib, int n, maxima *mx, bool channels)
{
  size_t total = 0;
  memset(mx, 0, sizeof *mx);
  mx->net = net;
  for (int i = 0; i < net->n_layers; i++) {
    mx->chan_off[i] = total;
    total += (size_t)net->layers[i].out_c;
  }
  mx->layer = calloc((size_t)net->n_layers + (channels ? total : 0), sizeof(float));
  float *buf = malloc(sizeof(float) * net->out_elems + wl_net_scratch_bytes(net) + 1);
  if (!mx->layer || !buf) {
    free(mx->layer);
    free(buf);
    return WL_ENOMEM;
  }
  mx->channel = channels ? mx->layer + net->n_layers : NULL;
  for (int s = 0; s < n; s++)
    wl_net_run_observed(net, calib + (size_t)s * net->in_elems, buf, buf + net->out_elems,
                        see_max_abs, mx);
  free(buf);
  return WL_OK;
}

/* ---- equalization ------------------------------------------------------------------ */

/* Layers that take layer i's output channels one to one: its readers when all are
 * conv, depthwise or dense layers reading it as their input, a pool's dense readers in
 * place of the pool. Returns their count, or -1 if the output cannot be equalized. */
static int eq_consumers(const wl_net *net, int i, int *out)
{
  int n = 0;
  for (int j = i + 1; j < net->n_layers; j++) {
    const wl_layer_plan *p = &net->layers[j];
    if (p->operand == i)
      return -1;
    if (p->in != i)
      continue;
    if (p->layer.op == WL_OP_ADD)
      return -1;
    if (p->layer.op != WL_OP_AVGPOOL) {
      out[n++] = j;
      continue;
    }
    if (j == net->n_layers - 1)
      return -1;
    for (int k = j + 1; k < net->n_layers; k++) {
      const wl_layer_plan *d = &net->layers[k];
      if (d->operand == j || (d->in == j && d->layer.op != WL_OP_DENSE))
        return -1;
      if (d->in == j)
        out[n++] = k;
    }
  }
  return n;
}

/* Multiply consumer j's weights on input channel c (of `channels`) by r[c]. */
static void scale_input(wl_net *net, int j, const float *r, size_t channels)
{
  const wl_layer_plan *p = &net->layers[j];
  float *w = net->weights + p->w_off;
  size_t outs = p->layer.op == WL_OP_DWCONV ? 1 : (size_t)p->out_c;
  for (size_t k = 0; k < p->w_count; k++)
    w[k] = w[k] * r[(k / outs) % channels];
}

/* Divide layer i's weights and bias of output channel c by r[c] (the channel index
 * moves fastest in every weight layout of model.h). */
static void scale_output(wl_net *net, int i, const float *r)
{
  const wl_layer_plan *p = &net->layers[i];
  float *w = net->weights + p->w_off;
  size_t c = (size_t)p->out_c;
  for (size_t k = 0; k < p->w_count + p->b_count; k++)
    w[k] = w[k] / r[k % c];
}

/* Equalize eq (a copy of the fp32 net) with the channel maxima of the original;
 * r has room for the widest layer output. */
static void equalize(wl_net *eq, const maxima *mx, float *r)
{
  int consumers[WL_NET_MAX_LAYERS];
  for (int i = 0; i < eq->n_layers - 1; i++) {
    const wl_layer_plan *p = &eq->layers[i];
    bool map = p->out_h * p->out_w > 1;
    int n = p->b_count && map ? eq_consumers(eq, i, consumers) : -1;
    float top = mx->layer[i];
    if (n < 1 || !(top > 0.0f))
      continue;
    for (int c = 0; c < p->out_c; c++) {
      float v = mx->channel[mx->chan_off[i] + (size_t)c] / top;
      r[c] = v > WL_Q_EQ_FLOOR ? v : WL_Q_EQ_FLOOR;
    }
    scale_output(eq, i, r);
    for (int k = 0; k < n; k++)
      scale_input(eq, consumers[k], r, (size_t)p->out_c);
  }
}

/* Activation scales from the equalized net's maxima (quant.h). */
static void set_scales(wl_qnet *q, const wl_net *net, const maxima *mx, float in_max)
{
  q->in_scale = wl_q_scale(in_max);
  for (int i = 0; i < net->n_layers; i++) {
    const wl_layer_plan *p = &net->layers[i];
    wl_qlayer *ql = &q->layers[i];
    ql->out_scale = wl_q_scale(mx->layer[i]);
    ql->in_scale = p->in < 0 ? q->in_scale : q->layers[p->in].out_scale;
    ql->act_min = p->layer.relu ? 0 : -128;
  }
}

/* ---- weights and multipliers ------------------------------------------------------- */

/* Per-channel weights, bias and multiplier of layer i from the (equalized) weights. */
static void quantize_layer(wl_qnet *q, const float *weights, int i)
{
  const wl_layer_plan *p = &q->net->layers[i];
  wl_qlayer *ql = &q->layers[i];
  const float *w = weights + p->w_off, *b = w + p->w_count;
  int8_t *wq = q->w + p->w_off;
  size_t outs = p->b_count, per = p->w_count / outs;
  for (size_t oc = 0; oc < outs; oc++) {
    float m = 0.0f;
    for (size_t k = 0; k < per; k++)
      m = fabsf(w[k * outs + oc]) > m ? fabsf(w[k * outs + oc]) : m;
    float sw = wl_q_scale(m);
    for (size_t k = 0; k < per; k++) {
      long v = lroundf(w[k * outs + oc] / sw);
      wq[k * outs + oc] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
    }
    double s_acc = (double)ql->in_scale * (double)sw;
    q->w_scale[ql->c_off + oc] = sw;
    q->bias[ql->c_off + oc] = round_i32((double)b[oc] / s_acc);
    int shift;
    wl_q_multiplier(s_acc / (double)ql->out_scale, &q->mult[ql->c_off + oc], &shift);
    q->shift[ql->c_off + oc] = shift;
  }
}

/* The pool's and the add's multipliers (quant.h). */
static void layer_multipliers(wl_qnet *q, int i)
{
  const wl_layer_plan *p = &q->net->layers[i];
  wl_qlayer *ql = &q->layers[i];
  if (p->layer.op == WL_OP_AVGPOOL) {
    double count = (double)p->in_h * p->in_w;
    wl_q_multiplier((double)ql->in_scale / ((double)ql->out_scale * count), &ql->mult[0],
                    &ql->shift[0]);
  } else if (p->layer.op == WL_OP_ADD) {
    double sa = ql->in_scale, sb = q->layers[p->operand].out_scale;
    double twice = 2.0 * (sa > sb ? sa : sb);
    wl_q_multiplier(sa / twice, &ql->mult[0], &ql->shift[0]);
    wl_q_multiplier(sb / twice, &ql->mult[1], &ql->shift[1]);
    wl_q_multiplier(twice / ((double)(1 << WL_QK_ADD_SHIFT) * ql->out_scale), &ql->mult[2],
                    &ql->shift[2]);
  }
}

/* The kernel's copy of a layer's shapes (qkernel.h). */
static void plan_geometry(wl_qk_layer *l, const wl_layer_plan *p)
{
  l->op = (int32_t)p->layer.op;
  l->kh = p->layer.kh;
  l->kw = p->layer.kw;
  l->sh = p->layer.sh;
  l->sw = p->layer.sw;
  l->in = p->in;
  l->operand = p->operand;
  l->slot = p->slot;
  l->in_h = p->in_h;
  l->in_w = p->in_w;
  l->in_c = p->in_c;
  l->out_h = p->out_h;
  l->out_w = p->out_w;
  l->out_c = p->out_c;
  l->pad_top = p->pad_top;
  l->pad_left = p->pad_left;
  l->w_off = (uint32_t)p->w_off;
  l->b_count = (uint32_t)p->b_count;
}

/* Geometry, channel offsets, accumulator size and int8 bytes moved; returns the channel
 * count. */
static size_t plan_channels(wl_qnet *q)
{
  const wl_net *net = q->net;
  size_t channels = 0, weights = 0;
  q->bytes = 4 * (uint64_t)(net->in_elems + net->out_elems);
  for (int i = 0; i < net->n_layers; i++) {
    const wl_layer_plan *p = &net->layers[i];
    plan_geometry(&q->layers[i], p);
    q->layers[i].c_off = (uint32_t)channels;
    channels += p->b_count;
    weights += p->w_count;
    if (p->b_count > q->max_acc)
      q->max_acc = p->b_count;
    if (i < net->n_layers - 1)
      q->bytes += (1 + (uint64_t)p->readers) * p->out_h * p->out_w * p->out_c;
  }
  q->bytes += weights + 4 * (uint64_t)channels;
  return channels;
}

/* Largest |x| over the calibration inputs. */
static float input_max(const wl_net *net, const float *calib, int n)
{
  float m = 0.0f;
  for (size_t i = 0; i < (size_t)n * net->in_elems; i++)
    m = fabsf(calib[i]) > m ? fabsf(calib[i]) : m;
  return m;
}

/* Equalize a copy of the net, take the activation scales from it and quantize it. */
static int quantize(wl_qnet *q, const float *calib, int n)
{
  const wl_net *net = q->net;
  maxima orig, eqm;
  wl_net eq = *net;
  size_t widest = 1;
  for (int i = 0; i < net->n_layers; i++)
    if ((size_t)net->layers[i].out_c > widest)
      widest = (size_t)net->layers[i].out_c;
  float *r = malloc(sizeof(float) * widest);
  eq.weights = malloc(sizeof(float) * (size_t)net->total.params + 1);
  int rc = eq.weights && r ? measure(net, calib, n, &orig, true) : WL_ENOMEM;
  if (rc != WL_OK)
    goto fail_orig;
  memcpy(eq.weights, net->weights, sizeof(float) * (size_t)net->total.params);
  equalize(&eq, &orig, r);
  rc = measure(&eq, calib, n, &eqm, false);
  if (rc != WL_OK)
    goto fail_eq;
  set_scales(q, &eq, &eqm, input_max(net, calib, n));
  for (int i = 0; i < net->n_layers; i++) {
    if (net->layers[i].b_count)
      quantize_layer(q, eq.weights, i);
    layer_multipliers(q, i);
  }
  free(eqm.layer);
fail_eq:
  free(orig.layer);
fail_orig:
  free(eq.weights);
  free(r);
  return rc;
}

/* Bias correction of the last layer: the mean error of each of its channels over the
 * calibration inputs (and output positions), in accumulator units, comes off its int32
 * biases (quant.h). */
static int correct_bias(wl_qnet *q, const float *calib, int n)
{
  const wl_net *net = q->net;
  int last = net->n_layers - 1;
  const wl_qlayer *ql = &q->layers[last];
  size_t outs = net->out_elems, chans = net->layers[last].b_count;
  if (!chans)
    return WL_OK;
  double *err = calloc(chans, sizeof(double));
  float *buf = malloc(sizeof(float) * 2 * outs + wl_net_scratch_bytes(net) +
                      wl_qnet_scratch_bytes(q) + sizeof(int32_t));
  if (!err || !buf) {
    free(err);
    free(buf);
    return WL_ENOMEM;
  }
  float *ref = buf, *got = buf + outs, *fs = buf + 2 * outs;
  void *qs = (char *)fs + (wl_net_scratch_bytes(net) + 3) / 4 * 4;
  for (int s = 0; s < n; s++) {
    const float *x = calib + (size_t)s * net->in_elems;
    wl_net_run(net, x, ref, fs);
    wl_qnet_run(q, x, got, qs);
    for (size_t k = 0; k < outs; k++)
      err[k % chans] += (double)got[k] - (double)ref[k];
  }
  double count = (double)n * (double)(outs / chans);
  for (size_t c = 0; c < chans; c++) {
    double s_acc = (double)ql->in_scale * (double)q->w_scale[ql->c_off + c];
    int32_t *b = &q->bias[ql->c_off + c];
    *b = clamp_i32((int64_t)*b - round_i32(err[c] / count / s_acc), INT32_MIN, INT32_MAX);
  }
  free(err);
  free(buf);
  return WL_OK;
}

int wl_qnet_init(wl_qnet *q, const wl_net *net, const float *calib, int n)
{
  memset(q, 0, sizeof *q);
  if (n < 1 || !net->weights)
    return WL_EINVAL;
  q->net = net;
  size_t channels = plan_channels(q);
  q->w = calloc((size_t)net->total.params + 1, 1); /* bias slots stay 0 */
  q->bias = malloc(sizeof(int32_t) * (channels + 1));
  q->mult = malloc(sizeof(int32_t) * (channels + 1));
  q->shift = malloc(sizeof(int32_t) * (channels + 1));
  q->w_scale = malloc(sizeof(float) * (channels + 1));
  int rc = q->w && q->bias && q->mult && q->shift && q->w_scale ? WL_OK : WL_ENOMEM;
  if (rc == WL_OK)
    rc = quantize(q, calib, n);
  if (rc == WL_OK)
    rc = correct_bias(q, calib, n);
  if (rc != WL_OK)
    wl_qnet_destroy(q);
  return rc;
}

void wl_qnet_destroy(wl_qnet *q)
{
  if (!q)
    return;
  free(q->w);
  free(q->bias);
  free(q->mult);
  free(q->shift);
  free(q->w_scale);
  q->w = NULL;
  q->bias = q->mult = q->shift = NULL;
  q->w_scale = NULL;
}

void wl_qnet_model(const wl_qnet *q, wl_qk_model *m)
{
  const wl_net *net = q->net;
  m->n_layers = net->n_layers;
  m->layers = q->layers;
  m->in_elems = (uint32_t)net->in_elems;
  m->out_elems = (uint32_t)net->out_elems;
  m->max_act = (uint32_t)net->max_act;
  m->n_slots = (uint32_t)net->n_slots;
  m->max_acc = (uint32_t)q->max_acc;
  m->in_scale = q->in_scale;
  m->w = q->w;
  m->bias = q->bias;
  m->mult = q->mult;
  m->shift = q->shift;
  m->w_scale = q->w_scale;
}

size_t wl_qnet_scratch_bytes(const wl_qnet *q)
{
  wl_qk_model m;
  wl_qnet_model(q, &m);
  return wl_qk_scratch_bytes(&m);
}

void wl_qnet_run(const wl_qnet *q, const float *in, float *out, void *scratch)
{
  wl_qk_model m;
  wl_qnet_model(q, &m);
  wl_qk_run(&m, in, out, scratch);
}
