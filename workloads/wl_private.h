/*
 * workloads/wl_private.h - private: how a workload plugs into the registry
 * (workloads/workload.c), and the parameter helpers the workloads share.
 *
 * Adding a workload: write its wl_<name>_ops, wl_<name>_params and
 * wl_<name>_description in its own .c file and add <name> to WL_REGISTRY below. A
 * layer-list model (kws, ic, vww, ad) only describes itself in a wl_net_spec and takes
 * the rest from the shared glue declared at the end of this file.
 */
#ifndef WL_PRIVATE_H
#define WL_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "workloads/fastnet.h"
#include "workloads/kernels.h"
#include "workloads/model.h"
#include "workloads/quant.h"
#include "workloads/workload.h"

/* Where wl_open's parameter checks happen: the workload's table and the user's values. */
typedef struct wl_param_ctx {
  const char *workload;        /* name, for messages */
  const wl_params *params;     /* user's values (never NULL here) */
  const wl_param_info *table;  /* the workload's keys and defaults */
  char *err;                   /* message buffer (may be NULL) */
  size_t errlen;
} wl_param_ctx;

/*
 * One workload's functions. open() fills m->info (name and compute_free are set for it
 * beforehand) and m->impl (a token generator also m->infer_tokens), reading its parameters through ctx; the keys are already
 * checked. close() frees m->impl (never m). The rest implement the public calls.
 */
typedef struct wl_ops {
  int (*open)(wl_model *m, const wl_param_ctx *ctx);
  void (*close)(wl_model *m);
  size_t (*scratch_bytes)(const wl_model *m);
  void (*scratch_init)(const wl_model *m, void *scratch, unsigned worker);
  void (*make_sample)(const wl_model *m, uint64_t index, void *input);
  void (*infer)(const wl_model *m, const void *input, void *output, void *scratch);
  /* optional fast path (NULL: wl_infer_batch runs infer on each sample) */
  size_t (*batch_scratch_bytes)(const wl_model *m, size_t batch);
  void (*infer_batch)(const wl_model *m, const void *const *inputs,
                      void *const *outputs, size_t n, void *scratch);
} wl_ops;

/* wl_infer_tokens of a token generator; its open() sets wl_model.infer_tokens. */
typedef void (*wl_infer_tokens_fn)(const wl_model *m, const void *input, void *output,
                                   void *scratch, wl_token_fn on_token, void *ctx);

struct wl_model {
  const wl_ops *ops;
  wl_info info;
  void *impl; /* owned by the workload */
  wl_infer_tokens_fn infer_tokens; /* token generators only; NULL: wl_infer_tokens
                                      calls ops->infer */
};

/* Every workload, in `mlsysbench list` order. */
#define WL_REGISTRY(X) X(kws) X(ic) X(vww) X(ad) X(gemm) X(null) X(delay) X(decoder)

#define WL_DECLARE_(name)                         \
  extern const wl_ops wl_##name##_ops;            \
  extern const wl_param_info wl_##name##_params[]; \
  extern const char wl_##name##_description[];
WL_REGISTRY(WL_DECLARE_)
#undef WL_DECLARE_

/* snprintf into err when err is not NULL and errlen > 0. */
void wl_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The user's value of key, else the table's default (NULL if the table lacks key). */
const char *wl_param_value(const wl_param_ctx *ctx, const char *key);

/* Parse key as an unsigned 64-bit integer (decimal, or hex with 0x). WL_EPARAM with the
 * key, the value and what is accepted in ctx->err otherwise. */
int wl_param_u64(const wl_param_ctx *ctx, const char *key, uint64_t *out);

/* Parse key as a finite number >= 0; WL_EPARAM with a message otherwise. */
int wl_param_nonneg(const wl_param_ctx *ctx, const char *key, double *out);

/* Index of key's value in the NULL-terminated list choices; WL_EPARAM naming the key,
 * the value and the choices otherwise. */
int wl_param_choice(const wl_param_ctx *ctx, const char *key, const char *const *choices,
                    int *out);

/* The delay workload's next service time in nanoseconds, drawn from the per-thread
 * state in scratch (fixed: delay_us exactly; exponential: mean delay_us). Exposed for
 * tests; wl_infer of `delay` busy-waits for this long. */
uint64_t wl_delay_next_ns(const wl_model *m, void *scratch);

/* ---- gemm (workloads/gemm.c) ------------------------------------------------------- */

/* impl of the gemm workload: the shapes and B (k x n floats, row-major). */
typedef struct wl_gemm {
  int m, n, k;
  float *b;
  wl_kern kern;   /* the fast path's kernels and B packed for them */
  wl_kern_b packed;
} wl_gemm;

/* C (m x n) = A (m x k) x B, the cache-blocked reference (gemm.c documents the order
 * of the sums). a and c must not overlap. Allocates nothing; thread-safe. */
void wl_gemm_run(const wl_gemm *g, const float *a, float *c);

/* ---- decoder (workloads/decoder.c) ------------------------------------------------- */

/* A weight matrix, k x n row-major (in x out); q and scale only for precision=int8. */
typedef struct wl_dec_matrix {
  int k, n;
  const float *w;   /* fp32 weights (in the decoder's arena) */
  int8_t *q;        /* int8 weights, or NULL */
  float *scale;     /* per output column, or NULL */
} wl_dec_matrix;

typedef struct wl_dec_layer {
  const float *ln1_g, *ln1_b, *ln2_g, *ln2_b;
  wl_dec_matrix qkv, o, up, down;
} wl_dec_layer;

/* impl of the decoder workload (decoder.c documents the model). */
typedef struct wl_decoder {
  int d, heads, layers, context, prompt, output, vocab;
  bool int8;
  float *arena;                 /* every fp32 weight, in generation order */
  int8_t *qarena;               /* int8 matrices (precision=int8) */
  float *sarena;                /* their scales */
  const float *tok_emb, *pos_emb, *lnf_g, *lnf_b;
  wl_dec_layer *layer;          /* `layers` entries */
  wl_dec_matrix out;            /* D x V logits projection */
} wl_decoder;

/* Floats in the fp32 arena (the order decoder.c documents). */
size_t wl_decoder_weight_count(const wl_decoder *dc);
/* Scratch bytes for activations of `rows` rows plus the KV cache (wl_infer uses
 * rows = prompt_tokens). */
size_t wl_decoder_scratch_bytes(const wl_decoder *dc, size_t rows);
/* Generate output_tokens ids into out from prompt (prompt_tokens ids), with the KV
 * cache: prefill, then one position per step. step_logits (output_tokens x vocab, may
 * be NULL) gets every step's logits; on_token (may be NULL) hears each id. */
void wl_decoder_generate(const wl_decoder *dc, const int32_t *prompt, int32_t *out,
                         void *scratch, float *step_logits, wl_token_fn on_token, void *ctx);
/* Logits at every position of ids[0..n) (n <= context) in one causal pass from an
 * empty cache: the full recompute the KV-cache path must match. scratch holds
 * wl_decoder_scratch_bytes(dc, n). */
void wl_decoder_logits_all(const wl_decoder *dc, const int32_t *ids, size_t n, float *logits,
                           void *scratch);
/* FLOPs of position pos through the embedding and every layer, and of the head. */
uint64_t wl_decoder_position_flops(const wl_decoder *dc, uint64_t pos);
uint64_t wl_decoder_head_flops(const wl_decoder *dc);

/* ---- layer-list model workloads (glue in workload.c) -------------------------------- */

/* Writes the f32 input of sample `index` drawn from `seed` (the workload's recipe). */
typedef void (*wl_sample_fn)(uint64_t seed, uint64_t index, float *x);

/* What a layer-list model workload is; a static const in its .c file. */
typedef struct wl_net_spec {
  const wl_layer *layers;
  int n_layers;
  int in_h, in_w, in_c;   /* the shape wl_net_plan() walks from */
  wl_tensor input;        /* f32, in_h * in_w * in_c elements */
  wl_tensor output;       /* f32, the last layer's outputs */
  int calib;              /* calibration samples (see wl_net_model_open) */
  bool prototype_head;    /* make the last layer a prototype head (model.h) first */
  bool center_logits;     /* centre the logits on the calibration samples */
  bool reconstruction;    /* wl_info.reconstruction: output reconstructs the input */
  uint64_t total_samples;
  uint64_t performance_samples;
  wl_sample_fn sample;
} wl_net_spec;

typedef enum { WL_PRECISION_FP32 = 0, WL_PRECISION_INT8 } wl_precision;

/* impl of a layer-list model workload. */
typedef struct wl_net_model {
  wl_net net; /* first member: impl may be read as the fp32 wl_net (tests do) */
  const wl_net_spec *spec;
  wl_precision precision;
  wl_qnet qnet; /* the int8 model (precision=int8 only; zeroed otherwise) */
  wl_fast_net fast; /* the fp32 fast path (precision=fp32 only; zeroed otherwise) */
} wl_net_model;

/* Calibration inputs of the int8 models (the first WL_INT8_CALIB of the same recipe). */
#define WL_INT8_CALIB 64

/* The parameters every layer-list model takes, with their defaults. */
#define WL_NET_PARAMS                                                                \
  {"weight_seed", "1", "seed of the deterministic weights (wl_rng)"},                \
  {"sample_seed", "2", "seed of the deterministic input samples (wl_rng)"},          \
  {"precision", "fp32",                                                              \
   "fp32 (reference) or int8 (per-channel symmetric weights, TFLite Micro arithmetic; " \
   "f32 in and out)"},                                                               \
  {NULL, NULL, NULL}

/*
 * open() of a layer-list model: reads weight_seed, sample_seed and precision, builds
 * the net from weight_seed (model.h's recipe), then works on spec->calib calibration
 * inputs: samples 0 .. calib-1 of the workload's recipe drawn with weight_seed in place
 * of sample_seed, so the weights depend on weight_seed alone. In this order: with
 * spec->prototype_head the last layer becomes a prototype head on them
 * (wl_net_prototype_head), with spec->center_logits the logits are centred on them
 * (wl_net_center_logits), and precision=int8 quantizes the resulting net with the
 * first WL_INT8_CALIB inputs of the same recipe (wl_qnet_init, quant.h); wl_infer then
 * runs the int8 model, input and output f32.
 * Fills m->info from the spec and the plan (int8: bytes_moved is wl_qnet.bytes; MACs
 * and FLOPs are the fp32 ones).
 */
int wl_net_model_open(wl_model *m, const wl_param_ctx *ctx, const wl_net_spec *spec);

/* The open function and the wl_ops table of a layer-list workload `name` (kws, ic, vww,
 * ad) whose wl_net_spec is `spec`: defines static name##_open and wl_##name##_ops. */
#define WL_NET_WORKLOAD(name, spec)                                                   \
  static int name##_open(wl_model *m, const wl_param_ctx *ctx) {                      \
    return wl_net_model_open(m, ctx, &(spec));                                        \
  }                                                                                   \
  const wl_ops wl_##name##_ops = {name##_open,                                        \
                                  wl_net_model_close,                                 \
                                  wl_net_model_scratch_bytes,                         \
                                  wl_net_model_scratch_init,                          \
                                  wl_net_model_make_sample,                           \
                                  wl_net_model_infer,                                 \
                                  wl_net_model_batch_scratch_bytes,                   \
                                  wl_net_model_infer_batch}

/* The rest of a layer-list model's wl_ops; they need nothing workload-specific. */
void wl_net_model_close(wl_model *m);
size_t wl_net_model_scratch_bytes(const wl_model *m);
void wl_net_model_scratch_init(const wl_model *m, void *scratch, unsigned worker);
void wl_net_model_make_sample(const wl_model *m, uint64_t index, void *input);
void wl_net_model_infer(const wl_model *m, const void *input, void *output, void *scratch);
size_t wl_net_model_batch_scratch_bytes(const wl_model *m, size_t batch);
void wl_net_model_infer_batch(const wl_model *m, const void *const *inputs,
                              void *const *outputs, size_t n, void *scratch);

/*
 * The "offsets plus noise" sample recipe shared by kws and ad: x has n floats in
 * `period` interleaved columns (element i is in column i % period). From wl_rng seeded
 * with wl_rng_derive(seed, index): first one offset per column, mean[c] = wl_rng_f32()
 * for c = 0 .. period-1, then for each element in order
 * x[i] = mean[i % period] + wl_rng_f32_scaled(noise) (one binary32 add). period <= 256.
 */
void wl_sample_offsets(uint64_t seed, uint64_t index, float *x, size_t n, int period,
                       float noise);

/*
 * The image sample recipe shared by ic and vww: x is an h x w x c image in NHWC order
 * (element (y, x, ch) at (y * w + x) * c + ch), c <= 16, a coloured checkerboard-like
 * texture with its own colour, cell size and phase in every sample. From wl_rng seeded
 * with wl_rng_derive(seed, index): first c channel offsets
 * mean[ch] = wl_rng_f32_scaled(0.25f), then c amplitudes amp[ch] = wl_rng_f32(), then
 * four outputs whose top three bits (wl_rng_next() >> 61, 0..7) give the cell width
 * px = 1 + that, the cell height py = 1 + that, and the phases ox, oy; then for each
 * element in order, with odd = ((x + ox) / px + (y + oy) / py) & 1 (integer division),
 *   x = (mean[ch] + (odd ? amp[ch] : -amp[ch])) + wl_rng_f32_scaled(noise)
 * (two binary32 adds). Values stay within about +-1.5 around 0, like normalised
 * pixels; random convolutional features tell textures apart well, so the samples
 * differ after the global pool and the predicted class varies.
 */
void wl_sample_image(uint64_t seed, uint64_t index, float *x, int h, int w, int c,
                     float noise);

#endif /* WL_PRIVATE_H */
