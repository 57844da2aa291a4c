/*
 * workloads/qkernel.c - the int8 inference kernel (qkernel.h): the gemmlowp/TFLite
 * fixed-point primitives and the layer interpreter over a wl_qk_model. Freestanding
 * (stdint, stddef, string.h only; no allocation, no libm, no globals): the host library
 * and the Cortex-M firmware compile this same file.
 */
#include "workloads/qkernel.h"

#include <string.h>



/* ---- fixed-point primitives (semantics in quant.h) --------------------------------- */

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

static inline int8_t q_clamp8(int32_t v, int32_t lo)
{
  return (int8_t)(v < lo ? lo : v > 127 ? 127 : v);
}

/* ---- int8 kernels ----------------------------------------------------------------- */

/*
 * The kernels work on blocks of WL_Q_BLOCK channels with a fixed-size inner loop, which
 * gcc -O2 turns into SIMD code on the host (as model.c's fp32 kernels do); a scalar loop
 * finishes the remainder. Integer sums are exact, so the order does not matter.
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
static void requantize(const wl_qk_model *m, const wl_qk_layer *l, const int32_t *acc,
                       q_dst dst, size_t at, int n)
{
  const int32_t *mult = m->mult + l->c_off, *shift = m->shift + l->c_off;
  if (dst.f) {
    const float *sw = m->w_scale + l->c_off;
    for (int c = 0; c < n; c++)
      dst.f[at + (size_t)c] = (float)acc[c] * (l->in_scale * sw[c]);
    return;
  }
  for (int c = 0; c < n; c++)
    dst.q[at + (size_t)c] = q_clamp8(q_mul(acc[c], mult[c], (int)shift[c]), l->act_min);
}

typedef void (*q_tap_fn)(int32_t *restrict acc, const int8_t *restrict x,
                         const int8_t *restrict w, int n_in, int n_out);

static void q_run_conv(const wl_qk_model *m, const wl_qk_layer *l, const int8_t *in,
                       q_dst out, int32_t *acc)
{
  const int8_t *w = m->w + l->w_off;
  int depthwise = l->op == WL_QK_DWCONV;
  q_tap_fn tap = depthwise ? q_depth_accum : q_dense_accum;
  size_t w_per_tap = depthwise ? (size_t)l->out_c : (size_t)l->in_c * l->out_c;
  for (int oy = 0; oy < l->out_h; oy++)
    for (int ox = 0; ox < l->out_w; ox++) {
      memcpy(acc, m->bias + l->c_off, sizeof(int32_t) * (size_t)l->out_c);
      for (int ky = 0; ky < l->kh; ky++) {
        int iy = oy * l->sh - l->pad_top + ky;
        if (iy < 0 || iy >= l->in_h)
          continue;
        for (int kx = 0; kx < l->kw; kx++) {
          int ix = ox * l->sw - l->pad_left + kx;
          if (ix < 0 || ix >= l->in_w)
            continue;
          tap(acc, in + ((size_t)iy * l->in_w + ix) * l->in_c,
              w + (size_t)(ky * l->kw + kx) * w_per_tap, l->in_c, l->out_c);
        }
      }
      requantize(m, l, acc, out, ((size_t)oy * l->out_w + ox) * l->out_c, l->out_c);
    }
}

static void q_run_dense(const wl_qk_model *m, const wl_qk_layer *l, const int8_t *in,
                        q_dst out, int32_t *acc)
{
  memcpy(acc, m->bias + l->c_off, sizeof(int32_t) * (size_t)l->out_c);
  q_dense_accum(acc, in, m->w + l->w_off, l->in_h * l->in_w * l->in_c, l->out_c);
  requantize(m, l, acc, out, 0, l->out_c);
}

static void q_run_pool(const wl_qk_layer *l, const int8_t *in, int8_t *out, int32_t *acc)
{
  int hw = l->in_h * l->in_w, c = l->in_c;
  memset(acc, 0, sizeof(int32_t) * (size_t)c);
  for (int k = 0; k < hw; k++)
    for (int j = 0; j < c; j++)
      acc[j] += in[(size_t)k * c + j];
  for (int j = 0; j < c; j++)
    out[j] = q_clamp8(q_mul(acc[j], l->mult[0], l->shift[0]), l->act_min);
}

static void q_run_add(const wl_qk_layer *l, const int8_t *a, const int8_t *b, int8_t *out)
{
  size_t n = (size_t)l->out_h * l->out_w * l->out_c;
  for (size_t k = 0; k < n; k++) {
    int32_t sa = q_mul((int32_t)a[k] * (1 << WL_QK_ADD_SHIFT), l->mult[0], l->shift[0]);
    int32_t sb = q_mul((int32_t)b[k] * (1 << WL_QK_ADD_SHIFT), l->mult[1], l->shift[1]);
    out[k] = q_clamp8(q_mul(sa + sb, l->mult[2], l->shift[2]), l->act_min);
  }
}

/* ---- the interpreter ---------------------------------------------------------------- */

/* The scratch, in wl_qk_scratch_bytes() order. */
typedef struct q_bufs {
  int32_t *acc;        /* max_acc accumulators */
  int8_t *input;       /* the quantized net input (its scratch place) */
  int8_t *last;        /* the last layer's int8 output, before dequantization */
  int8_t *slots;       /* n_slots x max_act */
  const int8_t *x;     /* the quantized net input the run reads */
} q_bufs;

static q_bufs q_layout(const wl_qk_model *m, void *scratch)
{
  q_bufs b;
  b.acc = scratch;
  b.input = (int8_t *)(b.acc + m->max_acc);
  b.last = b.input + m->in_elems;
  b.slots = b.last + m->out_elems;
  b.x = b.input;
  return b;
}

size_t wl_qk_scratch_bytes(const wl_qk_model *m)
{
  return sizeof(int32_t) * m->max_acc + m->in_elems + m->out_elems +
         (size_t)m->n_slots * m->max_act;
}

static const int8_t *q_act(const wl_qk_model *m, const q_bufs *b, int j)
{
  return j < 0 ? b->x : b->slots + (size_t)m->layers[j].slot * m->max_act;
}

/* lroundf(v) for |v| < 2^23, without libm: v - trunc(v) is exact there. */
static int32_t q_round_half_away(float v)
{
  int32_t t = (int32_t)v;
  float frac = v - (float)t;
  return t + (frac >= 0.5f ? 1 : frac <= -0.5f ? -1 : 0);
}

void wl_qk_quantize_input(const wl_qk_model *m, const float *in, int8_t *x)
{
  for (size_t k = 0; k < m->in_elems; k++) {
    float v = in[k] / m->in_scale;
    x[k] = v != v ? 0 : v >= 127.0f ? 127 : v <= -128.0f ? -128
                                           : (int8_t)q_round_half_away(v);
  }
}

static void q_run_layers(const wl_qk_model *m, const q_bufs *b, float *out)
{
  int last = m->n_layers - 1;
  for (int i = 0; i <= last; i++) {
    const wl_qk_layer *l = &m->layers[i];
    int8_t *dst = i == last ? b->last : b->slots + (size_t)l->slot * m->max_act;
    q_dst to = {dst, i == last ? out : NULL};
    const int8_t *x = q_act(m, b, l->in);
    switch (l->op) {
    case WL_QK_CONV:
    case WL_QK_DWCONV:
      q_run_conv(m, l, x, to, b->acc);
      break;
    case WL_QK_DENSE:
      q_run_dense(m, l, x, to, b->acc);
      break;
    case WL_QK_AVGPOOL:
      q_run_pool(l, x, dst, b->acc);
      break;
    case WL_QK_ADD:
      q_run_add(l, x, q_act(m, b, l->operand), dst);
      break;
    }
  }
  if (m->layers[last].b_count)
    return; /* the accumulators went out dequantized */
  float s = m->layers[last].out_scale;
  for (size_t k = 0; k < m->out_elems; k++)
    out[k] = (float)b->last[k] * s;
}

void wl_qk_run(const wl_qk_model *m, const float *in, float *out, void *scratch)
{
  q_bufs b = q_layout(m, scratch);
  wl_qk_quantize_input(m, in, b.input);
  q_run_layers(m, &b, out);
}

void wl_qk_run_int8(const wl_qk_model *m, const int8_t *x, float *out, void *scratch)
{
  q_bufs b = q_layout(m, scratch);
  b.x = x;
  q_run_layers(m, &b, out);
}
