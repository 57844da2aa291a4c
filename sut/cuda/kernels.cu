/*
 * sut/cuda/kernels.cu - the CUDA adapter's kernels: sample gather and the NHWC
 * layers of the layer-list models (see kernels.h for the arithmetic contract).
 *
 * One thread per output element, the output channel fastest, so a warp reads one
 * input pixel (broadcast) and 32 consecutive weights and writes 32 consecutive
 * outputs. Grid-stride loops take any batch size. The models are small (kws: 8,000
 * outputs per sample in its widest layer), so a batch of 64 or more fills an H100.
 */
#include "sut/cuda/kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#define SUT_K_THREADS 256
#define SUT_K_MAX_BLOCKS 65535u

static unsigned blocks_for(size_t total)
{
  size_t b = (total + SUT_K_THREADS - 1) / SUT_K_THREADS;
  return b > SUT_K_MAX_BLOCKS ? SUT_K_MAX_BLOCKS : (b ? (unsigned)b : 1u);
}

#define GRID_STRIDE(i, total)                                                    \
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (total);     \
       i += (size_t)gridDim.x * blockDim.x)

__device__ static float relu_if(float v, int relu)
{
  return relu ? (v > 0.0f ? v : 0.0f) : v;
}

/* ---- gather --------------------------------------------------------------------- */
template <typename T> __device__ T from_f32(float v);
template <> __device__ float from_f32<float>(float v) { return v; }
template <> __device__ __half from_f32<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __nv_bfloat16 from_f32<__nv_bfloat16>(float v)
{
  return __float2bfloat16_rn(v);
}

template <typename T>
__global__ void gather_kernel(const float *store, const uint32_t *slots, int n,
                              size_t elems, T *dst)
{
  GRID_STRIDE(i, (size_t)n * elems) {
    size_t b = i / elems, e = i % elems;
    dst[i] = from_f32<T>(store[(size_t)slots[b] * elems + e]);
  }
}

extern "C" int sut_k_gather(cudaStream_t stream, const float *store, const uint32_t *slots,
                            int n, size_t elems, void *dst, sut_k_dtype dtype)
{
  unsigned blocks = blocks_for((size_t)n * elems);
  if (dtype == SUT_K_F16)
    gather_kernel<<<blocks, SUT_K_THREADS, 0, stream>>>(store, slots, n, elems,
                                                        (__half *)dst);
  else if (dtype == SUT_K_BF16)
    gather_kernel<<<blocks, SUT_K_THREADS, 0, stream>>>(store, slots, n, elems,
                                                        (__nv_bfloat16 *)dst);
  else
    gather_kernel<<<blocks, SUT_K_THREADS, 0, stream>>>(store, slots, n, elems,
                                                        (float *)dst);
  return (int)cudaGetLastError();
}

/* ---- layers --------------------------------------------------------------------- */
/* conv2d (HWIO weights) and depthwise ([kh][kw][c]) with 'same' padding. */
__global__ void conv_kernel(sut_k_layer l, const float *w, const float *in,
                            size_t in_stride, float *out, size_t out_stride, int n)
{
  const bool depthwise = l.op == SUT_K_DWCONV;
  const size_t per_sample = l.out_elems;
  GRID_STRIDE(i, (size_t)n * per_sample) {
    size_t b = i / per_sample, r = i % per_sample;
    int oc = (int)(r % (size_t)l.out_c);
    size_t pix = r / (size_t)l.out_c;
    int ox = (int)(pix % (size_t)l.out_w), oy = (int)(pix / (size_t)l.out_w);
    const float *x0 = in + b * in_stride;
    float acc = w[l.bias_off + oc];
    for (int ky = 0; ky < l.kh; ky++) {
      int iy = oy * l.sh - l.pad_top + ky;
      if (iy < 0 || iy >= l.in_h)
        continue;
      for (int kx = 0; kx < l.kw; kx++) {
        int ix = ox * l.sw - l.pad_left + kx;
        if (ix < 0 || ix >= l.in_w)
          continue;
        const float *x = x0 + ((size_t)iy * l.in_w + ix) * l.in_c;
        size_t tap = (size_t)ky * l.kw + kx;
        if (depthwise) {
          acc = __fadd_rn(acc, __fmul_rn(x[oc], w[tap * l.out_c + oc]));
        } else {
          const float *wt = w + tap * (size_t)l.in_c * l.out_c + oc;
          for (int ci = 0; ci < l.in_c; ci++)
            acc = __fadd_rn(acc, __fmul_rn(x[ci], wt[(size_t)ci * l.out_c]));
        }
      }
    }
    out[b * out_stride + r] = relu_if(acc, l.relu);
  }
}

/* dense ([in][out] weights) on the flattened input. */
__global__ void dense_kernel(sut_k_layer l, const float *w, const float *in,
                             size_t in_stride, float *out, size_t out_stride, int n)
{
  GRID_STRIDE(i, (size_t)n * l.out_c) {
    size_t b = i / (size_t)l.out_c;
    int j = (int)(i % (size_t)l.out_c);
    const float *x = in + b * in_stride;
    float acc = w[l.bias_off + j];
    for (size_t k = 0; k < l.in_elems; k++)
      acc = __fadd_rn(acc, __fmul_rn(x[k], w[k * l.out_c + j]));
    out[b * out_stride + j] = relu_if(acc, l.relu);
  }
}

/* global average pool: H x W x C -> C. */
__global__ void avgpool_kernel(sut_k_layer l, const float *in, size_t in_stride,
                               float *out, size_t out_stride, int n)
{
  GRID_STRIDE(i, (size_t)n * l.in_c) {
    size_t b = i / (size_t)l.in_c;
    int c = (int)(i % (size_t)l.in_c);
    const float *x = in + b * in_stride;
    size_t hw = (size_t)l.in_h * l.in_w;
    float acc = 0.0f;
    for (size_t p = 0; p < hw; p++)
      acc = __fadd_rn(acc, x[p * l.in_c + c]);
    out[b * out_stride + c] = relu_if(__fmul_rn(acc, l.pool_scale), l.relu);
  }
}

/* residual join: out = in + operand. */
__global__ void add_kernel(sut_k_layer l, const float *in, size_t in_stride,
                           const float *operand, size_t operand_stride, float *out,
                           size_t out_stride, int n)
{
  GRID_STRIDE(i, (size_t)n * l.out_elems) {
    size_t b = i / l.out_elems, e = i % l.out_elems;
    float v = __fadd_rn(in[b * in_stride + e], operand[b * operand_stride + e]);
    out[b * out_stride + e] = relu_if(v, l.relu);
  }
}

extern "C" int sut_k_run_layer(cudaStream_t stream, const sut_k_layer *l, const float *w,
                               const float *in, size_t in_stride, const float *operand,
                               size_t operand_stride, float *out, size_t out_stride, int n)
{
  unsigned blocks = blocks_for((size_t)n * l->out_elems);
  switch (l->op) {
  case SUT_K_CONV:
  case SUT_K_DWCONV:
    conv_kernel<<<blocks, SUT_K_THREADS, 0, stream>>>(*l, w, in, in_stride, out,
                                                      out_stride, n);
    break;
  case SUT_K_DENSE:
    dense_kernel<<<blocks, SUT_K_THREADS, 0, stream>>>(*l, w, in, in_stride, out,
                                                       out_stride, n);
    break;
  case SUT_K_AVGPOOL:
    avgpool_kernel<<<blocks, SUT_K_THREADS, 0, stream>>>(*l, in, in_stride, out,
                                                         out_stride, n);
    break;
  case SUT_K_ADD:
    add_kernel<<<blocks, SUT_K_THREADS, 0, stream>>>(*l, in, in_stride, operand,
                                                     operand_stride, out, out_stride, n);
    break;
  default:
    return (int)cudaErrorInvalidValue;
  }
  return (int)cudaGetLastError();
}
