/*
 * workloads/quant.h - private: int8 inference of a layer-list model (prefix wl_q),
 * with the arithmetic of TensorFlow Lite Micro's reference int8 kernels and CMSIS-NN
 * (its default double-rounding requantization), so a microcontroller port computes
 * the same integers. The recipe below is the specification.
 *
 * Number format. Every tensor t is int8 with a binary32 scale s_t and zero point 0
 * (symmetric): real value = q * s_t. Weights have one scale per output channel.
 *
 * Quantization at open time (wl_qnet_init), from the fp32 wl_net (after any prototype
 * head and logit centring, model.h) and n calibration inputs, in four steps:
 *   1. Channel ranges: run the fp32 net on the calibration inputs; for every layer
 *      output take the largest |value| per channel, m_c, and per tensor, m = max m_c.
 *   2. Equalization (cross-layer range equalization, as in Nagel et al. 2019, "Data-Free
 *      Quantization"; it leaves the fp32 model untouched and changes the function only
 *      by rounding, since ReLU and the pool commute with a positive per-channel scale):
 *      on a copy of the weights, for every layer i with weights, other than the last,
 *      whose output is a feature map (out_h * out_w > 1) read only by conv, depthwise
 *      or dense layers as their input, or by pools read only by dense layers as their
 *      input: r_c = max(m_c / m, 0.5f) (binary32); the weights of output channel c and
 *      bias c of layer i become w / r_c, and the weights on input channel c of each
 *      reader (through the pool: of the dense layer) become w * r_c (binary32 each).
 *      Small channels then use more of the int8 range. Outputs that feed an add, and
 *      1x1 outputs (a fully connected stack), are left as they are.
 *   3. Scales and weights, from the equalized copy: run it on the calibration inputs;
 *      for the net input and every layer output, m = the largest |value| (max-abs per
 *      tensor), s = m / 127.0f (binary32 division), or 1.0f if m is 0. Weights: per
 *      output channel oc, m = max |w| over the channel's weights (conv: kh*kw*in_c of
 *      them, depthwise: kh*kw, dense: in), s_w[oc] = m / 127.0f (1.0f if m is 0);
 *      q = lroundf(w / s_w[oc]) (binary32 division, round half away from zero), clamped
 *      to [-127, 127], in the fp32 layout (model.h). Biases: int32
 *      b_q[oc] = llround((double)b / ((double)s_in * (double)s_w[oc])), clamped to
 *      int32. Multipliers: a positive real multiplier M (computed in double from the
 *      binary32 scales) becomes (mult, shift) as TFLite's QuantizeMultiplier does:
 *      M = q * 2^shift with q in [0.5, 1) (frexp); mult = llround(q * 2^31); if
 *      mult = 2^31 then mult = 2^30 and shift + 1; if shift < -31 then mult = 0,
 *      shift = 0; if shift > 30 then mult = 2^31 - 1, shift = 30. M = 0 gives (0, 0).
 *   4. Bias correction of the last layer (Nagel et al.'s empirical bias correction,
 *      on the layer where it matters most): run the int8 model and the fp32 net on the
 *      calibration inputs; e_c = the mean over them, and over the output positions, of
 *      (int8 output - fp32 output) in channel c (sums in double, inputs in order,
 *      elements in order); b_q[c] -= llround(e_c / ((double)s_in * (double)s_w[c])).
 *      Only for a last layer with weights.
 *
 * Requantization, wl_q_mul(x, mult, shift) = TFLite's MultiplyByQuantizedMultiplier:
 *   left = max(shift, 0), right = max(-shift, 0);
 *   wl_q_rdivpot(wl_q_srdhm(x * 2^left saturated to int32, mult), right), where
 *   wl_q_srdhm(a, b) (gemmlowp SaturatingRoundingDoublingHighMul): INT32_MAX if
 *     a = b = INT32_MIN; else with p = (int64)a * b, (p + (p >= 0 ? 2^30 : 1 - 2^30))
 *     / 2^31, the division truncating toward zero: the nearest integer to p / 2^31,
 *     ties toward +infinity (0.5 -> 1, -0.5 -> 0, -1.5 -> -1);
 *   wl_q_rdivpot(x, e) (gemmlowp RoundingDivideByPOT, 0 <= e <= 31): with
 *     mask = 2^e - 1, r = x & mask, t = (mask >> 1) + (x < 0), (x >> e) + (r > t)
 *     (arithmetic shift): the nearest integer to x / 2^e, ties away from zero
 *     (2.5 -> 3, -2.5 -> -3).
 *
 * Layers (acc is int32; clamp(v) limits v to [lo, 127] where lo = 0 with a fused ReLU
 * and -128 without; padding taps read 0, the zero point):
 *   net input   q = lroundf(x / s_in) (binary32 division) clamped to [-128, 127]; the
 *     quotient is clamped before rounding, and NaN gives 0.
 *   conv, depthwise, dense: acc = b_q[oc] + sum of q_x * q_w over the taps (in any
 *     order: integer sums are exact); out = clamp(wl_q_mul(acc, mult[oc], shift[oc]))
 *     with M[oc] = s_in * s_w[oc] / s_out.
 *   global average pool (TFLite's MEAN, not AVERAGE_POOL_2D: it has its own output
 *     scale): acc = sum of the h*w inputs of a channel; out = clamp(wl_q_mul(acc,
 *     mult, shift)) with M = s_in / (s_out * h * w).
 *   add (TFLite's int8 ADD, left shift 20): with t = 2 * max(s_a, s_b) (s_a of the
 *     input, s_b of the operand), M_a = s_a / t, M_b = s_b / t, M_o = t / (2^20 * s_out):
 *     out = clamp(wl_q_mul(wl_q_mul(q_a * 2^20, M_a) + wl_q_mul(q_b * 2^20, M_b), M_o)).
 *   last layer: a conv, depthwise or dense last layer is not requantized: its
 *     accumulators are dequantized, y = (float)acc * (s_in * s_w[k]) (binary32, the
 *     product of the scales first), so logits are neither clipped nor rounded to 8 bits
 *     (TFLite would emit int8 and DEQUANTIZE it; this keeps the bits it drops). A pool
 *     or add last layer is dequantized from int8: y = (float)q * s_out.
 *
 * Reproducing it. Everything at inference is integer arithmetic plus the final
 * dequantization; the int8 tables depend on fp32 calibration activations, so a port
 * that wants bit-identical outputs should take the tables (w, bias, mult, shift and the
 * scales) from this reference rather than recompute them from slightly different
 * fp32 sums.
 *
 * Counts. MACs and FLOPs are those of the fp32 plan (an int8 MAC is a MAC). Bytes per
 * inference (wl_qnet.bytes): 1 per weight + 4 per bias + 4 * (input + output elements,
 * which stay f32 at the boundary) + (1 + readers) * the elements of every intermediate
 * activation (int8, written once and read by each reader, as in model.h).
 *
 * Thread-safety: a wl_qnet is immutable after wl_qnet_init(); wl_qnet_run() may run on
 * many threads at once, each with its own scratch. Ownership: wl_qnet_init() allocates
 * the int8 tables, wl_qnet_destroy() frees them; the wl_net must outlive the wl_qnet.
 */
#ifndef WL_QUANT_H
#define WL_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "workloads/model.h"
#include "workloads/qkernel.h"

/* ---- fixed-point primitives (semantics in the header comment) -------------------- */

/* wl_q_srdhm, wl_q_rdivpot and wl_q_mul are declared in workloads/qkernel.h. */

/* TFLite QuantizeMultiplier: (mult, shift) with real ~= mult * 2^(shift - 31);
 * real >= 0. */
void wl_q_multiplier(double real, int32_t *mult, int *shift);

/* s = max_abs / 127.0f, or 1.0f when max_abs is 0 (the scale rule above). */
float wl_q_scale(float max_abs);

/* ---- the int8 model -------------------------------------------------------------- */

/* Quantization parameters of one layer, with its geometry (the kernel's layer). */
typedef wl_qk_layer wl_qlayer;

typedef struct wl_qnet {
  const wl_net *net;      /* the fp32 plan it was made from (not owned) */
  wl_qlayer layers[WL_NET_MAX_LAYERS];
  float in_scale;         /* scale of the net input */
  int8_t *w;              /* int8 weights at the fp32 offsets (bias slots unused) */
  int32_t *bias;          /* per output channel of each conv, depthwise, dense layer */
  int32_t *mult;          /* per output channel: requantization multiplier */
  int32_t *shift;         /* per output channel: its shift */
  float *w_scale;         /* per output channel: the weight scale s_w */
  size_t max_acc;         /* int32 accumulators wl_qnet_run needs (largest out_c) */
  uint64_t bytes;         /* bytes moved per inference (header comment) */
} wl_qnet;

/*
 * Quantize net (weights made, head and logits final) with n calibration inputs
 * (n * net->in_elems floats), steps 1-4 of the header comment. Allocates the int8
 * tables and temporaries (call it at open time). Returns 0, WL_EINVAL (n < 1, no
 * weights) or WL_ENOMEM; on error nothing is left to free.
 */
int wl_qnet_init(wl_qnet *q, const wl_net *net, const float *calib, int n);

/* Free the tables. Accepts NULL and a zeroed wl_qnet. */
void wl_qnet_destroy(wl_qnet *q);

/* Scratch bytes wl_qnet_run needs: max_acc int32 accumulators, then the int8 input
 * (in_elems), the last layer's int8 output (out_elems) and n_slots int8 activation
 * slots of max_act elements. */
size_t wl_qnet_scratch_bytes(const wl_qnet *q);

/*
 * int8 inference: in has in_elems floats (quantized on entry), out gets out_elems
 * dequantized floats, scratch has wl_qnet_scratch_bytes() bytes aligned for int32.
 * in, out and scratch must not overlap. Allocates nothing.
 */
void wl_qnet_run(const wl_qnet *q, const float *in, float *out, void *scratch);

/* The kernel's view of q (qkernel.h): m points into q's tables, valid while q is. What
 * wl_qnet_run() runs, and what the firmware generator dumps. */
void wl_qnet_model(const wl_qnet *q, wl_qk_model *m);

#endif /* WL_QUANT_H */
