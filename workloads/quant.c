/*
 * workloads/quant.c - int8 inference of a layer-list model: the gemmlowp/TFLite
 * fixed-point primitives, calibration and weight quantization at open time, and the
 * int8 interpreter (plain loops; the arithmetic is specified in quant.h).
 */
#include "workloads/quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/workload.h"

#define WL_Q_ADD_SHIFT 20     /* TFLite's left shift for int8 ADD */
#define WL_Q_EQ_FLOOR 0.5f    /* smallest equalization factor (quant.h) */

/* ---- fixed-point primitives ------------------------------------------------------ */

/* The primitives as inline functions for the kernels; the wl_q_* calls wrap them. */
static inline int32_t q_srdhm(int32_t a, int32_t b)
{
  if (a == INT32_MIN && b == INT32_MIN)
    return INT32_MAX;
  int64_t ab = (int64_t)a * b;
  int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static inline int32_t q_rdivpot(int32_t x, int exponent)
{
  int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t q_mul(int32_t x, int32_t mult, int shift)
{
  int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  int64_t shifted = (int64_t)x * ((int64_t)1 << left);
  if (shifted > INT32_MAX)
    shifted = INT32_MAX;
  if (shifted < INT32_MIN)
    shifted = INT32_MIN;
  return q_rdivpot(q_srdhm((int32_t)shifted, mult), right);
}

int32_t wl_q_srdhm(int32_t a, int32_t b)
{
  return q_srdhm(a, b);
}

int32_t wl_q_rdivpot(int32_t x, int exponent)
{
  return q_rdivpot(x, exponent);
}

int32_t wl_q_mul(int32_t x, int32_t mult, int shift)
{
  return q_mul(x, mult, shift);
}

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
    wl_q_multiplier(twice / ((double)(1 << WL_Q_ADD_SHIFT) * ql->out_scale), &ql->mult[2],
                    &ql->shift[2]);
  }
}

/* Channel offsets, accumulator size and int8 bytes moved; returns the channel count. */
static size_t plan_channels(wl_qnet *q)
{
  const wl_net *net = q->net;
  size_t channels = 0, weights = 0;
  q->bytes = 4 * (uint64_t)(net->in_elems + net->out_elems);
  for (int i = 0; i < net->n_layers; i++) {
    const wl_layer_plan *p = &net->layers[i];
    q->layers[i].c_off = channels;
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
  q->w = malloc((size_t)net->total.params + 1);
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

size_t wl_qnet_scratch_bytes(const wl_qnet *q)
{
  const wl_net *net = q->net;
  return sizeof(int32_t) * q->max_acc + net->in_elems + net->out_elems +
         (size_t)net->n_slots * net->max_act;
}

/* ---- int8 kernels ----------------------------------------------------------------- */

/*
 * The kernels work on blocks of WL_Q_BLOCK channels with a fixed-size inner loop, which
 * gcc -O2 turns into SIMD code (as model.c's fp32 kernels do); a scalar loop finishes
 * the remainder. Integer sums are exact, so the order does not matter.
 */
#define WL_Q_BLOCK 16

/* acc[j] += sum_i x[i] * w[i * n_out + j]: one tap of a conv, or a dense layer. */
static void q_dense_accum(int32_t *restrict acc, const int8_t *restrict x,
                          const int8_t *restrict w, int n_in, int n_out)
{
  int j = 0;
  for (; j + WL_Q_BLOCK <= n_out; j += WL_Q_BLOCK) {
    int32_t a[WL_Q_BLOCK];
    for (int k = 0; k < WL_Q_BLOCK; k++)
      a[k] = acc[j + k];
    for (int i = 0; i < n_in; i++) {
      int16_t xi = x[i];
      const int8_t *wi = w + (size_t)i * n_out + j;
      for (int k = 0; k < WL_Q_BLOCK; k++)
        a[k] += (int32_t)(int16_t)(xi * wi[k]);
    }
    for (int k = 0; k < WL_Q_BLOCK; k++)
      acc[j + k] = a[k];
  }
  for (; j < n_out; j++) {
    int32_t a = acc[j];
    for (int i = 0; i < n_in; i++)
      a += (int32_t)x[i] * w[(size_t)i * n_out + j];
    acc[j] = a;
  }
}

/* acc[c] += x[c] * w[c]: one tap of a depthwise conv. */
static void q_depth_accum(int32_t *restrict acc, const int8_t *restrict x,
                          const int8_t *restrict w, int n_in, int n_out)
{
  int c = 0;
  for (; c + WL_Q_BLOCK <= n_out; c += WL_Q_BLOCK)
    for (int k = 0; k < WL_Q_BLOCK; k++)
      acc[c + k] += (int32_t)(int16_t)(x[c + k] * w[c + k]);
  for (; c < n_out; c++)
    acc[c] += (int32_t)x[c] * w[c];
}

/* Where a conv, depthwise or dense layer writes: int8 (requantized), or for the last
 * layer floats (its accumulators dequantized). */
typedef struct q_dst {
  int8_t *q;
  float *f;
} q_dst;

/* The layer's n channels at pixel offset `at` of dst: requantized,
 * clamp(q_mul(acc[c], mult[c], shift[c])), or dequantized, acc[c] * (s_in * s_w[c]). */
static void requantize(const wl_qnet *q, const wl_qlayer *ql, const int32_t *acc,
                       q_dst dst, size_t at, int n)
{
  const int32_t *mult = q->mult + ql->c_off, *shift = q->shift + ql->c_off;
  if (dst.f) {
    const float *sw = q->w_scale + ql->c_off;
    for (int c = 0; c < n; c++)
      dst.f[at + (size_t)c] = (float)acc[c] * (ql->in_scale * sw[c]);
    return;
  }
  for (int c = 0; c < n; c++)
    dst.q[at + (size_t)c] =
        (int8_t)clamp_i32(q_mul(acc[c], mult[c], (int)shift[c]), ql->act_min, 127);
}

typedef void (*q_tap_fn)(int32_t *restrict acc, const int8_t *restrict x,
                         const int8_t *restrict w, int n_in, int n_out);

static void q_run_conv(const wl_qnet *q, int i, const int8_t *in, q_dst out,
                       int32_t *acc)
{
  const wl_layer_plan *p = &q->net->layers[i];
  const wl_layer *l = &p->layer;
  const wl_qlayer *ql = &q->layers[i];
  const int8_t *w = q->w + p->w_off;
  bool depthwise = l->op == WL_OP_DWCONV;
  q_tap_fn tap = depthwise ? q_depth_accum : q_dense_accum;
  size_t w_per_tap = depthwise ? (size_t)p->out_c : (size_t)p->in_c * p->out_c;
  for (int oy = 0; oy < p->out_h; oy++)
    for (int ox = 0; ox < p->out_w; ox++) {
      memcpy(acc, q->bias + ql->c_off, sizeof(int32_t) * (size_t)p->out_c);
      for (int ky = 0; ky < l->kh; ky++) {
        int iy = oy * l->sh - p->pad_top + ky;
        if (iy < 0 || iy >= p->in_h)
          continue;
        for (int kx = 0; kx < l->kw; kx++) {
          int ix = ox * l->sw - p->pad_left + kx;
          if (ix < 0 || ix >= p->in_w)
            continue;
          tap(acc, in + ((size_t)iy * p->in_w + ix) * p->in_c,
              w + (size_t)(ky * l->kw + kx) * w_per_tap, p->in_c, p->out_c);
        }
      }
      requantize(q, ql, acc, out, ((size_t)oy * p->out_w + ox) * p->out_c, p->out_c);
    }
}

static void q_run_dense(const wl_qnet *q, int i, const int8_t *in, q_dst out,
                        int32_t *acc)
{
  const wl_layer_plan *p = &q->net->layers[i];
  const wl_qlayer *ql = &q->layers[i];
  memcpy(acc, q->bias + ql->c_off, sizeof(int32_t) * (size_t)p->out_c);
  q_dense_accum(acc, in, q->w + p->w_off, p->in_h * p->in_w * p->in_c, p->out_c);
  requantize(q, ql, acc, out, 0, p->out_c);
}

static void q_run_pool(const wl_qnet *q, int i, const int8_t *in, int8_t *out,
                       int32_t *acc)
{
  const wl_layer_plan *p = &q->net->layers[i];
  const wl_qlayer *ql = &q->layers[i];
  int hw = p->in_h * p->in_w, c = p->in_c;
  memset(acc, 0, sizeof(int32_t) * (size_t)c);
  for (int k = 0; k < hw; k++)
    for (int j = 0; j < c; j++)
      acc[j] += in[(size_t)k * c + j];
  for (int j = 0; j < c; j++)
    out[j] = (int8_t)clamp_i32(q_mul(acc[j], ql->mult[0], ql->shift[0]), ql->act_min, 127);
}

static void q_run_add(const wl_qnet *q, int i, const int8_t *a, const int8_t *b,
                      int8_t *out)
{
  const wl_layer_plan *p = &q->net->layers[i];
  const wl_qlayer *ql = &q->layers[i];
  size_t n = (size_t)p->out_h * p->out_w * p->out_c;
  for (size_t k = 0; k < n; k++) {
    int32_t sa = q_mul((int32_t)a[k] * (1 << WL_Q_ADD_SHIFT), ql->mult[0], ql->shift[0]);
    int32_t sb = q_mul((int32_t)b[k] * (1 << WL_Q_ADD_SHIFT), ql->mult[1], ql->shift[1]);
    out[k] = (int8_t)clamp_i32(q_mul(sa + sb, ql->mult[2], ql->shift[2]), ql->act_min, 127);
  }
}

/* ---- the interpreter ---------------------------------------------------------------- */

/* The scratch, in wl_qnet_scratch_bytes() order. */
typedef struct q_bufs {
  int32_t *acc;   /* max_acc accumulators */
  int8_t *input;  /* the quantized net input */
  int8_t *last;   /* the last layer's int8 output, before dequantization */
  int8_t *slots;  /* n_slots x max_act */
} q_bufs;

static const int8_t *q_act(const wl_qnet *q, const q_bufs *b, int j)
{
  return j < 0 ? b->input : b->slots + (size_t)q->net->layers[j].slot * q->net->max_act;
}

/* q = lroundf(x / s_in) clamped to [-128, 127]; the quotient is clamped first, so huge
 * inputs saturate, and NaN gives 0. */
static void q_quantize_input(const wl_qnet *q, const float *in, int8_t *x)
{
  for (size_t k = 0; k < q->net->in_elems; k++) {
    float v = in[k] / q->in_scale;
    x[k] = isnan(v) ? 0 : v >= 127.0f ? 127 : v <= -128.0f ? -128 : (int8_t)lroundf(v);
  }
}

void wl_qnet_run(const wl_qnet *q, const float *in, float *out, void *scratch)
{
  const wl_net *net = q->net;
  int last = net->n_layers - 1;
  q_bufs b = {scratch, (int8_t *)((int32_t *)scratch + q->max_acc), NULL, NULL};
  b.last = b.input + net->in_elems;
  b.slots = b.last + net->out_elems;
  q_quantize_input(q, in, b.input);
  for (int i = 0; i <= last; i++) {
    const wl_layer_plan *p = &net->layers[i];
    int8_t *dst = i == last ? b.last : b.slots + (size_t)p->slot * net->max_act;
    q_dst to = {dst, i == last ? out : NULL};
    const int8_t *x = q_act(q, &b, p->in);
    switch (p->layer.op) {
    case WL_OP_CONV:
    case WL_OP_DWCONV:
      q_run_conv(q, i, x, to, b.acc);
      break;
    case WL_OP_DENSE:
      q_run_dense(q, i, x, to, b.acc);
      break;
    case WL_OP_AVGPOOL:
      q_run_pool(q, i, x, dst, b.acc);
      break;
    case WL_OP_ADD:
      q_run_add(q, i, x, q_act(q, &b, p->operand), dst);
      break;
    }
  }
  if (net->layers[last].b_count)
    return; /* the accumulators went out dequantized */
  float s = q->layers[last].out_scale;
  for (size_t k = 0; k < net->out_elems; k++)
    out[k] = (float)b.last[k] * s;
}
