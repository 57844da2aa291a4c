/*
 * sut/cuda/unavailable.c - the CUDA adapter of a build without CUDA (the Makefile
 * compiles this file instead of the rest of sut/cuda/ when nvcc is not found). It
 * keeps "cuda" in `mlsysbench list` and answers every open with SUT_ENOTSUP and the
 * reason, so callers need no #ifdef.
 */
#include "sut/cuda/cuda.h"

#include <stdio.h>

#include "sut/cuda/engine.h"

/* The Makefile names another reason when it found an nvcc it cannot use. */
#ifndef SUT_CUDA_UNAVAILABLE_WHY
#define SUT_CUDA_UNAVAILABLE_WHY "nvcc was not found at build time"
#endif
#define CUDA_UNAVAILABLE_WHY "this build has no CUDA support (" SUT_CUDA_UNAVAILABLE_WHY ")"

static int none_open(void **self, const sut_options *o, const wl_model *m, char *err,
                     size_t errlen)
{
  *self = NULL;
  snprintf(err, errlen, "cuda: %s; install the CUDA toolkit (12 or 13) and rebuild, "
           "or name it with make NVCC=/path/to/nvcc", CUDA_UNAVAILABLE_WHY);
  return SUT_ENOTSUP;
}

int sut_cuda_blas_check(char *err, size_t errlen)
{
  snprintf(err, errlen, "cuda: %s", CUDA_UNAVAILABLE_WHY);
  return SUT_ENOTSUP;
}

/* Never reached: open always fails, so the wrapper never holds an instance. */
static int none_phase(void *self, const uint64_t *indices, size_t n)
{
  return SUT_ENOTSUP;
}

static void none_issue(void *self, lg_test *t, const lg_sample *s, size_t n) {}
static void none_flush(void *self) {}
static void none_describe(void *self, sut_info *out) {}
static void none_close(void *self) {}

const sut_backend sut_cuda_backend = {
    .name = "cuda",
    .help = "NVIDIA GPU: unavailable, " CUDA_UNAVAILABLE_WHY,
    .open = none_open,
    .load = none_phase,
    .unload = none_phase,
    .issue = none_issue,
    .flush = none_flush,
    .describe = none_describe,
    .close = none_close,
    .pin_caller_off = NULL,
};
