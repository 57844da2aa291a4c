/*
 * sut/cuda/engine.h - the model on the device and the lanes that run batches of it
 * (private to sut/cuda).
 *
 * A sut_cuda_model holds what every batch reads: the layer-list plan (shapes from
 * workloads/model.h, copied to sut_k_layer) and its weights in device memory, or
 * gemm's B in the chosen precision. A lane is one CUDA stream with its own
 * buffers, sized for max_batch samples: pinned host memory for the sample slots and
 * the outputs, device memory for the gathered inputs, the activations (n_slots x
 * max_act x max_batch floats, the reference's slot plan) and the outputs, four
 * events, and for gemm its own cuBLAS handle bound to the stream (cuBLAS is loaded
 * when a gemm model opens, see blas.h). A batch is:
 *
 *   event0, slots H2D, gather -> event1, layers or cuBLAS -> event2,
 *   outputs D2H (pinned) -> event3, bounded wait on event3
 *
 * so copy-in, compute and copy-out times come from the events.
 *
 * gemm is one cuBLAS call per batch: the batch's A matrices stacked are one
 * (batch x M) x K row-major matrix times the shared B. Row-major C = A B is computed
 * as column-major C^T = B^T A^T, which is the same memory. fp32: cublasSgemm
 * (default math, no TF32); tf32: cublasGemmEx with CUBLAS_COMPUTE_32F_FAST_TF32;
 * fp16/bf16: inputs converted by the gather (A) and at open (B), cublasGemmEx with
 * fp32 accumulation and fp32 output.
 *
 * Thread-safety: a model is read-only after open and shared by every lane; a lane
 * belongs to one thread at a time. Ownership: *_open hands out, *_close frees
 * (accepts NULL); the wl_model is borrowed and must outlive the model.
 */
#ifndef SUT_CUDA_ENGINE_H
#define SUT_CUDA_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sut/sut.h"
#include "workloads/workload.h"

typedef enum {
  SUT_CUDA_FP32 = 0,
  SUT_CUDA_TF32,
  SUT_CUDA_FP16,
  SUT_CUDA_BF16,
  SUT_CUDA_PRECISIONS
} sut_cuda_precision;

/* "fp32", "tf32", "fp16", "bf16". */
const char *sut_cuda_precision_name(sut_cuda_precision p);

/*
 * Largest |GPU - reference| the tests accept for one output element of this model at
 * precision p, for a reference output `ref`: the layer-list kernels keep the
 * reference's order (1e-5 x (1 + |ref|), in practice 0); cuBLAS sums in its own order
 * and with fp16/bf16/tf32 rounds the inputs, so gemm allows c x sqrt(K) with c =
 * 1e-5 (fp32), 4e-3 (tf32, fp16) or 3e-2 (bf16) for the |A|, |B| < 1 values the
 * workload draws.
 */
double sut_cuda_tolerance(const wl_model *m, sut_cuda_precision p, double ref);

typedef struct sut_cuda_model sut_cuda_model;

/* Whether cuBLAS (which gemm loads on demand, blas.h) can be loaded here: loads and
 * unloads it once; needs no GPU. SUT_OK, or SUT_ENOTSUP with the reason (a build
 * without CUDA says so). */
int sut_cuda_blas_check(char *err, size_t errlen);

/* Whether the adapter runs model m at precision p, without touching the device:
 * SUT_OK, or SUT_ENOTSUP with the reason in err (workloads other than gemm and the
 * layer-list models - decoder "not supported yet" -, precision=int8 models,
 * tf32/fp16/bf16 on a layer-list model). */
int sut_cuda_model_check(const wl_model *m, sut_cuda_precision p, char *err, size_t errlen);

/* Upload model m at precision p to the current device. SUT_ENOTSUP as
 * sut_cuda_model_check; SUT_ENOMEM; SUT_EDEVICE. */
int sut_cuda_model_open(sut_cuda_model **out, const wl_model *m, sut_cuda_precision p,
                        char *err, size_t errlen);
void sut_cuda_model_close(sut_cuda_model *md);

/* Device bytes one lane needs per sample of max_batch (inputs, activations,
 * outputs), for sizing batches to the free memory. */
size_t sut_cuda_model_lane_bytes(const sut_cuda_model *md);

typedef struct sut_cuda_lane sut_cuda_lane;

/* Per-batch device times from the events, nanoseconds. */
typedef struct sut_cuda_timing {
  uint64_t copy_in_ns, compute_ns, copy_out_ns, device_ns;
} sut_cuda_timing;

/* A lane for batches of up to max_batch samples on the current device.
 * SUT_ENOMEM (host or device memory, err says which), SUT_EDEVICE. */
int sut_cuda_lane_open(sut_cuda_lane **out, const sut_cuda_model *md, int max_batch,
                       char *err, size_t errlen);
void sut_cuda_lane_close(sut_cuda_lane *l);

/* The lane's pinned slot array: the caller writes the batch's sample slots here
 * (max_batch entries) before sut_cuda_lane_run. */
uint32_t *sut_cuda_lane_slots(sut_cuda_lane *l);

/* Run the first n slots (1 <= n <= max_batch) against the store's device inputs and
 * wait for the outputs, at most timeout_ns. SUT_OK with *t filled; SUT_EDEVICE with
 * the CUDA or cuBLAS error in err (a lane whose wait timed out stays broken: every
 * later run fails at once). */
int sut_cuda_lane_run(sut_cuda_lane *l, const float *store_inputs, int n,
                      uint64_t timeout_ns, sut_cuda_timing *t, char *err, size_t errlen);

/* Sample k's output in the lane's pinned host buffer (valid until the next run). */
const void *sut_cuda_lane_output(const sut_cuda_lane *l, int k);

#endif /* SUT_CUDA_ENGINE_H */
