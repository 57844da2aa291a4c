/*
 * workloads/kernels.h - private: the fast fp32 kernels behind wl_infer_batch (the
 * reference interpreter in model.c stays the accuracy reference).
 *
 * What is here:
 *   - a blocked, packed GEMM, C = A x B (+ bias) (+ ReLU): B (the weights) is packed
 *     once into panels of WL_KERN_NR columns; A is read in place (any row stride), so a
 *     1x1 convolution or a dense layer multiplies the activations directly, and a
 *     k x k convolution is an implicit GEMM on its zero-padded input (wl_kern_conv2d:
 *     each A row is a list of contiguous segments, one per kernel row; no im2col);
 *   - a direct depthwise convolution over NHWC (channels contiguous, vectorized), and
 *     the element-wise add of a residual join;
 *   - the kernel table (wl_kern) that picks, once, the micro-kernels for this CPU:
 *     AVX2 + FMA on an x86-64 that has them (__builtin_cpu_supports), else a portable
 *     version written with GCC vector extensions (SSE2 on any x86-64, NEON on ARM).
 *
 * Blocking (wl_kern_gemm): for each block of WL_KERN_KC rows of B, each block of
 * WL_KERN_MC rows of A (MC x KC, kept in L2) and each NR-column panel (its KC x NR
 * slice, 16 KB, kept in L1), every MR-row block of A goes through the MR x NR
 * micro-kernel (6 x 16: twelve 8-float accumulators). Edge tiles (m % MR, n % NR) run through a local tile, so any
 * m, n, k >= 1 work. A single row (m = 1: a batch-1 dense layer) uses a GEMV kernel
 * that covers four panels at once (eight independent accumulators).
 *
 * Numerics: each output is bias (or 0) plus its products summed in ascending k, the
 * AVX2 version with fused multiply-adds; so results differ from the reference (which
 * rounds every product) by rounding only: |fast - ref| <= ~k * 2^-24 * sum |a_i b_i|.
 *
 * Thread-safety: a wl_kern and a wl_kern_b are immutable after init; the functions
 * taking them may run on many threads at once on distinct outputs.
 * Ownership: wl_kern_b_init allocates the packed panels, wl_kern_b_destroy frees them.
 */
#ifndef WL_KERNELS_H
#define WL_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#define WL_KERN_MR 6    /* rows of the micro-kernel's C tile */
#define WL_KERN_NR 16   /* columns of the C tile = width of a packed B panel */
#define WL_KERN_KC 256  /* rows of B per K block */
#define WL_KERN_MC 144  /* rows of A per M block (MC x KC floats, 144 KB, stay in L2) */

/* Instruction sets of the kernel table, best last. */
typedef enum { WL_KERN_GENERIC = 0, WL_KERN_AVX2 } wl_kern_isa;

/* Flags of one micro-kernel call. */
#define WL_KERN_FIRST 1 /* C = bias (or 0) + A x B; without it C += A x B */
#define WL_KERN_RELU 2  /* clamp C at 0 at the end (give it on the last K block only) */

/* The MR rows of A a tile multiplies, each a list of nseg segments of kseg floats:
 * row r's segment s starts at row[r] + s * seg_stride, and the segments together are
 * the row's nseg * kseg elements of A. A plain matrix has one segment per row; a
 * convolution (implicit GEMM, no im2col) has one per kernel row ky: the kw * in_c
 * inputs under kernel row ky of output pixel r are contiguous in a padded NHWC input,
 * and the next kernel row is one padded input row (seg_stride floats) further on.
 * Rows past the tile's last real row repeat it; the caller drops their results. */
typedef struct wl_kern_rows {
  const float *row[WL_KERN_MR];
  int nseg, kseg;
  size_t seg_stride;
} wl_kern_rows;

/* MR x NR tile: c (row stride ldc) = [bias or 0 | c] + A rows x bp (nseg * kseg rows
 * of a packed panel). */
typedef void (*wl_kern_tile_fn)(const wl_kern_rows *a, const float *bp,
                                const float *bias, float *c, size_t ldc, int flags);
/* One row a (k floats) times four packed panels bp[0..3] (k x NR each): 4 * NR outputs
 * into c, bias (or c, without WL_KERN_FIRST) has 4 * NR floats. */
typedef void (*wl_kern_row4_fn)(int k, const float *a, const float *const bp[4],
                                const float *bias, float *c, int flags);
/* Depthwise conv of one sample (wl_kern_dw describes it). */
struct wl_kern_dw;
typedef void (*wl_kern_dw_fn)(const struct wl_kern_dw *d, const float *in, float *out);

/* out[i] = x[i] + y[i], then max(., 0) when relu (a residual join); n floats each,
 * x, y and out must not overlap. */
typedef void (*wl_kern_add_fn)(size_t n, const float *x, const float *y, float *out,
                               bool relu);

typedef struct wl_kern {
  wl_kern_isa isa;
  const char *name;          /* "avx2+fma", "generic" */
  wl_kern_tile_fn tile;
  wl_kern_row4_fn row4;
  wl_kern_dw_fn dw;
  wl_kern_add_fn add;
} wl_kern;

/* The best table this CPU runs (AVX2 + FMA when it has them). */
void wl_kern_init(wl_kern *k);
/* The table of a given ISA; false (k untouched) when this CPU or build lacks it.
 * Tests use it to check every variant against the naive reference. */
bool wl_kern_init_isa(wl_kern *k, wl_kern_isa isa);

/* B (k x n, row stride ldb) packed into ceil(n / NR) panels of k x NR floats, zero
 * padded, with the bias (n floats, NULL = zeros) padded to the panel width. */
typedef struct wl_kern_b {
  int k, n, panels;
  float *packed;  /* panels * k * NR floats, 64-byte aligned */
  float *bias;    /* panels * NR floats */
} wl_kern_b;

/* Pack b and bias. Returns 0, or -1 when k or n < 1 or out of memory (nothing to
 * free then). */
int wl_kern_b_init(wl_kern_b *pb, const float *b, size_t ldb, int k, int n,
                   const float *bias);
/* Free the panels; accepts a zeroed or destroyed wl_kern_b. */
void wl_kern_b_destroy(wl_kern_b *pb);

/* C (m x pb->n, row stride ldc) = A (m x pb->k, row stride lda) x B + bias, then ReLU
 * when relu. a and c must not overlap. Allocates nothing. */
void wl_kern_gemm(const wl_kern *kt, int m, const float *a, size_t lda,
                  const wl_kern_b *pb, bool relu, float *c, size_t ldc);

/* A k x k convolution's geometry (NHWC, one sample; pads as model.h's 'same'). */
typedef struct wl_kern_conv {
  int in_h, in_w, in_c;
  int out_h, out_w;
  int kh, kw, sh, sw;
  int pad_top, pad_left;
} wl_kern_conv;

/* Floats of the zero-padded copy of the input wl_kern_conv2d needs (0 when the
 * convolution has no padding: it then reads the input in place). */
size_t wl_kern_conv_pad_floats(const wl_kern_conv *g);

/* A convolution of one sample as an implicit GEMM (no im2col): out (out_h x out_w x
 * pb->n, NHWC) = conv(in) + bias, then ReLU when relu, with weights packed from the
 * HWIO array (K = kh * kw * in_c rows). The input is first copied with its padding
 * into pad (wl_kern_conv_pad_floats floats); each tile then reads, per kernel row,
 * kw * in_c contiguous floats of it (wl_kern_rows). in, out and pad must not overlap.
 * Allocates nothing. */
void wl_kern_conv2d(const wl_kern *kt, const wl_kern_conv *g, const float *in,
                    const wl_kern_b *pb, bool relu, float *out, float *pad);

/* A depthwise conv (multiplier 1) of one sample, NHWC: weights [kh][kw][c], bias [c]. */
typedef struct wl_kern_dw {
  wl_kern_conv g;      /* in_c = channels */
  const float *w;
  const float *bias;
  bool relu;
} wl_kern_dw;

#endif /* WL_KERNELS_H */
