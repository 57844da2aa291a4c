/*
 * workloads/qkernel.h - the int8 inference kernel (prefix wl_qk_), freestanding: the one
 * C file that both the host library (wl_qnet_run, workloads/quant.h) and the
 * microcontroller firmware (sut/firmware/) compile, so the board computes the same
 * integers as the CPU SUT's precision=int8 path.
 *
 * The arithmetic is specified in workloads/quant.h (requantization, layers, the last
 * layer's dequantization). This header describes a quantized model as plain constant
 * tables (wl_qk_model): the host builds one on top of its wl_qnet (wl_qnet_model()), the
 * firmware gets one as generated const data (sut/firmware/gen/, from the same wl_qnet),
 * and wl_qk_run() runs either.
 *
 * Portability: qkernel.c includes only <stdint.h>, <stddef.h> and <string.h> (memcpy,
 * memset), allocates nothing, uses no libm and no globals; binary32 arithmetic is the
 * quantization of the input (one division per element), the int32-to-float conversion
 * and two multiplications per output of the last layer, all IEEE-754 correctly rounded
 * on both sides (soft-float on a Cortex-M3, the FPU of a Cortex-M4F, SSE on x86-64;
 * build with -ffp-contract=off so no multiply-add is fused).
 *
 * Thread-safety: wl_qk_run() only reads the model; many threads may run one model at
 * once, each with its own scratch. Ownership: a wl_qk_model points at tables it does not
 * own; they must outlive it.
 */
#ifndef WL_QKERNEL_H
#define WL_QKERNEL_H

#include <stddef.h>
#include <stdint.h>

/* Layer operations; the values equal model.h's wl_op (quant.c checks). */
enum {
  WL_QK_CONV = 0,  /* conv2d, 'same' padding */
  WL_QK_DWCONV,    /* depthwise conv2d, multiplier 1 */
  WL_QK_AVGPOOL,   /* global average pool */
  WL_QK_DENSE,     /* fully connected */
  WL_QK_ADD        /* element-wise add of an earlier output */
};

/* TFLite's left shift of both inputs of an int8 ADD (quant.h). */
#define WL_QK_ADD_SHIFT 20

/* One layer: its geometry (model.h's wl_layer_plan) and quantization (quant.h). */
typedef struct wl_qk_layer {
  int32_t op;                 /* WL_QK_* */
  int32_t kh, kw, sh, sw;     /* kernel and strides (conv, depthwise) */
  int32_t in;                 /* layer whose output is the input; -1 = the net input */
  int32_t operand;            /* WL_QK_ADD: layer whose output is added; -1 otherwise */
  int32_t slot;               /* activation slot of the output (-1: the last layer) */
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t pad_top, pad_left;
  uint32_t w_off;             /* first weight in wl_qk_model.w */
  uint32_t c_off;             /* conv, depthwise, dense: first channel in bias, mult, shift */
  uint32_t b_count;           /* output channels with a bias (0 for pool and add) */
  int32_t act_min;            /* -128, or 0 with a fused ReLU */
  float in_scale;             /* scale of the input tensor */
  float out_scale;            /* scale of the output tensor */
  int32_t mult[3];            /* pool: [0]; add: input [0], operand [1], output [2] */
  int32_t shift[3];
} wl_qk_layer;

/* A whole quantized model. */
typedef struct wl_qk_model {
  int32_t n_layers;
  const wl_qk_layer *layers;  /* n_layers of them, in execution order */
  uint32_t in_elems;          /* net input elements */
  uint32_t out_elems;         /* net output elements (f32) */
  uint32_t max_act;           /* largest intermediate activation, in elements */
  uint32_t n_slots;           /* activation slots in the scratch */
  uint32_t max_acc;           /* int32 accumulators the scratch holds (largest out_c) */
  float in_scale;             /* scale of the net input */
  const int8_t *w;            /* int8 weights, layer by layer (model.h's layout) */
  const int32_t *bias;        /* per output channel of every layer with weights */
  const int32_t *mult;        /* per output channel: requantization multiplier */
  const int32_t *shift;       /* per output channel: its shift */
  const float *w_scale;       /* per output channel: the weight scale */
} wl_qk_model;

/* ---- fixed-point primitives (semantics in quant.h's header comment) --------------- */

/* gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties toward +inf. */
int32_t wl_q_srdhm(int32_t a, int32_t b);

/* gemmlowp RoundingDivideByPOT: round(x / 2^exponent), ties away from zero;
 * exponent 0..31. */
int32_t wl_q_rdivpot(int32_t x, int exponent);

/* TFLite MultiplyByQuantizedMultiplier: x * mult * 2^(shift - 31), rounded twice as
 * quant.h says; shift -31..30. */
int32_t wl_q_mul(int32_t x, int32_t mult, int shift);

/* ---- the kernel ---------------------------------------------------------------------- */

/*
 * Scratch bytes wl_qk_run() needs: max_acc int32 accumulators, then the int8 input
 * (in_elems), the last layer's int8 output (out_elems) and n_slots slots of max_act
 * int8 elements.
 */
size_t wl_qk_scratch_bytes(const wl_qk_model *m);

/* q = round(x / in_scale) (binary32 division, ties away from zero), clamped to
 * [-128, 127] before rounding; NaN gives 0. in has in_elems floats, x in_elems bytes. */
void wl_qk_quantize_input(const wl_qk_model *m, const float *in, int8_t *x);

/*
 * int8 inference from f32 input: in has in_elems floats (quantized on entry), out gets
 * out_elems floats, scratch has wl_qk_scratch_bytes() bytes aligned for int32. in, out
 * and scratch must not overlap. Allocates nothing.
 */
void wl_qk_run(const wl_qk_model *m, const float *in, float *out, void *scratch);

/* The same from an already quantized input (in_elems int8 values, as
 * wl_qk_quantize_input() makes them); x must not overlap scratch or out. */
void wl_qk_run_int8(const wl_qk_model *m, const int8_t *x, float *out, void *scratch);

#endif /* WL_QKERNEL_H */
