/*
 * workloads/decoder.c - `decoder`: a small GPT-style transformer decoder that generates
 * tokens greedily with a KV cache, for token latencies (TTFT, TPOT), tokens/s and the
 * memory cost of the KV cache at long context.
 *
 * Parameters (--set): d_model D (default 256), heads H (4; D % H == 0, head size
 * Dh = D / H), layers L (1), context C (512: KV-cache length, the most positions a
 * sequence may use), prompt_tokens P (64), output_tokens T (32), vocab V (2048),
 * weight_seed (1), sample_seed (2), precision (fp32 | int8). P + T - 1 <= C.
 *
 * Model (pre-LN, learned positions, no biases in the linear layers, untied output):
 *   x_p   = tok_emb[token_p] + pos_emb[p]                         (D)
 *   each layer:  h = LN1(x); [q k v] = h Wqkv (D x 3D); q *= 1/sqrt(Dh);
 *                K[p], V[p] = k, v (the KV cache); per head, causal:
 *                a = softmax(q . K[0..p]) V[0..p]; x += a Wo (D x D);
 *                h = LN2(x); x += GELU(h Wup (D x 4D)) Wdown (4D x D)
 *   logits = LNf(x) Wout (D x V); next token = argmax(logits) (first index on ties).
 *   LN(x) = (x - mean) * (1 / sqrt(var + 1e-5)) * g + b over the D features.
 *   GELU(x) = 0.5 x (1 + tanh(0.7978845608 (x + 0.044715 x^3))).
 * Generation: prefill runs the P prompt positions as one block (causal attention) and
 * its last position gives output token 0 (the first token); decode step j = 1 .. T-1
 * feeds token j-1 at position P + j - 1 and gives token j. So P + T - 1 positions go
 * through the model and the last token never does.
 * Input: P token ids, i32 (an id outside 0..V-1 is taken modulo V). Output: the T
 * generated ids, i32. wl_infer_tokens reports each id as soon as it is known.
 *
 * Counts (exact, under this convention): a multiply-add is 2 FLOPs; every scalar
 * add, sub, mul, div, sqrt, exp and tanh is 1; comparisons (max, argmax) and copies
 * are 0. Per position p, with n = p + 1 keys attended:
 *   embedding add D; per layer 24 D^2 + 4 n (D + H) + H + 55 D + 10, i.e.
 *   LN 8D+5 (x2), QKV 6D^2, q scale D, scores 2nD, softmax H (4n+1), AV 2nD,
 *   Wo 2D^2, residual D (x2), Wup 8D^2, GELU 9 x 4D, Wdown 8D^2;
 *   and at each position that yields a token: LNf 8D+5 and logits 2 D V.
 *   prefill_flops = sum over p < P of the position cost + one head;
 *   decode_flops  = sum over p = P .. P+T-2 of the position cost + one head each;
 *   flops = prefill_flops + decode_flops. MACs: per layer 12 D^2 + 2 n D, and D V per
 *   head.
 * Bytes moved (per inference): every pass (the prefill, then each of the T-1 decode
 *   steps) reads all layer and head weights once (fp32: 4 bytes each; int8: 1 byte
 *   per matrix element plus a 4-byte scale per output column; LN vectors stay fp32);
 *   each position reads one tok_emb and one pos_emb row (8D bytes) and, per layer,
 *   writes its K and V (8D bytes) and reads the K and V of its n keys (8nD bytes);
 *   plus the input (4P) and the output (4T). Activations are taken to stay in cache.
 * KV-cache bytes: 2 (K and V) x C x D x 4 bytes per layer, allocated per worker for
 *   the whole context, whatever P and T use: at long context it outgrows the weights.
 * Weights (wl_rng, one generator per tensor, seeded with wl_rng_derive(weight_seed, k),
 *   values in index order, matrices row-major in x out): k = 0 tok_emb (V x D,
 *   wl_rng_f32), 1 pos_emb (C x D, wl_rng_f32 scaled 0.5), then for layer l at
 *   k = 2 + 8l: ln1_g, ln1_b, Wqkv, Wo, ln2_g, ln2_b, Wup, Wdown; then k = 2 + 8L lnf_g,
 *   3 + 8L lnf_b, 4 + 8L Wout. LN gains are 1 + wl_rng_f32_scaled(0.1), LN biases
 *   wl_rng_f32_scaled(0.1), a matrix with fan-in F is wl_rng_f32_scaled(sqrt(3 / F))
 *   (unit variance out for unit variance in; sqrt in binary64, rounded to binary32).
 * int8 (precision=int8): weight-only. Each matrix column j gets the scale
 *   s_j = max_k |W[k][j]| / 127 and q = clamp(round-half-even(W / s_j), -127, 127);
 *   a product accumulates x * q in fp32 and multiplies by s_j at the end.
 *   Embeddings, LN and the KV cache stay fp32.
 * Samples: sample `index` from wl_rng seeded with wl_rng_derive(sample_seed, index): P
 *   ids, id = ((wl_rng_next() >> 32) * V) >> 32. total_sample_count 1024,
 *   performance_sample_count 256.
 * Scratch (per worker): the KV cache plus activations for P rows; see dec_layout().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/dataset.h"
#include "workloads/rng.h"
#include "workloads/wl_private.h"

#define DEC_SAMPLES 1024
#define DEC_LOADED 256
#define DEC_LN_EPS 1e-5f

const char wl_decoder_description[] =
    "transformer decoder (GPT-style, KV cache) generating tokens greedily: TTFT, TPOT, "
    "tokens/s, KV-cache bytes";

const wl_param_info wl_decoder_params[] = {
    {"d_model", "256", "model width D (8..4096, a multiple of heads)"},
    {"heads", "4", "attention heads H (1..256)"},
    {"layers", "1", "decoder layers L (1..64)"},
    {"context", "512", "KV-cache length C: most positions per sequence (2..131072)"},
    {"prompt_tokens", "64", "prompt length P (1..context)"},
    {"output_tokens", "32", "tokens generated per inference T (1..context; P+T-1 <= C)"},
    {"vocab", "2048", "vocabulary size V (2..262144)"},
    {"weight_seed", "1", "seed of the deterministic weights (wl_rng)"},
    {"sample_seed", "2", "seed of the deterministic prompts (wl_rng)"},
    {"precision", "fp32",
     "fp32 (reference) or int8 (weight-only, per-column scales; fp32 activations and "
     "KV cache)"},
    {NULL, NULL, NULL},
};

/* ---- parameters ------------------------------------------------------------------- */
/* key as an integer in lo..hi. */
static int dec_int(const wl_param_ctx *ctx, const char *key, uint64_t lo, uint64_t hi,
                   int *out)
{
  uint64_t v = 0;
  int rc = wl_param_u64(ctx, key, &v);
  if (rc != WL_OK)
    return rc;
  if (v < lo || v > hi) {
    wl_set_err(ctx->err, ctx->errlen,
               "workload '%s': %s=%s is not valid; accepted: an integer %llu..%llu",
               ctx->workload, key, wl_param_value(ctx, key), (unsigned long long)lo,
               (unsigned long long)hi);
    return WL_EPARAM;
  }
  *out = (int)v;
  return WL_OK;
}

/* The shape rules that tie parameters together. */
static int dec_check_shape(const wl_param_ctx *ctx, const wl_decoder *dc)
{
  if (dc->d % dc->heads) {
    wl_set_err(ctx->err, ctx->errlen,
               "workload 'decoder': d_model=%d is not a multiple of heads=%d; choose "
               "d_model = heads x head size", dc->d, dc->heads);
    return WL_EPARAM;
  }
  if (dc->prompt + dc->output - 1 > dc->context) {
    wl_set_err(ctx->err, ctx->errlen,
               "workload 'decoder': prompt_tokens=%d + output_tokens=%d - 1 positions do "
               "not fit context=%d; raise context or shorten the sequence", dc->prompt,
               dc->output, dc->context);
    return WL_EPARAM;
  }
  return WL_OK;
}

static const char *const dec_precisions[] = {"fp32", "int8", NULL};

static int dec_read_params(const wl_param_ctx *ctx, wl_model *m, wl_decoder *dc)
{
  int precision = 0;
  int rc = dec_int(ctx, "d_model", 8, 4096, &dc->d);
  if (rc == WL_OK)
    rc = dec_int(ctx, "heads", 1, 256, &dc->heads);
  if (rc == WL_OK)
    rc = dec_int(ctx, "layers", 1, 64, &dc->layers);
  if (rc == WL_OK)
    rc = dec_int(ctx, "context", 2, 131072, &dc->context);
  if (rc == WL_OK)
    rc = dec_int(ctx, "prompt_tokens", 1, 131072, &dc->prompt);
  if (rc == WL_OK)
    rc = dec_int(ctx, "output_tokens", 1, 131072, &dc->output);
  if (rc == WL_OK)
    rc = dec_int(ctx, "vocab", 2, 262144, &dc->vocab);
  if (rc == WL_OK)
    rc = wl_param_u64(ctx, "weight_seed", &m->info.weight_seed);
  if (rc == WL_OK)
    rc = wl_param_u64(ctx, "sample_seed", &m->info.sample_seed);
  if (rc == WL_OK)
    rc = wl_param_choice(ctx, "precision", dec_precisions, &precision);
  if (rc == WL_OK)
    rc = dec_check_shape(ctx, dc);
  dc->int8 = precision == 1;
  return rc;
}

/* ---- counts ----------------------------------------------------------------------- */
/* FLOPs of one position through the embedding and every layer, attending n keys. */
static uint64_t dec_position_flops(const wl_decoder *dc, uint64_t n)
{
  uint64_t d = (uint64_t)dc->d, h = (uint64_t)dc->heads;
  uint64_t layer = 24 * d * d + 4 * n * (d + h) + h + 55 * d + 10;
  return d + (uint64_t)dc->layers * layer;
}

/* FLOPs of the head: final LN and the logits. */
static uint64_t dec_head_flops(const wl_decoder *dc)
{
  uint64_t d = (uint64_t)dc->d;
  return 8 * d + 5 + 2 * d * (uint64_t)dc->vocab;
}

/* Bytes of every weight one pass reads (layers and head, not the embeddings). */
static uint64_t dec_pass_weight_bytes(const wl_decoder *dc)
{
  uint64_t d = (uint64_t)dc->d, v = (uint64_t)dc->vocab, L = (uint64_t)dc->layers;
  uint64_t elem = dc->int8 ? 1 : 4;
  uint64_t scales = dc->int8 ? 4 * (3 * d + d + 4 * d + d) : 0; /* per output column */
  uint64_t layer = 12 * d * d * elem + scales + 4 * d * 4;
  return L * layer + 2 * d * 4 + d * v * elem + (dc->int8 ? 4 * v : 0);
}

/* Sum over positions first .. first+count-1 of (p + 1): keys attended. */
static uint64_t dec_keys(uint64_t first, uint64_t count)
{
  uint64_t a = first + 1, b = first + count; /* sum of a..b */
  return count ? (a + b) * count / 2 : 0;
}

static void dec_fill_info(wl_info *info, const wl_decoder *dc)
{
  uint64_t d = (uint64_t)dc->d, v = (uint64_t)dc->vocab, c = (uint64_t)dc->context;
  uint64_t L = (uint64_t)dc->layers, P = (uint64_t)dc->prompt, T = (uint64_t)dc->output;
  uint64_t h = (uint64_t)dc->heads, N = P + T - 1; /* positions through the model */
  uint64_t layer_fixed = 24 * d * d + 4 * (d + h) + h + 55 * d + 10; /* n = 1 part */
  /* sum of dec_position_flops over a range: the n-free part plus 4 (D + H) per key
   * beyond the first, computed in closed form */
  uint64_t pre = P * (d + L * layer_fixed) + L * 4 * (d + h) * (dec_keys(0, P) - P);
  uint64_t dec = (T - 1) * (d + L * layer_fixed) + L * 4 * (d + h) * (dec_keys(P, T - 1) - (T - 1));
  info->input = (wl_tensor){WL_I32, 1, {dc->prompt, 0, 0, 0}};
  info->output = (wl_tensor){WL_I32, 1, {dc->output, 0, 0, 0}};
  info->params = v * d + c * d + L * (12 * d * d + 4 * d) + 2 * d + d * v;
  info->macs = L * (12 * d * d * N + d * dec_keys(0, N) * 2) + d * v * T;
  info->prefill_flops = pre + dec_head_flops(dc);
  info->decode_flops = dec + (T - 1) * dec_head_flops(dc);
  info->flops = info->prefill_flops + info->decode_flops;
  info->kv_cache_bytes = L * 2 * c * d * 4;
  info->bytes_moved = T * dec_pass_weight_bytes(dc) + N * 8 * d +
                      L * (N * 8 * d + 8 * d * dec_keys(0, N)) + 4 * P + 4 * T;
  info->prompt_tokens = P;
  info->output_tokens = T;
  info->context_tokens = c;
  info->total_sample_count = DEC_SAMPLES;
  info->performance_sample_count = DEC_LOADED;
}

uint64_t wl_decoder_position_flops(const wl_decoder *dc, uint64_t pos)
{
  return dec_position_flops(dc, pos + 1);
}

uint64_t wl_decoder_head_flops(const wl_decoder *dc)
{
  return dec_head_flops(dc);
}

/* ---- weights ---------------------------------------------------------------------- */
size_t wl_decoder_weight_count(const wl_decoder *dc)
{
  size_t d = (size_t)dc->d, v = (size_t)dc->vocab, c = (size_t)dc->context;
  return v * d + c * d + (size_t)dc->layers * (12 * d * d + 4 * d) + 2 * d + d * v;
}

/* Fill n floats of tensor k: LN gain, LN bias, or a matrix/embedding with scale. */
typedef enum { DEC_GAIN, DEC_BIAS, DEC_SCALED } dec_fill;

static float *dec_tensor(float **next, uint64_t seed, uint64_t k, size_t n, dec_fill kind,
                         float scale)
{
  float *t = *next;
  wl_rng r;
  wl_rng_seed(&r, wl_rng_derive(seed, k));
  if (kind == DEC_SCALED) {
    wl_rng_fill_f32(&r, t, n, scale);
  } else {
    for (size_t i = 0; i < n; i++)
      t[i] = (kind == DEC_GAIN ? 1.0f : 0.0f) + wl_rng_f32_scaled(&r, 0.1f);
  }
  *next = t + n;
  return t;
}

static float dec_fan_scale(int fan_in)
{
  return (float)sqrt(3.0 / (double)fan_in);
}

static wl_dec_matrix dec_matrix(float **next, uint64_t seed, uint64_t k, int rows, int cols)
{
  wl_dec_matrix mx = {rows, cols, NULL, NULL, NULL};
  mx.w = dec_tensor(next, seed, k, (size_t)rows * (size_t)cols, DEC_SCALED,
                    dec_fan_scale(rows));
  return mx;
}

static void dec_make_weights(wl_decoder *dc, uint64_t seed)
{
  int d = dc->d;
  float *p = dc->arena;
  dc->tok_emb = dec_tensor(&p, seed, 0, (size_t)dc->vocab * (size_t)d, DEC_SCALED, 1.0f);
  dc->pos_emb = dec_tensor(&p, seed, 1, (size_t)dc->context * (size_t)d, DEC_SCALED, 0.5f);
  for (int l = 0; l < dc->layers; l++) {
    wl_dec_layer *ly = &dc->layer[l];
    uint64_t k = 2 + 8 * (uint64_t)l;
    ly->ln1_g = dec_tensor(&p, seed, k, (size_t)d, DEC_GAIN, 0);
    ly->ln1_b = dec_tensor(&p, seed, k + 1, (size_t)d, DEC_BIAS, 0);
    ly->qkv = dec_matrix(&p, seed, k + 2, d, 3 * d);
    ly->o = dec_matrix(&p, seed, k + 3, d, d);
    ly->ln2_g = dec_tensor(&p, seed, k + 4, (size_t)d, DEC_GAIN, 0);
    ly->ln2_b = dec_tensor(&p, seed, k + 5, (size_t)d, DEC_BIAS, 0);
    ly->up = dec_matrix(&p, seed, k + 6, d, 4 * d);
    ly->down = dec_matrix(&p, seed, k + 7, 4 * d, d);
  }
  uint64_t k = 2 + 8 * (uint64_t)dc->layers;
  dc->lnf_g = dec_tensor(&p, seed, k, (size_t)d, DEC_GAIN, 0);
  dc->lnf_b = dec_tensor(&p, seed, k + 1, (size_t)d, DEC_BIAS, 0);
  dc->out = dec_matrix(&p, seed, k + 2, d, dc->vocab);
}

/* int8 copy of one matrix with per-column scales, from the quantization arenas. */
static void dec_quantize(wl_dec_matrix *mx, int8_t **q, float **s)
{
  size_t rows = (size_t)mx->k, cols = (size_t)mx->n;
  mx->q = *q;
  mx->scale = *s;
  for (size_t j = 0; j < cols; j++) {
    float amax = 0.0f;
    for (size_t i = 0; i < rows; i++)
      amax = fmaxf(amax, fabsf(mx->w[i * cols + j]));
    mx->scale[j] = amax > 0.0f ? amax / 127.0f : 1.0f;
  }
  for (size_t i = 0; i < rows; i++)
    for (size_t j = 0; j < cols; j++) {
      float r = nearbyintf(mx->w[i * cols + j] / mx->scale[j]);
      mx->q[i * cols + j] = (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : r);
    }
  *q += rows * cols;
  *s += cols;
}

static int dec_quantize_all(wl_decoder *dc)
{
  size_t d = (size_t)dc->d, L = (size_t)dc->layers, v = (size_t)dc->vocab;
  dc->qarena = malloc(L * 12 * d * d + d * v);
  dc->sarena = malloc(sizeof(float) * (L * 9 * d + v));
  if (!dc->qarena || !dc->sarena)
    return WL_ENOMEM;
  int8_t *q = dc->qarena;
  float *s = dc->sarena;
  for (size_t l = 0; l < L; l++) {
    dec_quantize(&dc->layer[l].qkv, &q, &s);
    dec_quantize(&dc->layer[l].o, &q, &s);
    dec_quantize(&dc->layer[l].up, &q, &s);
    dec_quantize(&dc->layer[l].down, &q, &s);
  }
  dec_quantize(&dc->out, &q, &s);
  return WL_OK;
}

static void dec_free(wl_decoder *dc)
{
  if (!dc)
    return;
  free(dc->arena);
  free(dc->qarena);
  free(dc->sarena);
  free(dc->layer);
  free(dc);
}

static void decoder_infer_tokens(const wl_model *m, const void *input, void *output,
                                 void *scratch, wl_token_fn on_token, void *ctx);

static int decoder_open(wl_model *m, const wl_param_ctx *ctx)
{
  wl_decoder *dc = calloc(1, sizeof *dc);
  if (!dc)
    return WL_ENOMEM;
  int rc = dec_read_params(ctx, m, dc);
  if (rc != WL_OK) {
    dec_free(dc);
    return rc;
  }
  dc->layer = calloc((size_t)dc->layers, sizeof *dc->layer);
  dc->arena = malloc(sizeof(float) * wl_decoder_weight_count(dc));
  rc = dc->layer && dc->arena ? WL_OK : WL_ENOMEM;
  if (rc == WL_OK)
    dec_make_weights(dc, m->info.weight_seed);
  if (rc == WL_OK && dc->int8)
    rc = dec_quantize_all(dc);
  if (rc != WL_OK) {
    wl_set_err(ctx->err, ctx->errlen, "workload 'decoder': out of memory for %zu weights",
               wl_decoder_weight_count(dc));
    dec_free(dc);
    return rc;
  }
  dec_fill_info(&m->info, dc);
  m->impl = dc;
  m->infer_tokens = decoder_infer_tokens;
  return WL_OK;
}

static void decoder_close(wl_model *m)
{
  dec_free(m->impl);
}

/* ---- scratch ------------------------------------------------------------------------ */
/* Where each buffer lives in a scratch sized for `rows` rows (floats, in order). */
typedef struct dec_buf {
  float *k, *v;        /* the KV cache: [layer][position][D] each */
  float *x, *h, *qkv, *att, *up;
  float *scores;       /* C */
  float *logits;       /* V */
} dec_buf;

static size_t dec_layout(const wl_decoder *dc, size_t rows, float *base, dec_buf *b)
{
  size_t d = (size_t)dc->d, kv = (size_t)dc->layers * (size_t)dc->context * d;
  size_t sizes[] = {kv, kv, rows * d, rows * d, rows * 3 * d, rows * d, rows * 4 * d,
                    (size_t)dc->context, (size_t)dc->vocab};
  float **slots[] = {&b->k, &b->v, &b->x, &b->h, &b->qkv, &b->att, &b->up, &b->scores,
                     &b->logits};
  size_t off = 0;
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    if (base)
      *slots[i] = base + off;
    off += (sizes[i] + 15) / 16 * 16; /* keep every buffer 64-byte aligned */
  }
  return off * sizeof(float);
}

size_t wl_decoder_scratch_bytes(const wl_decoder *dc, size_t rows)
{
  dec_buf unused;
  return dec_layout(dc, rows, NULL, &unused);
}

static size_t decoder_scratch_bytes(const wl_model *m)
{
  const wl_decoder *dc = m->impl;
  return wl_decoder_scratch_bytes(dc, (size_t)dc->prompt);
}

static void decoder_scratch_init(const wl_model *m, void *scratch, unsigned worker)
{
  /* nothing per thread: the cache and activations are written before they are read */
}

static void decoder_make_sample(const wl_model *m, uint64_t index, void *input)
{
  const wl_decoder *dc = m->impl;
  int32_t *ids = input;
  wl_rng r;
  wl_rng_seed(&r, wl_rng_derive(m->info.sample_seed, index));
  for (int i = 0; i < dc->prompt; i++)
    ids[i] = (int32_t)(((wl_rng_next(&r) >> 32) * (uint64_t)dc->vocab) >> 32);
}

/* ---- kernels -------------------------------------------------------------------------- */
#define DEC_VEC 8   /* columns per fixed-size inner loop: gcc -O2 makes it SIMD */
#define DEC_NB 256  /* columns of int8 weights widened to fp32 at a time */

/* c[j] += a[0] x[0][j] + ... + a[r-1] x[r-1][j] (x rows DEC_NB apart, r <= 4), the
 * products added one at a time in row order, in blocks of DEC_VEC. */
static void dec_axpy_rows(float *restrict c, const float *a, const float *restrict x,
                          int r, size_t n)
{
  size_t j = 0;
  for (; j + DEC_VEC <= n; j += DEC_VEC) {
    float acc[DEC_VEC];
    for (size_t v = 0; v < DEC_VEC; v++)
      acc[v] = c[j + v];
    for (int q = 0; q < r; q++)
      for (size_t v = 0; v < DEC_VEC; v++)
        acc[v] += a[q] * x[(size_t)q * DEC_NB + j + v];
    for (size_t v = 0; v < DEC_VEC; v++)
      c[j + v] = acc[v];
  }
  for (; j < n; j++)
    for (int q = 0; q < r; q++)
      c[j] += a[q] * x[(size_t)q * DEC_NB + j];
}

/* Widen cols int8 weights to fp32. */
static void dec_widen(float *restrict out, const int8_t *restrict q, size_t cols)
{
  size_t j = 0;
  for (; j + DEC_VEC <= cols; j += DEC_VEC)
    for (size_t v = 0; v < DEC_VEC; v++)
      out[j + v] = (float)q[j + v];
  for (; j < cols; j++)
    out[j] = (float)q[j];
}

/* The int8 product: for each block of DEC_NB columns and every 4 rows of W, the weight
 * segments are widened to fp32 once and added into each of the m rows; each c[i][j]
 * still sums a[i][k] * q[k][j] in ascending k from 0, then is scaled once. */
static void dec_matmul_i8(const wl_dec_matrix *w, const float *a, size_t m, float *c)
{
  size_t k = (size_t)w->k, n = (size_t)w->n;
  float wide[4 * DEC_NB];
  memset(c, 0, m * n * sizeof *c);
  for (size_t j0 = 0; j0 < n; j0 += DEC_NB) {
    size_t cols = n - j0 < DEC_NB ? n - j0 : DEC_NB;
    for (size_t k0 = 0; k0 < k; k0 += 4) {
      int r = (int)(k - k0 < 4 ? k - k0 : 4);
      for (int q = 0; q < r; q++)
        dec_widen(wide + (size_t)q * DEC_NB, w->q + (k0 + (size_t)q) * n + j0, cols);
      for (size_t i = 0; i < m; i++)
        dec_axpy_rows(c + i * n + j0, a + i * k + k0, wide, r, cols);
    }
  }
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++)
      c[i * n + j] *= w->scale[j];
}

/* c (m x n) = a (m x k) x W: fp32 through the gemm workload's blocked reference kernel,
 * int8 through dec_matmul_i8. */
static void dec_matmul(const wl_dec_matrix *w, const float *a, size_t m, float *c)
{
  if (w->q) {
    dec_matmul_i8(w, a, m, c);
    return;
  }
  wl_gemm g = {.m = (int)m, .n = w->n, .k = w->k, .b = (float *)w->w};
  wl_gemm_run(&g, a, c);
}

/* LayerNorm of `rows` rows of d features from x into y. */
static void dec_layernorm(const float *x, float *y, size_t rows, size_t d, const float *g,
                          const float *b)
{
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * d;
    float *yr = y + r * d;
    float sum = 0.0f, var = 0.0f;
    for (size_t i = 0; i < d; i++)
      sum += xr[i];
    float mean = sum / (float)d;
    for (size_t i = 0; i < d; i++)
      var += (xr[i] - mean) * (xr[i] - mean);
    float rstd = 1.0f / sqrtf(var / (float)d + DEC_LN_EPS);
    for (size_t i = 0; i < d; i++)
      yr[i] = (xr[i] - mean) * rstd * g[i] + b[i];
  }
}

static void dec_gelu(float *x, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    float v = x[i];
    x[i] = 0.5f * v * (1.0f + tanhf(0.7978845608f * (v + 0.044715f * v * v * v)));
  }
}

static void dec_add(float *x, const float *y, size_t n)
{
  for (size_t i = 0; i < n; i++)
    x[i] += y[i];
}

/* In-place softmax of n scores. */
static void dec_softmax(float *s, size_t n)
{
  float mx = s[0], sum = 0.0f;
  for (size_t j = 1; j < n; j++)
    mx = s[j] > mx ? s[j] : mx;
  for (size_t j = 0; j < n; j++) {
    s[j] = expf(s[j] - mx);
    sum += s[j];
  }
  float inv = 1.0f / sum;
  for (size_t j = 0; j < n; j++)
    s[j] *= inv;
}

/* One query row q (D, already scaled) against keys/values 0..n-1 of one layer's cache,
 * every head; result in out (D). */
static void dec_attend(const wl_decoder *dc, const float *q, const float *K, const float *V,
                       size_t n, float *out, float *scores)
{
  size_t d = (size_t)dc->d, dh = d / (size_t)dc->heads;
  for (size_t h = 0; h < (size_t)dc->heads; h++) {
    const float *qh = q + h * dh;
    for (size_t j = 0; j < n; j++) {
      const float *kj = K + j * d + h * dh;
      float s = 0.0f;
      for (size_t t = 0; t < dh; t++)
        s += qh[t] * kj[t];
      scores[j] = s;
    }
    dec_softmax(scores, n);
    float *oh = out + h * dh;
    memset(oh, 0, dh * sizeof *oh);
    for (size_t j = 0; j < n; j++) {
      const float *vj = V + j * d + h * dh;
      float p = scores[j];
      for (size_t t = 0; t < dh; t++)
        oh[t] += p * vj[t];
    }
  }
}

/* Layer l over `rows` rows of b->x at positions pos0 .. pos0+rows-1 (causal). */
static void dec_layer(const wl_decoder *dc, int l, const dec_buf *b, size_t rows, size_t pos0)
{
  const wl_dec_layer *ly = &dc->layer[l];
  size_t d = (size_t)dc->d, cache = (size_t)l * (size_t)dc->context * d;
  float qscale = (float)(1.0 / sqrt((double)(d / (size_t)dc->heads)));
  dec_layernorm(b->x, b->h, rows, d, ly->ln1_g, ly->ln1_b);
  dec_matmul(&ly->qkv, b->h, rows, b->qkv);
  for (size_t i = 0; i < rows; i++) {
    float *q = b->qkv + i * 3 * d;
    memcpy(b->k + cache + (pos0 + i) * d, q + d, d * sizeof *q);
    memcpy(b->v + cache + (pos0 + i) * d, q + 2 * d, d * sizeof *q);
  }
  for (size_t i = 0; i < rows; i++) {
    float *q = b->qkv + i * 3 * d;
    for (size_t t = 0; t < d; t++)
      q[t] *= qscale;
    dec_attend(dc, q, b->k + cache, b->v + cache, pos0 + i + 1, b->att + i * d, b->scores);
  }
  dec_matmul(&ly->o, b->att, rows, b->h);
  dec_add(b->x, b->h, rows * d);
  dec_layernorm(b->x, b->h, rows, d, ly->ln2_g, ly->ln2_b);
  dec_matmul(&ly->up, b->h, rows, b->up);
  dec_gelu(b->up, rows * 4 * d);
  dec_matmul(&ly->down, b->up, rows, b->h);
  dec_add(b->x, b->h, rows * d);
}

/* Embed `rows` tokens at positions pos0.. into b->x and run every layer. */
static void dec_forward(const wl_decoder *dc, const dec_buf *b, const int32_t *ids,
                        size_t rows, size_t pos0)
{
  size_t d = (size_t)dc->d;
  for (size_t i = 0; i < rows; i++) {
    size_t tok = (size_t)((uint32_t)ids[i] % (uint32_t)dc->vocab);
    const float *te = dc->tok_emb + tok * d, *pe = dc->pos_emb + (pos0 + i) * d;
    for (size_t t = 0; t < d; t++)
      b->x[i * d + t] = te[t] + pe[t];
  }
  for (int l = 0; l < dc->layers; l++)
    dec_layer(dc, l, b, rows, pos0);
}

/* Logits of activation row x (D) into logits (V); returns the greedy token. */
static int32_t dec_head(const wl_decoder *dc, const dec_buf *b, const float *x, float *logits)
{
  size_t d = (size_t)dc->d;
  dec_layernorm(x, b->h, 1, d, dc->lnf_g, dc->lnf_b);
  dec_matmul(&dc->out, b->h, 1, logits);
  return (int32_t)wl_argmax(logits, (size_t)dc->vocab);
}

void wl_decoder_generate(const wl_decoder *dc, const int32_t *prompt, int32_t *out,
                         void *scratch, float *step_logits, wl_token_fn on_token, void *ctx)
{
  dec_buf b;
  size_t d = (size_t)dc->d, v = (size_t)dc->vocab, P = (size_t)dc->prompt;
  dec_layout(dc, P, scratch, &b);
  dec_forward(dc, &b, prompt, P, 0);
  for (size_t j = 0; j < (size_t)dc->output; j++) {
    if (j > 0)
      dec_forward(dc, &b, &out[j - 1], 1, P + j - 1);
    const float *last = b.x + (j == 0 ? (P - 1) * d : 0);
    float *logits = step_logits ? step_logits + j * v : b.logits;
    out[j] = dec_head(dc, &b, last, logits);
    if (on_token)
      on_token(ctx, j, out[j]);
  }
}

void wl_decoder_logits_all(const wl_decoder *dc, const int32_t *ids, size_t n, float *logits,
                           void *scratch)
{
  dec_buf b;
  size_t d = (size_t)dc->d, v = (size_t)dc->vocab;
  dec_layout(dc, n, scratch, &b);
  dec_forward(dc, &b, ids, n, 0);
  for (size_t i = 0; i < n; i++)
    dec_head(dc, &b, b.x + i * d, logits + i * v);
}

static void decoder_infer_tokens(const wl_model *m, const void *input, void *output,
                                 void *scratch, wl_token_fn on_token, void *ctx)
{
  wl_decoder_generate(m->impl, input, output, scratch, NULL, on_token, ctx);
}

static void decoder_infer(const wl_model *m, const void *input, void *output, void *scratch)
{
  decoder_infer_tokens(m, input, output, scratch, NULL, NULL);
}

const wl_ops wl_decoder_ops = {
    decoder_open,        decoder_close, decoder_scratch_bytes, decoder_scratch_init,
    decoder_make_sample, decoder_infer, NULL, NULL, /* no batch path: one sequence at a time */
};
