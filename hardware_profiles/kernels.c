/*
 * hardware_profiles/kernels.c - the timed inner loops: a register-blocked fp32 FMA
 * kernel for each instruction set (AVX-512F, AVX2+FMA, NEON, portable), all made from
 * one macro so they cannot drift apart, chosen at run time with __builtin_cpu_supports
 * on x86; and STREAM's triad loop.
 */
#include "hardware_profiles/kernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define HWP__X86 1
#include <immintrin.h>
#elif defined(__aarch64__)
#define HWP__NEON 1
#include <arm_neon.h>
#endif

/* One kernel: HWP__FMA_CHAINS independent vector accumulators, fully unrolled so they
 * stay in registers; madd(x, m, a) is x * m + a in the instruction set's own words. */
#define HWP__FMA_KERNEL(fname, attrs, vtype, splat, madd)                      \
  attrs static float fname(uint64_t steps, float mul, float add) {             \
    vtype acc[HWP__FMA_CHAINS];                                                \
    const vtype vm = splat(mul), va = splat(add);                              \
    _Pragma("GCC unroll 16") for (int i = 0; i < HWP__FMA_CHAINS; i++)         \
        acc[i] = splat((float)i);                                              \
    for (uint64_t s = 0; s < steps; s++) {                                     \
      _Pragma("GCC unroll 16") for (int i = 0; i < HWP__FMA_CHAINS; i++)       \
          acc[i] = madd(acc[i], vm, va);                                       \
    }                                                                          \
    vtype sum = acc[0];                                                        \
    _Pragma("GCC unroll 16") for (int i = 1; i < HWP__FMA_CHAINS; i++)         \
        sum += acc[i];                                                         \
    float lanes[sizeof(vtype) / sizeof(float)], total = 0;                     \
    memcpy(lanes, &sum, sizeof lanes);                                         \
    for (size_t l = 0; l < sizeof lanes / sizeof lanes[0]; l++) total += lanes[l]; \
    return total;                                                              \
  }

/* Portable: GCC vector extensions (SSE on x86-64, NEON on Arm, scalar code elsewhere).
 * ISO C mode contracts nothing, so this is a multiply and an add: 2 FLOPs either way. */
typedef float hwp__v4f __attribute__((vector_size(16)));
static inline hwp__v4f hwp__v4f_splat(float x) { return (hwp__v4f){x, x, x, x}; }
#define HWP__V4F_MADD(x, m, a) ((x) * (m) + (a))
HWP__FMA_KERNEL(hwp__fma_portable, , hwp__v4f, hwp__v4f_splat, HWP__V4F_MADD)

static int hwp__always(void) { return 1; }

#ifdef HWP__X86
HWP__FMA_KERNEL(hwp__fma_avx512, __attribute__((target("avx512f"))), __m512, _mm512_set1_ps,
                _mm512_fmadd_ps)
HWP__FMA_KERNEL(hwp__fma_avx2, __attribute__((target("avx2,fma"))), __m256, _mm256_set1_ps,
                _mm256_fmadd_ps)

static int hwp__has_avx512f(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

static int hwp__has_avx2_fma(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

#ifdef HWP__NEON
#define HWP__NEON_MADD(x, m, a) vfmaq_f32((a), (x), (m))
HWP__FMA_KERNEL(hwp__fma_neon, , float32x4_t, vdupq_n_f32, HWP__NEON_MADD)
#endif

static const struct {
  hwp__fma_kernel kernel;
  int (*usable)(void);
} hwp__fma_table[] = {
#ifdef HWP__X86
    {{"AVX-512F FMA", 16, 1, hwp__fma_avx512}, hwp__has_avx512f},
    {{"AVX2+FMA", 8, 1, hwp__fma_avx2}, hwp__has_avx2_fma},
#endif
#ifdef HWP__NEON
    {{"NEON FMA", 4, 1, hwp__fma_neon}, hwp__always},
#endif
    {{"portable 4-lane multiply+add", 4, 0, hwp__fma_portable}, hwp__always},
};

const hwp__fma_kernel *hwp__fma_kernel_at(size_t i) {
  for (size_t t = 0; t < sizeof hwp__fma_table / sizeof hwp__fma_table[0]; t++)
    if (hwp__fma_table[t].usable() && i-- == 0) return &hwp__fma_table[t].kernel;
  return NULL;
}

double hwp__fma_flops_per_step(const hwp__fma_kernel *k) {
  return (double)HWP__FMA_CHAINS * k->lanes * 2.0;
}

void hwp__triad(double *restrict a, const double *restrict b, const double *restrict c,
                double s, size_t n) {
  for (size_t i = 0; i < n; i++) a[i] = b[i] + s * c[i];
}
