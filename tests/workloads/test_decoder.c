/*
 * tests/workloads/test_decoder.c - the `decoder` workload (workloads/decoder.c):
 * shapes, exact parameter / FLOP / MAC / byte / KV-cache counts against hand-computed
 * numbers, the weights and generated tokens pinned by hash, the KV-cache path equal to
 * a full causal recompute, the token callback, int8 against fp32, parameter errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"
#include "workloads/workload.h"

/* Open decoder with "key=value" pairs (NULL-terminated); asserts success. */
static wl_model *open_decoder(const char *const *kv)
{
  wl_params p;
  wl_params_init(&p);
  for (; kv && *kv; kv++) {
    char key[32];
    const char *eq = strchr(*kv, '=');
    snprintf(key, sizeof key, "%.*s", (int)(eq - *kv), *kv);
    assert_int_equal(wl_params_set(&p, key, eq + 1), WL_OK);
  }
  char err[256] = "";
  wl_model *m = NULL;
  int rc = wl_open(&m, "decoder", &p, err, sizeof err);
  if (rc != WL_OK)
    fail_msg("wl_open: %s", err);
  return m;
}

/* d=8, H=2, L=1, C=8, P=3, T=2, V=16: small enough to count by hand. */
static const char *const tiny[] = {"d_model=8", "heads=2", "context=8", "prompt_tokens=3",
                                   "output_tokens=2", "vocab=16", NULL};

static void test_default_shapes(void **state)
{
  wl_model *m = open_decoder(NULL);
  const wl_info *i = wl_model_info(m);
  char buf[64];
  assert_string_equal(wl_tensor_format(&i->input, buf, sizeof buf), "64 i32");
  assert_string_equal(wl_tensor_format(&i->output, buf, sizeof buf), "32 i32");
  assert_int_equal(i->prompt_tokens, 64);
  assert_int_equal(i->output_tokens, 32);
  assert_int_equal(i->context_tokens, 512);
  /* V*D + C*D + L*(12 D^2 + 4D) + 2D + D*V with D 256, V 2048, C 512, L 1:
   * 524288 + 131072 + 787456 + 512 + 524288 */
  assert_int_equal(i->params, 1967616);
  /* 2 x 512 x 256 x 4 bytes */
  assert_int_equal(i->kv_cache_bytes, 1048576);
  assert_int_equal(i->flops, i->prefill_flops + i->decode_flops);
  assert_int_equal(i->total_sample_count, 1024);
  assert_int_equal(i->performance_sample_count, 256);
  const wl_decoder *dc = m->impl;
  assert_int_equal(wl_decoder_weight_count(dc), i->params);
  wl_close(m);
}

static void test_tiny_counts(void **state)
{
  wl_model *m = open_decoder(tiny);
  const wl_info *i = wl_model_info(m);
  /* position with n keys: D + 24 D^2 + 4n(D+H) + H + 55D + 10 = 1996 + 40n;
   * head: 8D + 5 + 2DV = 325.
   * prefill: n = 1, 2, 3: 3 x 1996 + 40 x 6 + 325 = 6553
   * decode: one step at n = 4: 1996 + 160 + 325 = 2481 */
  assert_int_equal(i->prefill_flops, 6553);
  assert_int_equal(i->decode_flops, 2481);
  assert_int_equal(i->flops, 9034);
  /* 4 positions: 12 D^2 x 4 = 3072, 2D x (1+2+3+4) = 160; heads D V T = 256 */
  assert_int_equal(i->macs, 3488);
  /* 128 + 64 + (768 + 32) + 16 + 128 */
  assert_int_equal(i->params, 1136);
  /* 2 x C x D x 4 */
  assert_int_equal(i->kv_cache_bytes, 512);
  /* per pass: 12 D^2 x 4 + 4D x 4 + 2D x 4 + D V x 4 = 3776, two passes 7552;
   * embeddings 4 x 8D = 256; KV 4 x 8D + 8D x 10 = 896; input 12, output 8 */
  assert_int_equal(i->bytes_moved, 8724);
  const wl_decoder *dc = m->impl;
  uint64_t sum = wl_decoder_head_flops(dc) * 2;
  for (uint64_t p = 0; p < 4; p++)
    sum += wl_decoder_position_flops(dc, p);
  assert_int_equal(sum, i->flops);
  wl_close(m);
}

static void test_tiny_int8_bytes(void **state)
{
  const char *kv[] = {"d_model=8", "heads=2", "context=8", "prompt_tokens=3",
                      "output_tokens=2", "vocab=16", "precision=int8", NULL};
  wl_model *m = open_decoder(kv);
  /* per pass: 12 D^2 x 1 + 9D x 4 (scales) + 4D x 4 + 2D x 4 + D V x 1 + V x 4 = 1440,
   * two passes 2880; the rest as fp32: 256 + 896 + 20 */
  assert_int_equal(wl_model_info(m)->bytes_moved, 4052);
  assert_int_equal(wl_model_info(m)->flops, 9034);
  wl_close(m);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

#define FNV_BASIS 0xcbf29ce484222325ull
/* Pinned at the first run: a change means every SUT's model or samples changed. */
#define WEIGHTS_HASH 0x93f2a4de19511e74ull
#define PROMPTS_HASH 0x3005138017acd00bull
#define TOKENS_HASH 0x818949de7415a725ull

/* Weights come from integer arithmetic and a correctly rounded sqrt: the same bytes on
 * every platform. The tokens also depend on expf/tanhf, which argmax rarely feels. */
static void test_determinism_hashes(void **state)
{
  wl_model *m = open_decoder(NULL);
  const wl_decoder *dc = m->impl;
  uint64_t wh = fnv1a(FNV_BASIS, dc->arena, sizeof(float) * wl_decoder_weight_count(dc));
  void *scratch = aligned_alloc(64, wl_scratch_bytes(m));
  int32_t prompt[64], out[32];
  uint64_t th = FNV_BASIS, ph = FNV_BASIS;
  for (uint64_t s = 0; s < 4; s++) {
    wl_make_sample(m, s, prompt);
    ph = fnv1a(ph, prompt, sizeof prompt);
    wl_infer(m, prompt, out, scratch);
    th = fnv1a(th, out, sizeof out);
  }
  printf("weights %016llx prompts %016llx tokens %016llx\n", (unsigned long long)wh,
         (unsigned long long)ph, (unsigned long long)th);
  assert_true(wh == WEIGHTS_HASH);
  assert_true(ph == PROMPTS_HASH);
  assert_true(th == TOKENS_HASH);
  free(scratch);
  wl_close(m);
}

/* The KV-cache path (prefill + one position per step) gives the same logits as one
 * causal pass over the whole sequence from an empty cache, at every step. */
static void check_kv_cache(const char *const *kv)
{
  wl_model *m = open_decoder(kv);
  const wl_decoder *dc = m->impl;
  size_t P = (size_t)dc->prompt, T = (size_t)dc->output, V = (size_t)dc->vocab;
  size_t N = P + T - 1;
  int32_t *seq = calloc(P + T, sizeof *seq);
  float *steps = calloc(T * V, sizeof *steps), *full = calloc(N * V, sizeof *full);
  void *s1 = aligned_alloc(64, wl_scratch_bytes(m));
  void *s2 = aligned_alloc(64, wl_decoder_scratch_bytes(dc, N));
  wl_make_sample(m, 3, seq);
  wl_decoder_generate(dc, seq, seq + P, s1, steps, NULL, NULL);
  wl_decoder_logits_all(dc, seq, N, full, s2);
  double worst = 0;
  for (size_t j = 0; j < T; j++) {
    const float *a = steps + j * V, *b = full + (P - 1 + j) * V;
    for (size_t v = 0; v < V; v++)
      worst = fmax(worst, fabs((double)a[v] - (double)b[v]));
    size_t best = 0;
    for (size_t v = 1; v < V; v++)
      best = b[v] > b[best] ? v : best;
    assert_int_equal(best, seq[P + j]);
  }
  assert_true(worst <= 1e-5);
  /* the tokens really depend on the history: not all equal */
  bool varied = false;
  for (size_t j = 1; j < T; j++)
    varied |= seq[P + j] != seq[P];
  assert_true(varied);
  free(seq), free(steps), free(full), free(s1), free(s2);
  wl_close(m);
}

static void test_kv_cache_equals_full_recompute(void **state)
{
  const char *kv[] = {"d_model=32", "heads=4", "layers=2", "context=24", "prompt_tokens=5",
                      "output_tokens=12", "vocab=64", NULL};
  check_kv_cache(kv);
  const char *kv8[] = {"d_model=32", "heads=4", "layers=2", "context=24", "prompt_tokens=5",
                       "output_tokens=12", "vocab=64", "precision=int8", NULL};
  check_kv_cache(kv8);
}

typedef struct heard {
  uint64_t calls;
  int32_t tokens[64];
  bool in_order;
} heard;

static void on_token(void *ctx, uint64_t i, int32_t token)
{
  heard *h = ctx;
  h->in_order &= i == h->calls;
  if (i < 64)
    h->tokens[i] = token;
  h->calls++;
}

static void test_token_callback(void **state)
{
  const char *kv[] = {"d_model=16", "heads=2", "context=16", "prompt_tokens=4",
                      "output_tokens=6", "vocab=32", NULL};
  wl_model *m = open_decoder(kv);
  void *scratch = aligned_alloc(64, wl_scratch_bytes(m));
  int32_t prompt[4], out[6], again[6];
  wl_make_sample(m, 0, prompt);
  heard h = {.in_order = true};
  wl_infer_tokens(m, prompt, out, scratch, on_token, &h);
  assert_int_equal(h.calls, 6);
  assert_true(h.in_order);
  assert_memory_equal(h.tokens, out, sizeof out);
  wl_infer(m, prompt, again, scratch);
  assert_memory_equal(again, out, sizeof out);
  for (int i = 0; i < 6; i++)
    assert_true(out[i] >= 0 && out[i] < 32);
  free(scratch);
  wl_close(m);
  /* a workload that generates no tokens never calls back */
  wl_params p;
  wl_params_init(&p);
  wl_params_set(&p, "m", "2"), wl_params_set(&p, "n", "2"), wl_params_set(&p, "k", "2");
  assert_int_equal(wl_open(&m, "gemm", &p, NULL, 0), WL_OK);
  float a[4] = {1, 2, 3, 4}, c[4];
  heard none = {.in_order = true};
  wl_infer_tokens(m, a, c, NULL, on_token, &none);
  assert_int_equal(none.calls, 0);
  assert_int_equal(wl_model_info(m)->output_tokens, 0);
  wl_close(m);
}

/* int8 (weight-only) against the fp32 reference of the same weights, as the accuracy
 * mode measures it. */
static void test_int8_agrees_with_fp32(void **state)
{
  const char *f[] = {"output_tokens=8", NULL};
  const char *q[] = {"output_tokens=8", "precision=int8", NULL};
  wl_model *mf = open_decoder(f), *mq = open_decoder(q);
  void *sf = aligned_alloc(64, wl_scratch_bytes(mf)), *sq = aligned_alloc(64, wl_scratch_bytes(mq));
  int32_t prompt[64], of[8], oq[8];
  wl_accuracy a;
  wl_accuracy_init(&a);
  for (uint64_t s = 0; s < 16; s++) {
    wl_make_sample(mf, s, prompt);
    wl_infer(mf, prompt, of, sf);
    wl_infer(mq, prompt, oq, sq);
    wl_accuracy_add(mq, &a, oq, of);
  }
  printf("int8: first token %llu/16, tokens %llu/%llu\n", (unsigned long long)a.top1_agree,
         (unsigned long long)a.tokens_agree, (unsigned long long)a.tokens);
  assert_int_equal(a.samples, 16);
  assert_int_equal(a.tokens, 128);
  assert_true(a.top1_agree >= 15);
  assert_true(a.tokens_agree >= 100);
  free(sf), free(sq);
  wl_close(mf), wl_close(mq);
}

static void test_token_accuracy_math(void **state)
{
  wl_model *m = open_decoder(tiny);
  wl_accuracy a;
  wl_accuracy_init(&a);
  int32_t ref[2] = {5, 9}, same[2] = {5, 9}, late[2] = {5, 1}, early[2] = {4, 9};
  wl_accuracy_add(m, &a, same, ref);
  assert_true(a.max_abs_error == 0.0);
  wl_accuracy_add(m, &a, late, ref);
  wl_accuracy_add(m, &a, early, ref);
  wl_accuracy_add(m, &a, NULL, ref);
  assert_int_equal(a.samples, 4);
  assert_int_equal(a.missing, 1);
  assert_int_equal(a.top1_agree, 2);
  assert_int_equal(a.tokens, 6);
  assert_int_equal(a.tokens_agree, 3); /* 2 + 1 + 0: nothing after a divergence counts */
  assert_true(a.max_abs_error == 1.0);
  wl_close(m);
}

static void expect_param_error(const char *key, const char *value, const char *needle)
{
  wl_params p;
  wl_params_init(&p);
  assert_int_equal(wl_params_set(&p, key, value), WL_OK);
  char err[256] = "";
  wl_model *m = NULL;
  assert_int_equal(wl_open(&m, "decoder", &p, err, sizeof err), WL_EPARAM);
  assert_null(m);
  if (!strstr(err, needle))
    fail_msg("message '%s' lacks '%s'", err, needle);
}

static void test_param_errors(void **state)
{
  expect_param_error("heads", "3", "not a multiple of heads=3");
  expect_param_error("output_tokens", "500", "do not fit context=512");
  expect_param_error("d_model", "4", "d_model=4 is not valid; accepted: an integer 8..4096");
  expect_param_error("vocab", "x", "vocab=x is not valid");
  expect_param_error("precision", "fp16", "fp32, int8");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_shapes),
      cmocka_unit_test(test_tiny_counts),
      cmocka_unit_test(test_tiny_int8_bytes),
      cmocka_unit_test(test_determinism_hashes),
      cmocka_unit_test(test_kv_cache_equals_full_recompute),
      cmocka_unit_test(test_token_callback),
      cmocka_unit_test(test_int8_agrees_with_fp32),
      cmocka_unit_test(test_token_accuracy_math),
      cmocka_unit_test(test_param_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
