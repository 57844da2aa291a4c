/*
 * sut/cpu/exec.h - one thread's inference context in the CPU SUT (private).
 *
 * An executor owns what one thread needs to run samples without allocating: the
 * workload's scratch (wl_scratch_init'ed with the worker number), output buffers and
 * response records. sut_exec_run gathers up to `batch` resident samples of what it is
 * handed, infers them together through the workload's fast path (wl_infer_batch: a
 * dense layer becomes a GEMM over the batch) and completes them with one lg_complete
 * call, since they truly finish together. A single sample (SingleStream, Server) is
 * inferred and completed on its own.
 *
 * Thread-safety: an executor belongs to one thread at a time. The store it reads must
 * not change while sut_exec_run runs. Ownership: sut_exec_init allocates the buffers,
 * sut_exec_destroy frees them; model, store and the not_loaded counter are borrowed.
 */
#ifndef SUT_CPU_EXEC_H
#define SUT_CPU_EXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"
#include "sut/cpu/store.h"
#include "workloads/workload.h"

typedef struct sut_exec {
  const wl_model *model;
  const sut_store *store;
  void *scratch;              /* wl_batch_scratch_bytes(model, group) */
  unsigned char *outputs;     /* group x out_stride */
  const void **inputs;        /* group: the gathered samples' inputs (in the store) */
  void **outs;                /* group: outputs + k * out_stride */
  lg_response *responses;     /* group entries */
  size_t out_bytes;           /* output tensor bytes */
  size_t out_stride;          /* bytes between outputs (>= 1) */
  size_t group;               /* samples per wl_infer_batch and lg_complete call */
  _Atomic uint64_t *not_loaded;
} sut_exec;

/* Prepare an executor for thread number `worker`, for groups of up to `batch` samples.
 * Returns SUT_OK or SUT_ENOMEM (then nothing is left to free). */
int sut_exec_init(sut_exec *e, const wl_model *m, const sut_store *st, size_t batch,
                  unsigned worker, _Atomic uint64_t *not_loaded);
/* Free the buffers; accepts a zeroed or destroyed executor. */
void sut_exec_destroy(sut_exec *e);

/* Infer and complete samples[0..n) on test t. A sample whose index is not resident
 * is not completed and is counted in *not_loaded (loadgen counts it lost). */
void sut_exec_run(sut_exec *e, lg_test *t, const lg_sample *samples, size_t n);

#endif /* SUT_CPU_EXEC_H */
