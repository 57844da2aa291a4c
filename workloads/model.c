/*
 * workloads/model.c - the layer-list engine: shape and count planning, deterministic
 * weights, and the fp32 reference interpreter (NHWC, plain loops; see model.h for the
 * layout, padding, counting and weight conventions).
 */
#include "workloads/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/rng.h"
#include "workloads/workload.h"

#define WL_BIAS_SCALE 0.1f

int wl_same_pad(int in, int k, int stride, int *out, int *pad_before)
{
  if (in < 1 || k < 1 || stride < 1)
    return WL_EINVAL;
  int o = (in + stride - 1) / stride;
  int total = (o - 1) * stride + k - in;
  *out = o;
  *pad_before = total > 0 ? total / 2 : 0;
  return WL_OK;
}

/* Output shape, padding and weight counts of one layer on p's input shape. */
static int plan_shape(wl_layer_plan *p)
{
  const wl_layer *l = &p->layer;
  switch (l->op) {
  case WL_OP_CONV:
  case WL_OP_DWCONV:
    if (wl_same_pad(p->in_h, l->kh, l->sh, &p->out_h, &p->pad_top) != WL_OK ||
        wl_same_pad(p->in_w, l->kw, l->sw, &p->out_w, &p->pad_left) != WL_OK)
      return WL_EINVAL;
    p->out_c = l->op == WL_OP_CONV ? l->out_c : p->in_c;
    p->w_count = (size_t)l->kh * l->kw * (l->op == WL_OP_CONV ? p->in_c : 1) * p->out_c;
    p->b_count = (size_t)p->out_c;
    break;
  case WL_OP_AVGPOOL:
    p->out_h = p->out_w = 1;
    p->out_c = p->in_c;
    break;
  case WL_OP_DENSE:
    p->out_h = p->out_w = 1;
    p->out_c = l->out_c;
    p->w_count = (size_t)p->in_h * p->in_w * p->in_c * p->out_c;
    p->b_count = (size_t)p->out_c;
    break;
  default:
    return WL_EINVAL;
  }
  return p->out_c > 0 ? WL_OK : WL_EINVAL;
}

static uint64_t plan_in_elems(const wl_layer_plan *p)
{
  return (uint64_t)p->in_h * p->in_w * p->in_c;
}

static uint64_t plan_out_elems(const wl_layer_plan *p)
{
  return (uint64_t)p->out_h * p->out_w * p->out_c;
}

/* params, MACs and FLOPs of one planned layer (conventions in model.h). */
static void plan_counts(wl_layer_plan *p)
{
  const wl_layer *l = &p->layer;
  uint64_t outs = plan_out_elems(p);
  uint64_t macs = 0;
  if (l->op == WL_OP_CONV)
    macs = outs * (uint64_t)l->kh * l->kw * p->in_c;
  else if (l->op == WL_OP_DWCONV)
    macs = outs * (uint64_t)l->kh * l->kw;
  else if (l->op == WL_OP_DENSE)
    macs = plan_in_elems(p) * (uint64_t)p->out_c;
  p->counts.params = p->w_count + p->b_count;
  p->counts.macs = macs;
  p->counts.flops = 2 * macs + (p->b_count ? outs : 0) + (l->relu ? outs : 0);
  if (l->op == WL_OP_AVGPOOL)
    p->counts.flops += plan_in_elems(p) + outs;
}

/* Add one layer's counts to the total; intermediates cost a write and a read. */
static void add_counts(wl_net *net, const wl_layer_plan *p, bool last)
{
  net->total.params += p->counts.params;
  net->total.macs += p->counts.macs;
  net->total.flops += p->counts.flops;
  if (!last)
    net->total.bytes += 2 * sizeof(float) * plan_out_elems(p);
}

int wl_net_plan(wl_net *net, int h, int w, int c, const wl_layer *layers, int n)
{
  memset(net, 0, sizeof *net);
  if (n < 1 || n > WL_NET_MAX_LAYERS || h < 1 || w < 1 || c < 1)
    return WL_EINVAL;
  net->n_layers = n;
  size_t off = 0;
  for (int i = 0; i < n; i++) {
    wl_layer_plan *p = &net->layers[i];
    const wl_layer_plan *prev = i ? &net->layers[i - 1] : NULL;
    p->layer = layers[i];
    p->in_h = prev ? prev->out_h : h;
    p->in_w = prev ? prev->out_w : w;
    p->in_c = prev ? prev->out_c : c;
    if (plan_shape(p) != WL_OK)
      return WL_EINVAL;
    p->w_off = off;
    off += p->w_count + p->b_count;
    plan_counts(p);
    add_counts(net, p, i == n - 1);
    if (i < n - 1 && plan_out_elems(p) > net->max_act)
      net->max_act = (size_t)plan_out_elems(p);
  }
  net->in_elems = (size_t)plan_in_elems(&net->layers[0]);
  net->out_elems = (size_t)plan_out_elems(&net->layers[n - 1]);
  net->total.bytes += sizeof(float) * (net->total.params + net->in_elems + net->out_elems);
  return WL_OK;
}

static int fan_in(const wl_layer_plan *p)
{
  switch (p->layer.op) {
  case WL_OP_CONV:
    return p->layer.kh * p->layer.kw * p->in_c;
  case WL_OP_DWCONV:
    return p->layer.kh * p->layer.kw;
  default:
    return p->in_h * p->in_w * p->in_c;
  }
}

/* Weights then biases of layer i, drawn as model.h specifies. */
static void fill_layer(const wl_net *net, int i, uint64_t weight_seed)
{
  const wl_layer_plan *p = &net->layers[i];
  if (p->w_count == 0)
    return;
  wl_rng r;
  wl_rng_seed(&r, wl_rng_derive(weight_seed, (uint64_t)i));
  float *w = net->weights + p->w_off;
  wl_rng_fill_f32(&r, w, p->w_count, (float)sqrt(6.0 / fan_in(p)));
  wl_rng_fill_f32(&r, w + p->w_count, p->b_count, WL_BIAS_SCALE);
}

int wl_net_init(wl_net *net, int h, int w, int c, const wl_layer *layers, int n,
                uint64_t weight_seed)
{
  int rc = wl_net_plan(net, h, w, c, layers, n);
  if (rc != WL_OK)
    return rc;
  net->weights = malloc(sizeof(float) * (size_t)net->total.params);
  if (!net->weights)
    return WL_ENOMEM;
  for (int i = 0; i < n; i++)
    fill_layer(net, i, weight_seed);
  return WL_OK;
}

void wl_net_destroy(wl_net *net)
{
  if (!net)
    return;
  free(net->weights);
  net->weights = NULL;
}

size_t wl_net_scratch_bytes(const wl_net *net)
{
  return 2 * sizeof(float) * net->max_act;
}

/* ---- kernels ------------------------------------------------------------------- */

/*
 * The kernels work on blocks of WL_BLOCK outputs with a fixed-size inner loop, which
 * gcc -O2 turns into SIMD code; a scalar loop finishes the remainder. Every output is
 * summed in the same order either way (bias, then taps in order, then inputs in order).
 */
#define WL_BLOCK 8

/* o[j] += sum_i x[i] * w[i * n_out + j]: one kernel tap of a conv, or a dense layer. */
static void dense_accum(float *restrict o, const float *restrict x,
                        const float *restrict w, int n_in, int n_out)
{
  int j = 0;
  for (; j + WL_BLOCK <= n_out; j += WL_BLOCK) {
    float acc[WL_BLOCK];
    for (int k = 0; k < WL_BLOCK; k++)
      acc[k] = o[j + k];
    for (int i = 0; i < n_in; i++)
      for (int k = 0; k < WL_BLOCK; k++)
        acc[k] += x[i] * w[(size_t)i * n_out + j + k];
    for (int k = 0; k < WL_BLOCK; k++)
      o[j + k] = acc[k];
  }
  for (; j < n_out; j++) {
    float acc = o[j];
    for (int i = 0; i < n_in; i++)
      acc += x[i] * w[(size_t)i * n_out + j];
    o[j] = acc;
  }
}

/* o[c] += x[c] * w[c]: one kernel tap of a depthwise conv. */
static void depth_accum(float *restrict o, const float *restrict x,
                        const float *restrict w, int n_in, int n_out)
{
  int c = 0;
  for (; c + WL_BLOCK <= n_out; c += WL_BLOCK)
    for (int k = 0; k < WL_BLOCK; k++)
      o[c + k] += x[c + k] * w[c + k];
  for (; c < n_out; c++)
    o[c] += x[c] * w[c];
}

static float relu1(float v)
{
  return v > 0.0f ? v : 0.0f;
}

static void relu(float *o, size_t n)
{
  size_t i = 0;
  for (; i + WL_BLOCK <= n; i += WL_BLOCK)
    for (int k = 0; k < WL_BLOCK; k++)
      o[i + k] = relu1(o[i + k]);
  for (; i < n; i++)
    o[i] = relu1(o[i]);
}

typedef void (*tap_fn)(float *restrict o, const float *restrict x,
                       const float *restrict w, int n_in, int n_out);

/* One output pixel of a conv or depthwise conv: bias, then every in-bounds tap. */
static void conv_pixel(const wl_layer_plan *p, const float *restrict w,
                       const float *restrict in, float *restrict o, int oy, int ox,
                       tap_fn tap, int w_per_tap)
{
  const wl_layer *l = &p->layer;
  memcpy(o, w + p->w_count, sizeof(float) * (size_t)p->out_c);
  for (int ky = 0; ky < l->kh; ky++) {
    int iy = oy * l->sh - p->pad_top + ky;
    if (iy < 0 || iy >= p->in_h)
      continue;
    for (int kx = 0; kx < l->kw; kx++) {
      int ix = ox * l->sw - p->pad_left + kx;
      if (ix < 0 || ix >= p->in_w)
        continue;
      const float *x = in + ((size_t)iy * p->in_w + ix) * p->in_c;
      tap(o, x, w + (size_t)(ky * l->kw + kx) * w_per_tap, p->in_c, p->out_c);
    }
  }
}

static void run_conv(const wl_layer_plan *p, const float *w, const float *in, float *out)
{
  bool depthwise = p->layer.op == WL_OP_DWCONV;
  tap_fn tap = depthwise ? depth_accum : dense_accum;
  int w_per_tap = depthwise ? p->out_c : p->in_c * p->out_c;
  for (int oy = 0; oy < p->out_h; oy++)
    for (int ox = 0; ox < p->out_w; ox++)
      conv_pixel(p, w, in, out + ((size_t)oy * p->out_w + ox) * p->out_c, oy, ox, tap,
                 w_per_tap);
}

static void run_avgpool(const wl_layer_plan *p, const float *restrict in,
                        float *restrict out)
{
  int hw = p->in_h * p->in_w, c = p->in_c;
  memset(out, 0, sizeof(float) * (size_t)c);
  for (int i = 0; i < hw; i++)
    for (int j = 0; j < c; j++)
      out[j] += in[(size_t)i * c + j];
  float inv = 1.0f / (float)hw;
  for (int j = 0; j < c; j++)
    out[j] *= inv;
}

static void run_dense(const wl_layer_plan *p, const float *w, const float *in, float *out)
{
  memcpy(out, w + p->w_count, sizeof(float) * (size_t)p->out_c);
  dense_accum(out, in, w, (int)plan_in_elems(p), p->out_c);
}

static void run_layer(const wl_net *net, const wl_layer_plan *p, const float *in,
                      float *out)
{
  const float *w = net->weights + p->w_off;
  switch (p->layer.op) {
  case WL_OP_CONV:
  case WL_OP_DWCONV:
    run_conv(p, w, in, out);
    break;
  case WL_OP_AVGPOOL:
    run_avgpool(p, in, out);
    break;
  case WL_OP_DENSE:
    run_dense(p, w, in, out);
    break;
  }
  if (p->layer.relu)
    relu(out, (size_t)plan_out_elems(p));
}

void wl_net_run(const wl_net *net, const float *in, float *out, void *scratch)
{
  float *buf[2] = {scratch, (float *)scratch + net->max_act};
  const float *src = in;
  for (int i = 0; i < net->n_layers; i++) {
    float *dst = i == net->n_layers - 1 ? out : buf[i & 1];
    run_layer(net, &net->layers[i], src, dst);
    src = dst;
  }
}

int wl_net_center_logits(wl_net *net, const float *inputs, int n)
{
  const wl_layer_plan *last = &net->layers[net->n_layers - 1];
  if (n < 1 || !net->weights || last->layer.op != WL_OP_DENSE || last->layer.relu)
    return WL_EINVAL;
  size_t outs = net->out_elems;
  float *sum = calloc(2 * outs + 2 * net->max_act, sizeof(float));
  if (!sum)
    return WL_ENOMEM;
  float *bias = net->weights + last->w_off + last->w_count;
  float *logits = sum + outs;
  memset(bias, 0, sizeof(float) * outs);
  for (int s = 0; s < n; s++) {
    wl_net_run(net, inputs + (size_t)s * net->in_elems, logits, logits + outs);
    for (size_t k = 0; k < outs; k++)
      sum[k] += logits[k];
  }
  for (size_t k = 0; k < outs; k++)
    bias[k] = -(sum[k] / (float)n);
  free(sum);
  return WL_OK;
}
