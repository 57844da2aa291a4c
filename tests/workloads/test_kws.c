/*
 * tests/workloads/test_kws.c - the kws01 DS-CNN workload: exact parameter, MAC, FLOP
 * and byte counts, layer shapes, the documented sample recipe, determinism, pinned
 * reference logits, scratch independence and a class spread across samples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/model.h"
#include "workloads/rng.h"
#include "workloads/wl_private.h"
#include "workloads/workload.h"

#define IN_ELEMS 490
#define CLASSES 12

typedef struct fixture {
  wl_model *m;
  void *scratch;
} fixture;

static wl_model *open_kws(const char *key, const char *value)
{
  wl_params p;
  wl_model *m = NULL;
  char err[256];
  wl_params_init(&p);
  if (key)
    assert_int_equal(wl_params_set(&p, key, value), WL_OK);
  assert_int_equal(wl_open(&m, "kws", &p, err, sizeof err), WL_OK);
  return m;
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof *f);
  f->m = open_kws(NULL, NULL);
  f->scratch = malloc(wl_scratch_bytes(f->m));
  wl_scratch_init(f->m, f->scratch, 0);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  wl_close(f->m);
  free(f->scratch);
  free(f);
  return 0;
}

static int argmax(const float *v)
{
  int best = 0;
  for (int i = 1; i < CLASSES; i++)
    if (v[i] > v[best])
      best = i;
  return best;
}

static void infer_sample(const fixture *f, uint64_t index, float *out)
{
  float in[IN_ELEMS];
  wl_make_sample(f->m, index, in);
  wl_infer(f->m, in, out, f->scratch);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_counts(void **state)
{
  const fixture *f = *state;
  const wl_info *i = wl_model_info(f->m);
  char buf[64];
  assert_string_equal(i->name, "kws");
  assert_int_equal(i->params, 22604);
  assert_int_equal(i->macs, 2656768);
  /* 2*MACs + bias adds 72,012 + ReLUs 72,000 + pool 8,000 adds and 64 scalings */
  assert_int_equal(i->flops, 2 * 2656768 + 72012 + 72000 + 8064);
  /* 4*(params + 490 in + 12 out) + 8*(9 activations of 8,000 + 64 pooled) */
  assert_int_equal(i->bytes_moved, 4 * (22604 + 490 + 12) + 8 * (9 * 8000 + 64));
  assert_string_equal(wl_tensor_format(&i->input, buf, sizeof buf), "49x10x1 f32");
  assert_string_equal(wl_tensor_format(&i->output, buf, sizeof buf), "12 f32");
  assert_int_equal(wl_tensor_bytes(&i->input), IN_ELEMS * 4);
  assert_int_equal(i->total_sample_count, 1024);
  assert_int_equal(i->performance_sample_count, 1024);
  assert_int_equal(i->weight_seed, 1);
  assert_int_equal(i->sample_seed, 2);
  assert_false(i->compute_free);
  assert_int_equal(wl_scratch_bytes(f->m), 2 * 8000 * sizeof(float));
}

static void test_shapes(void **state)
{
  const fixture *f = *state;
  const wl_net *net = f->m->impl;
  assert_int_equal(net->n_layers, 11);
  const wl_layer_plan *conv = &net->layers[0];
  assert_int_equal(conv->out_h, 25);
  assert_int_equal(conv->out_w, 5);
  assert_int_equal(conv->out_c, 64);
  assert_int_equal(conv->pad_top, 4);  /* total 9 */
  assert_int_equal(conv->pad_left, 1); /* total 2 */
  for (int i = 1; i <= 8; i++) {
    assert_int_equal(net->layers[i].layer.op, i % 2 ? WL_OP_DWCONV : WL_OP_CONV);
    assert_int_equal(net->layers[i].out_h * net->layers[i].out_w, 125);
    assert_int_equal(net->layers[i].out_c, 64);
    assert_true(net->layers[i].layer.relu);
  }
  assert_int_equal(net->layers[9].layer.op, WL_OP_AVGPOOL);
  assert_int_equal(net->layers[9].out_c, 64);
  assert_int_equal(net->layers[10].layer.op, WL_OP_DENSE);
  assert_int_equal(net->layers[10].out_c, CLASSES);
  assert_false(net->layers[10].layer.relu);
}

/* Sample bytes follow kws.c's recipe, recomputed here with wl_rng. */
static void test_sample_recipe(void **state)
{
  const fixture *f = *state;
  float x[IN_ELEMS], again[IN_ELEMS];
  static const float pinned[4] = {0.602186501f, -0.814202011f, 0.772568226f,
                                  -0.345727742f};
  for (uint64_t index = 0; index < 5; index++) {
    wl_rng r;
    float mean[10];
    wl_make_sample(f->m, index, x);
    wl_rng_seed(&r, wl_rng_derive(2, index));
    for (int c = 0; c < 10; c++)
      mean[c] = wl_rng_f32(&r);
    for (int i = 0; i < IN_ELEMS; i++)
      assert_true(x[i] == mean[i % 10] + wl_rng_f32(&r) * 0.5f);
    wl_make_sample(f->m, index, again);
    assert_memory_equal(x, again, sizeof x);
  }
  wl_make_sample(f->m, 0, x);
  assert_memory_equal(x, pinned, sizeof pinned);
  wl_make_sample(f->m, 1, again);
  assert_memory_not_equal(x, again, sizeof x);
}

/* Reference logits of sample 0 with the default seeds: a change here means the
 * documented weight or sample recipe changed, and every other SUT would disagree. */
static void test_pinned_logits(void **state)
{
  static const float expect[CLASSES] = {
      0.027664125f,  -0.0382595509f, -0.069878757f, 0.143314928f,
      0.0920823663f, -0.119405858f,  -0.173132122f, 0.211622849f,
      -0.081606701f, 0.0220328961f,  -0.031466037f, 0.0159430858f};
  const fixture *f = *state;
  float out[CLASSES];
  infer_sample(f, 0, out);
  for (int i = 0; i < CLASSES; i++)
    assert_true(fabsf(out[i] - expect[i]) < 1e-6f);
}

/* Same output from a fresh model and from a NaN-poisoned scratch: nothing leaks from
 * one inference to the next, and the weights come out the same every time. */
static void test_deterministic(void **state)
{
  const fixture *f = *state;
  float a[CLASSES], b[CLASSES], in[IN_ELEMS];
  infer_sample(f, 7, a);
  wl_model *m2 = open_kws(NULL, NULL);
  size_t n = wl_scratch_bytes(m2);
  float *poison = malloc(n);
  for (size_t i = 0; i < n / sizeof(float); i++)
    poison[i] = NAN;
  wl_make_sample(m2, 7, in);
  wl_infer(m2, in, b, poison);
  assert_memory_equal(a, b, sizeof a);
  wl_infer(m2, in, b, poison);
  assert_memory_equal(a, b, sizeof a);
  free(poison);
  wl_close(m2);
}

static void test_seeds_change_things(void **state)
{
  const fixture *f = *state;
  float a[CLASSES], b[CLASSES], x[IN_ELEMS], y[IN_ELEMS];
  wl_model *w = open_kws("weight_seed", "5");
  wl_model *s = open_kws("sample_seed", "5");
  void *scratch = malloc(wl_scratch_bytes(w));
  wl_make_sample(f->m, 3, x);
  wl_make_sample(s, 3, y);
  assert_memory_not_equal(x, y, sizeof x);
  wl_make_sample(w, 3, y);
  assert_memory_equal(x, y, sizeof x); /* weight_seed leaves samples alone */
  wl_infer(f->m, x, a, f->scratch);
  wl_infer(w, x, b, scratch);
  assert_memory_not_equal(a, b, sizeof a);
  assert_int_equal(wl_model_info(w)->weight_seed, 5);
  free(scratch);
  wl_close(w);
  wl_close(s);
}

/* Outputs are sane and the predicted class varies: top-1 agreement means something. */
static void test_argmax_spread(void **state)
{
  const fixture *f = *state;
  int hist[CLASSES] = {0}, distinct = 0, most = 0;
  for (uint64_t i = 0; i < 64; i++) {
    float out[CLASSES];
    infer_sample(f, i, out);
    for (int k = 0; k < CLASSES; k++)
      assert_true(isfinite(out[k]) && fabsf(out[k]) < 100.0f);
    hist[argmax(out)]++;
  }
  for (int k = 0; k < CLASSES; k++) {
    distinct += hist[k] > 0;
    most = hist[k] > most ? hist[k] : most;
  }
  assert_true(distinct >= 4);
  assert_true(most <= 32);
}

static void test_accuracy_against_itself(void **state)
{
  const fixture *f = *state;
  wl_accuracy acc;
  wl_accuracy_init(&acc);
  for (uint64_t i = 0; i < 8; i++) {
    float out[CLASSES], ref[CLASSES];
    infer_sample(f, i, out);
    infer_sample(f, i, ref);
    wl_accuracy_add(f->m, &acc, out, ref);
  }
  assert_int_equal(acc.samples, 8);
  assert_int_equal(acc.top1_agree, 8);
  assert_true(acc.max_abs_error == 0.0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counts),
      cmocka_unit_test(test_shapes),
      cmocka_unit_test(test_sample_recipe),
      cmocka_unit_test(test_pinned_logits),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_seeds_change_things),
      cmocka_unit_test(test_argmax_spread),
      cmocka_unit_test(test_accuracy_against_itself),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
