/*
 * sut/cuda/precision.c - the CUDA adapter's precisions and the output tolerance it
 * promises against the fp32 reference (see engine.h). Host code only, compiled in
 * every build (with or without nvcc), so the tolerance stays one stated number that
 * tests and documentation can refer to.
 */
#include <math.h>

#include "sut/cuda/engine.h"

static const char *const precision_names[SUT_CUDA_PRECISIONS] = {"fp32", "tf32", "fp16",
                                                                 "bf16"};

const char *sut_cuda_precision_name(sut_cuda_precision p)
{
  return (unsigned)p < SUT_CUDA_PRECISIONS ? precision_names[p] : "?";
}

double sut_cuda_tolerance(const wl_model *m, sut_cuda_precision p, double ref)
{
  wl_graph g;
  wl_model_graph(m, &g);
  if (g.kind != WL_GRAPH_GEMM)
    return 1e-5 * (1.0 + fabs(ref));
  static const double per_sqrt_k[SUT_CUDA_PRECISIONS] = {1e-5, 4e-3, 4e-3, 3e-2};
  return per_sqrt_k[(unsigned)p < SUT_CUDA_PRECISIONS ? p : 0] * sqrt((double)g.gemm_k);
}

