/*
 * workloads/fastnet.h - private: the fast fp32 engine of a layer-list model (model.h),
 * behind wl_infer_batch. The reference interpreter wl_net_run stays the accuracy
 * reference; this one computes the same layers with the kernels of kernels.h:
 *   conv k x k   implicit GEMM on the zero-padded input (wl_kern_conv2d; bias and
 *                ReLU fused into the tile's end), one sample at a time
 *   conv 1 x 1   (stride 1) packed GEMM straight on the NHWC activations
 *   dense        packed GEMM with one row per sample (GEMV at one sample)
 *   depthwise    direct, vectorized over the channels
 *   pool, add    plain loops (the same sums in the same order as the reference)
 * A batch goes through the layers `chunk` samples at a time, activations stored as
 * NHWC with N = chunk (sample j of a layer's output at j * its elements), so a dense
 * layer or a 1x1 conv multiplies the whole chunk at once; chunk is the largest count
 * whose activation slots fit in WL_FAST_ACT_BYTES, at most WL_FAST_MAX_CHUNK: a
 * convolutional net (tens of KB of activations per sample) goes one sample at a time,
 * where its layers stay in L1/L2; a dense net (ad) goes 64 at a time.
 *
 * Tolerance: outputs differ from wl_net_run's by rounding only (other summation order,
 * fused multiply-adds): the tests bound |fast - ref| <= 1e-4 * (1 + max |ref|) on every
 * workload and require the same argmax.
 *
 * Thread-safety: immutable after wl_fast_net_init; wl_fast_net_run may run on many
 * threads at once, each with its own scratch. Ownership: init allocates the packed
 * weights, destroy frees them; the wl_net is borrowed and must outlive it (and keep
 * its weights: init after any change to them, such as wl_net_center_logits).
 */
#ifndef WL_FASTNET_H
#define WL_FASTNET_H

#include <stddef.h>

#include "workloads/kernels.h"
#include "workloads/model.h"

#define WL_FAST_ACT_BYTES (96u << 10)     /* activation slots of one chunk (L1/L2) */
#define WL_FAST_MAX_CHUNK 64

typedef struct wl_fast_layer {
  wl_kern_b b;      /* conv and dense: packed weights and bias */
  wl_kern_conv g;   /* conv and depthwise: geometry */
  bool implicit;    /* conv through wl_kern_conv2d (not 1x1 stride 1) */
} wl_fast_layer;

typedef struct wl_fast_net {
  const wl_net *net;
  wl_kern kern;
  wl_fast_layer layers[WL_NET_MAX_LAYERS];
  size_t pad_floats;  /* the largest padded conv input (wl_kern_conv_pad_floats) */
  size_t chunk;       /* samples per pass through the layers */
} wl_fast_net;

/* Plan and pack `net` (weights final) for this CPU's best kernels (kernels.h).
 * Returns 0, WL_EINVAL (net has no weights) or WL_ENOMEM; on error nothing is left to
 * free. */
int wl_fast_net_init(wl_fast_net *f, const wl_net *net);
/* The same with a given kernel table (tests pin the ISA this way). */
int wl_fast_net_init_kern(wl_fast_net *f, const wl_net *net, const wl_kern *kern);
/* Free the packed weights; accepts a zeroed or destroyed one. */
void wl_fast_net_destroy(wl_fast_net *f);

/* Scratch bytes wl_fast_net_run needs for batches of up to `batch` samples. */
size_t wl_fast_net_scratch_bytes(const wl_fast_net *f, size_t batch);

/* Run n samples: in[i] (net->in_elems floats) -> out[i] (net->out_elems floats), with
 * scratch of wl_fast_net_scratch_bytes(f, b) bytes for some b >= 1 (aligned for float;
 * larger n goes in passes). Inputs, outputs and scratch must not overlap. Allocates
 * nothing. */
void wl_fast_net_run(const wl_fast_net *f, const float *const *in, float *const *out,
                     size_t n, size_t batch, void *scratch);

#endif /* WL_FASTNET_H */
