/*
 * sut/cpu/exec.c - run samples on one thread and complete them through libloadgen.
 *
 * Nothing here allocates or locks: buffers come from sut_exec_init, and lg_complete
 * is lock-free. Each response's data points at this executor's output buffer, which
 * stays untouched until lg_complete returns (loadgen copies what it keeps).
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
  e->group = info->compute_free && batch > 1 ? batch : 1;
  size_t scratch = (wl_scratch_bytes(m) + 63) / 64 * 64;
  e->scratch = aligned_alloc(64, scratch ? scratch : 64);
  e->outputs = aligned_alloc(64, e->group * e->out_stride);
  e->responses = calloc(e->group, sizeof *e->responses);
  if (!e->scratch || !e->outputs || !e->responses) {
    sut_exec_destroy(e);
    return SUT_ENOMEM;
  }
  wl_scratch_init(m, e->scratch, worker);
  return SUT_OK;
}

void sut_exec_destroy(sut_exec *e)
{
  free(e->scratch);
  free(e->outputs);
  free(e->responses);
  e->scratch = NULL;
  e->outputs = NULL;
  e->responses = NULL;
}

/* Infer one sample into output slot k and fill response k; false when the sample is
 * not resident (counted). */
static bool infer_one(sut_exec *e, const lg_sample *s, size_t k)
{
  const void *input = sut_store_input(e->store, s->index);
  if (!input) {
    atomic_fetch_add_explicit(e->not_loaded, 1, memory_order_relaxed);
    return false;
  }
  unsigned char *out = e->outputs + k * e->out_stride;
  wl_infer(e->model, input, out, e->scratch);
  e->responses[k] = (lg_response){s->id, e->out_bytes ? out : NULL, e->out_bytes};
  return true;
}

void sut_exec_run(sut_exec *e, lg_test *t, const lg_sample *samples, size_t n)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (infer_one(e, &samples[i], k))
      k++;
    if (k == e->group || (k && i + 1 == n)) {
      lg_complete(t, e->responses, k);
      k = 0;
    }
  }
}
