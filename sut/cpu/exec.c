/*
 * sut/cpu/exec.c - run samples on one thread and complete them through libloadgen.
 *
 * Nothing here allocates or locks: buffers come from sut_exec_init, and lg_complete
 * is lock-free. Samples go through the workload's fast path (wl_infer_batch) a group
 * at a time. Each response's data points at this executor's output buffer, which
 * stays untouched until lg_complete returns (loadgen copies what it keeps). A token
 * generator (decoder) runs one sample at a time instead: it signals its first token
 * with lg_first_token from inside the inference and completes with its token count.
 */
#include "sut/cpu/exec.h"

#include <stdlib.h>
#include <string.h>

#include "sut/sut.h"

int sut_exec_init(sut_exec *e, const wl_model *m, const sut_store *st, size_t batch,
                  unsigned worker, _Atomic uint64_t *not_loaded)
{
  const wl_info *info = wl_model_info(m);
  memset(e, 0, sizeof *e);
  e->model = m;
  e->store = st;
  e->not_loaded = not_loaded;
  e->out_bytes = wl_tensor_bytes(&info->output);
  e->out_stride = ((e->out_bytes ? e->out_bytes : 1) + 63) / 64 * 64;
  e->group = batch > 1 ? batch : 1;
  size_t scratch = (wl_batch_scratch_bytes(m, e->group) + 63) / 64 * 64;
  e->scratch = aligned_alloc(64, scratch ? scratch : 64);
  e->outputs = aligned_alloc(64, e->group * e->out_stride);
  e->responses = calloc(e->group, sizeof *e->responses);
  e->inputs = calloc(e->group, sizeof *e->inputs);
  e->outs = calloc(e->group, sizeof *e->outs);
  if (!e->scratch || !e->outputs || !e->responses || !e->inputs || !e->outs) {
    sut_exec_destroy(e);
    return SUT_ENOMEM;
  }
  for (size_t k = 0; k < e->group; k++)
    e->outs[k] = e->outputs + k * e->out_stride;
  wl_scratch_init(m, e->scratch, worker);
  return SUT_OK;
}

void sut_exec_destroy(sut_exec *e)
{
  free(e->scratch);
  free(e->outputs);
  free(e->responses);
  free(e->inputs);
  free(e->outs);
  e->scratch = NULL;
  e->outputs = NULL;
  e->responses = NULL;
  e->inputs = NULL;
  e->outs = NULL;
}

/* Infer the k gathered samples as one batch and complete them with one call. */
static void run_group(sut_exec *e, lg_test *t, size_t k)
{
  if (!k)
    return;
  wl_infer_batch(e->model, e->inputs, e->outs, k, e->scratch);
  lg_complete(t, e->responses, k);
}

/* Where a generated token goes: the test and the sample it belongs to. */
typedef struct exec_tokens {
  lg_test *t;
  uint64_t id;
} exec_tokens;

static void on_token(void *ctx, uint64_t i, int32_t token)
{
  const exec_tokens *x = ctx;
  if (i == 0)
    lg_first_token(x->t, &(lg_response){x->id, NULL, 0, 0}, 1);
}

/* One sample of a token generator, completed on its own with its token count. */
static void run_tokens(sut_exec *e, lg_test *t, const lg_sample *s, const void *input,
                       uint64_t tokens)
{
  exec_tokens x = {t, s->id};
  wl_infer_tokens(e->model, input, e->outs[0], e->scratch, on_token, &x);
  lg_response r = {s->id, e->out_bytes ? e->outs[0] : NULL, e->out_bytes, tokens};
  lg_complete(t, &r, 1);
}

void sut_exec_run(sut_exec *e, lg_test *t, const lg_sample *samples, size_t n)
{
  size_t k = 0;
  uint64_t tokens = wl_model_info(e->model)->output_tokens;
  for (size_t i = 0; i < n; i++) {
    const void *input = sut_store_input(e->store, samples[i].index);
    if (!input) {
      atomic_fetch_add_explicit(e->not_loaded, 1, memory_order_relaxed);
      continue;
    }
    if (tokens) {
      run_tokens(e, t, &samples[i], input, tokens);
      continue;
    }
    e->inputs[k] = input;
    e->responses[k] = (lg_response){samples[i].id, e->out_bytes ? e->outs[k] : NULL,
                                    e->out_bytes, 0};
    if (++k == e->group) {
      run_group(e, t, k);
      k = 0;
    }
  }
  run_group(e, t, k);
}
