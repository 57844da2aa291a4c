/*
 * workloads/workload.h - the workload interface (prefix wl_).
 *
 * A workload is a model with exact shapes, FLOPs and bytes moved per inference, an
 * fp32 reference implementation, a deterministic sample generator and an accuracy
 * check. Weights and samples come from one documented seeded generator (wl_rng, see
 * workloads/rng.h) so every SUT - CPU, CUDA, microcontroller - computes the same model.
 *
 * The models: kws (DS-CNN), ic (ResNet-8), vww (MobileNetV1 0.25), ad (FC
 * autoencoder), as MLPerf Tiny's kws01, ic01, vww01, ad01; gemm (one C = A x B per
 * inference, --set m=..., n=..., k=...); and decoder (a transformer decoder generating
 * tokens with a KV cache: input the prompt's token ids, output the generated ids, each
 * reported as it is made through wl_infer_tokens). Each workload's .c file documents
 * its layers, exact counts and sample recipe.
 *
 * Also two harness-calibration workloads: `null` (no compute, completes at once) and
 * `delay` (a fixed or exponential service time, --set delay_us=..., delay_dist=...).
 *
 * Thread-safety: a wl_model is immutable after wl_open(); wl_infer() may run on many
 * threads at once, each with its own scratch buffer. wl_params is not thread-safe.
 * Ownership: wl_open() hands out a model the caller frees with wl_close().
 */
#ifndef WL_WORKLOAD_H
#define WL_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WL_STATUS_MAP(X)                                           \
  X(OK, 0, "success")                                              \
  X(EINVAL, -1, "invalid argument")                                \
  X(ENOMEM, -2, "out of memory")                                   \
  X(EUNKNOWN, -3, "unknown workload")                              \
  X(EPARAM, -4, "unknown or invalid workload parameter")

typedef enum {
#define WL_STATUS_ENUM_(name, value, text) WL_##name = (value),
  WL_STATUS_MAP(WL_STATUS_ENUM_)
#undef WL_STATUS_ENUM_
} wl_status;

const char *wl_strerror(int status);

typedef enum { WL_F32 = 0, WL_I8, WL_U8, WL_I32 } wl_dtype;

const char *wl_dtype_name(wl_dtype t); /* "f32", "i8", "u8", "i32" */
size_t wl_dtype_size(wl_dtype t);

#define WL_MAX_RANK 4
typedef struct wl_tensor {
  wl_dtype dtype;
  int rank;
  int dims[WL_MAX_RANK];
} wl_tensor;

size_t wl_tensor_elems(const wl_tensor *t);
size_t wl_tensor_bytes(const wl_tensor *t);
/* "49x10x1 f32" into buf; returns buf. */
char *wl_tensor_format(const wl_tensor *t, char *buf, size_t len);

/* ---- parameters (--set key=value for the workload) --------------------------- */
#define WL_MAX_PARAMS 16
typedef struct wl_params {
  size_t count;
  struct {
    char key[32];
    char value[64];
  } items[WL_MAX_PARAMS];
} wl_params;

void wl_params_init(wl_params *p);
/* Store key=value. Does not check that a workload knows the key (wl_open does). */
int wl_params_set(wl_params *p, const char *key, const char *value);

typedef struct wl_param_info {
  const char *key;
  const char *default_value;
  const char *help;
} wl_param_info;

/* ---- description ---------------------------------------------------------------- */
typedef struct wl_info {
  const char *name;          /* "kws" */
  const char *description;   /* one line */
  wl_tensor input;
  wl_tensor output;
  uint64_t params;           /* learned parameters */
  uint64_t macs;             /* multiply-accumulates per inference */
  uint64_t flops;            /* per inference (2 x MACs + elementwise ops) */
  uint64_t bytes_moved;      /* weights + input + output + activations per inference */
  uint64_t total_sample_count;        /* samples the generator provides */
  uint64_t performance_sample_count;  /* default loaded set */
  uint64_t weight_seed;      /* seed of the deterministic weights */
  bool compute_free;         /* null workload: a SUT may complete inline */
  uint64_t sample_seed;      /* seed of the deterministic samples (0 if none) */
  bool reconstruction;       /* the output reconstructs the input (ad): the anomaly
                                score is wl_anomaly_score(), not an argmax */
  /* token generators (decoder); all 0 for the other workloads */
  uint64_t prompt_tokens;    /* token ids in each input */
  uint64_t output_tokens;    /* tokens generated per inference (the output's ids) */
  uint64_t context_tokens;   /* KV-cache length in positions */
  uint64_t prefill_flops;    /* the prompt pass through the first token (in flops) */
  uint64_t decode_flops;     /* the output_tokens - 1 later steps (in flops) */
  uint64_t kv_cache_bytes;   /* KV cache each worker holds (all layers, whole context) */
} wl_info;

typedef struct wl_model wl_model;

/* Table of every workload: name, description and parameters (for `mlsysbench list`). */
typedef struct wl_desc {
  const char *name;
  const char *description;
  const wl_param_info *params; /* NULL-key terminated */
} wl_desc;
const wl_desc *wl_list(size_t *count);

/*
 * Open workload `name` with parameters (NULL = defaults). On error returns WL_EUNKNOWN or
 * WL_EPARAM with "what, key, value, what to do" in err.
 */
int wl_open(wl_model **out, const char *name, const wl_params *params, char *err,
            size_t errlen);
void wl_close(wl_model *m); /* accepts NULL */

const wl_info *wl_model_info(const wl_model *m);

/* Bytes of per-thread scratch wl_infer needs (activations, RNG state). May be 0 (then
 * scratch may be NULL); otherwise pass a buffer aligned like malloc's. */
size_t wl_scratch_bytes(const wl_model *m);
/* Initialise a scratch buffer for thread `worker` (seeds per-thread state). */
void wl_scratch_init(const wl_model *m, void *scratch, unsigned worker);

/* Deterministic input for sample `index` (same bytes on every run and platform). */
void wl_make_sample(const wl_model *m, uint64_t index, void *input);

/* fp32 reference inference of one sample. input and output are aligned for their
 * dtype and do not overlap the scratch. Allocates nothing. */
void wl_infer(const wl_model *m, const void *input, void *output, void *scratch);

/* Bytes of per-thread scratch wl_infer_batch needs for up to `batch` samples per call
 * (batch >= 1); at least wl_scratch_bytes(m), and wl_scratch_init'ed the same way. */
size_t wl_batch_scratch_bytes(const wl_model *m, size_t batch);

/*
 * The fast path a SUT times: infer n samples, inputs[i] -> outputs[i], with the
 * workload's optimised kernels (fp32 layer-list models and gemm: packed, blocked,
 * vectorized kernels chosen for this CPU at wl_open, workloads/kernels.h), several
 * samples at once where that helps. n must not exceed the batch the scratch was sized
 * for. Outputs agree with wl_infer's within rounding (fp32 models: |fast - ref| <=
 * 1e-4 * (1 + max |ref|), same argmax; workloads without a fast path run wl_infer, so
 * they agree exactly). Thread-safe like wl_infer; allocates nothing.
 */
void wl_infer_batch(const wl_model *m, const void *const *inputs, void *const *outputs,
                    size_t n, void *scratch);

/* Called by wl_infer_tokens as soon as generated token number `i` (0-based) is known,
 * on the inferring thread, before wl_infer_tokens returns. */
typedef void (*wl_token_fn)(void *ctx, uint64_t i, int32_t token);

/* wl_infer that also reports each generated token (info.output_tokens of them, in
 * order) to on_token (NULL: none). For a workload that generates no tokens it is
 * wl_infer and on_token is never called. Same output and rules as wl_infer. */
void wl_infer_tokens(const wl_model *m, const void *input, void *output, void *scratch,
                     wl_token_fn on_token, void *ctx);

/* ---- accuracy ----------------------------------------------------------------- */
typedef struct wl_accuracy {
  uint64_t samples;
  uint64_t top1_agree;   /* argmax equal to the reference's */
  double max_abs_error;  /* over every output element */
  uint64_t missing;      /* samples with no response */
  uint64_t tokens;       /* token outputs: tokens compared */
  uint64_t tokens_agree; /* token outputs: tokens equal before the first divergence */
} wl_accuracy;

void wl_accuracy_init(wl_accuracy *a);
/*
 * Compare one SUT output with the fp32 reference output of the same sample.
 * f32 outputs: top1_agree counts equal argmax (first index on ties; NaN never wins);
 * max_abs_error is over every element (a NaN on either side makes it infinite).
 * Token outputs (i32 ids of a generator, info.output_tokens > 0): top1_agree counts
 * samples whose first token matches; tokens and tokens_agree add up the generated
 * tokens and the ones produced before the first divergence (a greedy sequence means
 * nothing after it); max_abs_error is 1 when any token differs, else 0.
 * Other outputs (null, delay) compare byte-wise: top1_agree counts identical outputs,
 * max_abs_error is the largest byte difference (0 when identical).
 * output == NULL counts the sample as missing. Not thread-safe on one `a`.
 */
void wl_accuracy_add(const wl_model *m, wl_accuracy *a, const void *output,
                     const void *reference);

/*
 * Anomaly score of one sample of a reconstruction workload (info.reconstruction, e.g.
 * ad): the mean squared error between the output and the input, sum of (out - in)^2 in
 * double in element order, divided by the element count. NAN for other workloads.
 * Thread-safe; allocates nothing.
 */
double wl_anomaly_score(const wl_model *m, const void *input, const void *output);

/* ---- the model's parts, for a SUT with its own kernels (workloads/graph.c) ------ */
struct wl_net; /* workloads/model.h */

typedef enum {
  WL_GRAPH_OTHER = 0, /* no description for outside kernels (null, delay, ...) */
  WL_GRAPH_NET,       /* a layer-list model: kws, ic, vww, ad */
  WL_GRAPH_GEMM       /* gemm */
} wl_graph_kind;

typedef struct wl_graph {
  wl_graph_kind kind;
  const struct wl_net *net; /* NET: the fp32 plan and weights (model.h); borrowed */
  bool int8;                /* NET: --set precision=int8 (wl_infer runs quant.h's model) */
  int gemm_m, gemm_n, gemm_k; /* GEMM: C (m x n) = A (m x k) x B (k x n), row-major */
  const float *gemm_b;      /* GEMM: B, k x n floats; borrowed */
} wl_graph;

/* Fill *out (zeroed first) with what model m is made of; m == NULL gives
 * WL_GRAPH_OTHER. The pointers live as long as m. Thread-safe. */
void wl_model_graph(const wl_model *m, wl_graph *out);

#endif /* WL_WORKLOAD_H */
