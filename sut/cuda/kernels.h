/*
 * sut/cuda/kernels.h - the CUDA adapter's own kernels (private to sut/cuda), callable
 * from C: the sample gather (with the conversion to fp16/bf16 for tensor-core gemm)
 * and the layers of workloads/model.h's layer-list models, NHWC, over a batch.
 *
 * Each kernel computes every output element in the fp32 reference's order (bias,
 * then kernel taps row by row, then input channels in order; the pool sums in pixel
 * order and multiplies by the host's 1/(H*W)), each product rounded before its add
 * (__fmul_rn/__fadd_rn: never contracted into a fused multiply-add), so a batch gives
 * the reference's outputs to the bit on any conforming GPU (denormals kept: the
 * build does not use -ftz or --use_fast_math).
 *
 * Every launcher enqueues on `stream`, returns at once, and returns the CUDA error
 * of the launch as an int (0 = cudaSuccess). Pointers are device memory. Batches
 * are laid out sample after sample, `*_stride` elements apart.
 * Thread-safety: launchers may be called from many threads on different streams.
 */
#ifndef SUT_CUDA_KERNELS_H
#define SUT_CUDA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SUT_K_F32 = 0, SUT_K_F16, SUT_K_BF16 } sut_k_dtype;

/* dst[b][e] = store[slots[b]][e] for b < n, e < elems, converted to dtype (f16/bf16:
 * round to nearest even). store holds samples `elems` floats apart. */
int sut_k_gather(cudaStream_t stream, const float *store, const uint32_t *slots, int n,
                 size_t elems, void *dst, sut_k_dtype dtype);

typedef enum { SUT_K_CONV = 0, SUT_K_DWCONV, SUT_K_AVGPOOL, SUT_K_DENSE, SUT_K_ADD } sut_k_op;

/* One layer's shapes (model.h's wl_layer_plan, flattened for the device). */
typedef struct sut_k_layer {
  sut_k_op op;
  int kh, kw, sh, sw;
  int in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int pad_top, pad_left;
  int relu;               /* fused ReLU on the output */
  size_t bias_off;        /* biases at w + bias_off (after the weights) */
  size_t in_elems;        /* dense: inputs per sample (flattened) */
  size_t out_elems;       /* outputs per sample */
  float pool_scale;       /* avgpool: 1.0f / (in_h * in_w), computed on the host */
} sut_k_layer;

/* Run layer l on n samples: in (in_stride apart), operand (add only, operand_stride
 * apart; NULL otherwise), out (out_stride apart); w is the layer's weights then
 * biases. */
int sut_k_run_layer(cudaStream_t stream, const sut_k_layer *l, const float *w,
                    const float *in, size_t in_stride, const float *operand,
                    size_t operand_stride, float *out, size_t out_stride, int n);

#ifdef __cplusplus
}
#endif

#endif /* SUT_CUDA_KERNELS_H */
