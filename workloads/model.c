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

/* Where layer i reads its input (and, for an add, its operand) from; checks that both
 * are earlier layers and that only an add names an operand. */
static int plan_graph(wl_layer_plan *p, int i)
{
  const wl_layer *l = &p->layer;
  p->in = l->src > 0 ? l->src - 1 : i - 1;
  p->operand = -1;
  if (l->src < 0 || p->in >= i)
    return WL_EINVAL;
  if (l->op == WL_OP_ADD) {
    p->operand = l->add - 1;
    return l->add >= 1 && p->operand < i ? WL_OK : WL_EINVAL;
  }
  return l->add == 0 ? WL_OK : WL_EINVAL;
}

/* Output shape, padding and weight counts of one layer on p's input shape; an add's
 * operand `with` must have that shape too. */
static int plan_shape(wl_layer_plan *p, const wl_layer_plan *with)
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
  case WL_OP_ADD:
    if (with->out_h != p->in_h || with->out_w != p->in_w || with->out_c != p->in_c)
      return WL_EINVAL;
    p->out_h = p->in_h;
    p->out_w = p->in_w;
    p->out_c = p->in_c;
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
  if (l->op == WL_OP_ADD)
    p->counts.flops += outs;
}

/* Plan layer i: its input, shapes and counts. */
static int plan_layer(wl_net *net, int i, int h, int w, int c)
{
  wl_layer_plan *p = &net->layers[i];
  if (plan_graph(p, i) != WL_OK)
    return WL_EINVAL;
  const wl_layer_plan *from = p->in >= 0 ? &net->layers[p->in] : NULL;
  p->in_h = from ? from->out_h : h;
  p->in_w = from ? from->out_w : w;
  p->in_c = from ? from->out_c : c;
  if (plan_shape(p, p->operand >= 0 ? &net->layers[p->operand] : NULL) != WL_OK)
    return WL_EINVAL;
  plan_counts(p);
  if (p->in >= 0)
    net->layers[p->in].readers++;
  if (p->operand >= 0)
    net->layers[p->operand].readers++;
  return WL_OK;
}

/*
 * Give every output but the last the lowest slot whose current output no layer from i
 * on still reads (model.h); count the slots. WL_EINVAL if an output has no reader.
 */
static int plan_slots(wl_net *net)
{
  int n = net->n_layers, last_use[WL_NET_MAX_LAYERS], owner[WL_NET_MAX_LAYERS];
  for (int i = 0; i < n; i++) {
    const wl_layer_plan *p = &net->layers[i];
    last_use[i] = -1;
    owner[i] = -1;
    if (p->in >= 0)
      last_use[p->in] = i;
    if (p->operand >= 0 && i > last_use[p->operand])
      last_use[p->operand] = i;
  }
  for (int i = 0; i < n - 1; i++) {
    if (net->layers[i].readers == 0)
      return WL_EINVAL;
    int s = 0;
    while (owner[s] >= 0 && last_use[owner[s]] >= i)
      s++;
    owner[s] = i;
    net->layers[i].slot = s;
    if (s + 1 > net->n_slots)
      net->n_slots = s + 1;
  }
  net->layers[n - 1].slot = -1;
  return WL_OK;
}

/* Whole-model counts: params, MACs, FLOPs; bytes as model.h defines them. */
static void plan_totals(wl_net *net)
{
  int n = net->n_layers;
  for (int i = 0; i < n; i++) {
    const wl_layer_plan *p = &net->layers[i];
    uint64_t outs = plan_out_elems(p);
    net->total.params += p->counts.params;
    net->total.macs += p->counts.macs;
    net->total.flops += p->counts.flops;
    if (i < n - 1) {
      net->total.bytes += sizeof(float) * (1 + (uint64_t)p->readers) * outs;
      if (outs > net->max_act)
        net->max_act = (size_t)outs;
    }
  }
  net->in_elems = (size_t)plan_in_elems(&net->layers[0]);
  net->out_elems = (size_t)plan_out_elems(&net->layers[n - 1]);
  net->total.bytes += sizeof(float) * (net->total.params + net->in_elems + net->out_elems);
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
    p->layer = layers[i];
    if (plan_layer(net, i, h, w, c) != WL_OK)
      return WL_EINVAL;
    p->w_off = off;
    off += p->w_count + p->b_count;
  }
  if (plan_slots(net) != WL_OK)
    return WL_EINVAL;
  plan_totals(net);
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
  return sizeof(float) * (size_t)net->n_slots * net->max_act;
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

/* out = x + y, element by element (a residual join). */
static void run_add(const wl_layer_plan *p, const float *restrict x,
                    const float *restrict y, float *restrict out)
{
  size_t n = (size_t)plan_out_elems(p);
  for (size_t i = 0; i < n; i++)
    out[i] = x[i] + y[i];
}

static void run_layer(const wl_net *net, const wl_layer_plan *p, const float *in,
                      const float *operand, float *out)
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
  case WL_OP_ADD:
    run_add(p, in, operand, out);
    break;
  }
  if (p->layer.relu)
    relu(out, (size_t)plan_out_elems(p));
}

/* Layer j's output in the scratch slots; the net input for j = -1. */
static const float *act_at(const wl_net *net, float *slots, const float *in, int j)
{
  return j < 0 ? in : slots + (size_t)net->layers[j].slot * net->max_act;
}

void wl_net_run_observed(const wl_net *net, const float *in, float *out, void *scratch,
                         wl_net_observer seen, void *ctx)
{
  float *slots = scratch;
  for (int i = 0; i < net->n_layers; i++) {
    const wl_layer_plan *p = &net->layers[i];
    float *dst = p->slot < 0 ? out : slots + (size_t)p->slot * net->max_act;
    const float *operand = p->operand >= 0 ? act_at(net, slots, in, p->operand) : NULL;
    run_layer(net, p, act_at(net, slots, in, p->in), operand, dst);
    if (seen)
      seen(ctx, i, dst, (size_t)plan_out_elems(p));
  }
}

void wl_net_run(const wl_net *net, const float *in, float *out, void *scratch)
{
  wl_net_run_observed(net, in, out, scratch, NULL, NULL);
}

int wl_net_center_logits(wl_net *net, const float *inputs, int n)
{
  const wl_layer_plan *last = &net->layers[net->n_layers - 1];
  if (n < 1 || !net->weights || last->layer.op != WL_OP_DENSE || last->layer.relu)
    return WL_EINVAL;
  size_t outs = net->out_elems;
  float *sum = calloc(2 * outs + (size_t)net->n_slots * net->max_act, sizeof(float));
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

/* Keeps the last layer's input of each calibration input (prototype head). */
typedef struct head_features {
  int layer;    /* the layer whose output feeds the head */
  size_t n;     /* features per input */
  float *f;     /* where the current input's features go */
} head_features;

static void see_head_input(void *ctx, int layer, const float *act, size_t n)
{
  head_features *h = ctx;
  if (layer == h->layer)
    memcpy(h->f, act, sizeof(float) * n);
}

/* The input of the last layer for each of the n inputs: n x feat floats in f. */
static void head_inputs(const wl_net *net, const float *inputs, int n, float *f,
                        void *scratch, float *out)
{
  const wl_layer_plan *last = &net->layers[net->n_layers - 1];
  head_features h = {last->in, (size_t)plan_in_elems(last), f};
  for (int s = 0; s < n; s++, h.f += h.n)
    wl_net_run_observed(net, inputs + (size_t)s * net->in_elems, out, scratch,
                        see_head_input, &h);
}

int wl_net_prototype_head(wl_net *net, const float *inputs, int n)
{
  const wl_layer_plan *last = &net->layers[net->n_layers - 1];
  int classes = last->out_c;
  if (!net->weights || last->layer.op != WL_OP_DENSE || last->layer.relu || n < classes ||
      last->in < 0)
    return WL_EINVAL;
  size_t feat = (size_t)plan_in_elems(last);
  float *f = malloc(sizeof(float) * ((size_t)n * feat + net->out_elems) +
                    wl_net_scratch_bytes(net));
  double *mean = calloc(feat, sizeof(double));
  if (!f || !mean) {
    free(f);
    free(mean);
    return WL_ENOMEM;
  }
  float *out = f + (size_t)n * feat;
  head_inputs(net, inputs, n, f, out + net->out_elems, out);
  for (int s = 0; s < n; s++)
    for (size_t j = 0; j < feat; j++)
      mean[j] += f[(size_t)s * feat + j];
  for (size_t j = 0; j < feat; j++)
    mean[j] /= n;
  float *w = net->weights + last->w_off;
  for (int k = 0; k < classes; k++) {
    const float *fk = f + (size_t)k * feat;
    double norm2 = 0.0;
    for (size_t j = 0; j < feat; j++)
      norm2 += (fk[j] - mean[j]) * (fk[j] - mean[j]);
    double gain = norm2 > 0.0 ? sqrt(2.0 / norm2) : 0.0;
    for (size_t j = 0; j < feat; j++)
      w[j * (size_t)classes + (size_t)k] = (float)((fk[j] - mean[j]) * gain);
  }
  free(f);
  free(mean);
  return WL_OK;
}
