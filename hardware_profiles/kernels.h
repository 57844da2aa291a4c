/*
 * hardware_profiles/kernels.h - the inner loops that measure.c times: peak-FLOP kernels
 * (one per instruction set, the best one this CPU runs chosen at run time) and STREAM's
 * triad. Private to hardware_profiles; the interface is measure.h.
 */
#ifndef HWP_KERNELS_H
#define HWP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Independent accumulator chains per kernel: enough to cover FMA latency x FMA units
 * (4 cycles x 2 units on current x86 and Arm cores) with registers to spare. */
#define HWP__FMA_CHAINS 12

/* Run `steps` steps; each updates every chain once (acc = acc * mul + add). Returns a
 * checksum of the accumulators so the work cannot be optimised away. */
typedef float (*hwp__fma_fn)(uint64_t steps, float mul, float add);

typedef struct hwp__fma_kernel {
  const char *name;  /* "AVX2+FMA", for the method text */
  unsigned lanes;    /* fp32 lanes per vector */
  int fused;         /* 1: one FMA instruction per update; 0: a multiply and an add */
  hwp__fma_fn run;
} hwp__fma_kernel;

/* The i-th kernel this CPU can run, fastest first; NULL past the last. Index 0 always
 * exists (the portable kernel runs everywhere). */
const hwp__fma_kernel *hwp__fma_kernel_at(size_t i);

/* FLOPs one step of kernel k performs: chains x lanes x 2. */
double hwp__fma_flops_per_step(const hwp__fma_kernel *k);

/* a[i] = b[i] + s * c[i] for i in [0, n). */
void hwp__triad(double *restrict a, const double *restrict b, const double *restrict c,
                double s, size_t n);

#endif /* HWP_KERNELS_H */
