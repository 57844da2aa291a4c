/*
 * sut/cuda/cuda.h - the CUDA adapter's entry in the backend table (private to sut/).
 *
 * Spec: "cuda", "cuda:DEVICE" or "cuda:[DEVICE,]key=value,..." with
 *   DEVICE             CUDA device ordinal (default 0; CUDA_VISIBLE_DEVICES applies)
 *   precision=P        gemm: fp32 (default, cuBLAS SGEMM), tf32, fp16 or bf16 (tensor
 *                      cores through cublasGemmEx, fp32 accumulation); the layer-list
 *                      models run fp32 kernels only and refuse the others
 *   max_batch=N        most samples per batch, 1..4096 (default by scenario:
 *                      SingleStream 1, MultiStream 8, Server 64, Offline 256;
 *                      sut_options.batch, --batch, sets it too)
 *   max_delay_us=N     Server: longest the first sample of a batch waits for the
 *                      batch to fill, 0..1000000 (default 500 for Server, else 0)
 * (the scenario comes from sut_options.settings; unknown counts as Server)
 *   streams=N          CUDA streams, each with its own host worker and buffers,
 *                      1..16 (default 4; 1 for SingleStream)
 *
 * Workloads: gemm (cuBLAS), kws, ic, vww, ad (own kernels over the layer-list plan of
 * workloads/model.h, NHWC, the reference's summation order without fused
 * multiply-adds, so outputs equal the fp32 reference to rounding: tests allow
 * 1e-5 x (1 + |ref|)). Others, and precision=int8 models, answer SUT_ENOTSUP with
 * the reason.
 *
 * When the build has no CUDA (nvcc was not found), sut/cuda/unavailable.c provides
 * the same symbol and its open answers SUT_ENOTSUP "this build has no CUDA support
 * (nvcc was not found at build time)". With CUDA built but no driver or no GPU,
 * open answers SUT_ENOTSUP with the CUDA runtime's own error text.
 *
 * Thread-safety and ownership: as for any backend, see sut/sut.h.
 */
#ifndef SUT_CUDA_CUDA_H
#define SUT_CUDA_CUDA_H

#include "sut/sut.h"

extern const sut_backend sut_cuda_backend;

#endif /* SUT_CUDA_CUDA_H */
