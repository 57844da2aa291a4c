/*
 * sut/cuda/blas.c - cuBLAS loaded on demand (see blas.h): dlopen, then one dlsym per
 * entry point, each checked. RTLD_NODELETE: dlclose leaves the library mapped, since
 * cuBLAS keeps process-wide state (its C++ runtime's allocations among it) that an
 * unload would orphan.
 */
#include "sut/cuda/blas.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "sut/cuda/engine.h"
#include "sut/sut.h"

#define BLAS_STR_(x) #x
#define BLAS_STR(x) BLAS_STR_(x)
#define BLAS_SONAME "libcublas.so." BLAS_STR(CUBLAS_VER_MAJOR)

static const struct {
  const char *symbol;
  size_t offset;
} BLAS_SYMBOLS[] = {
    {"cublasCreate_v2", offsetof(sut_blas, create)},
    {"cublasDestroy_v2", offsetof(sut_blas, destroy)},
    {"cublasSetStream_v2", offsetof(sut_blas, set_stream)},
    {"cublasSgemm_v2", offsetof(sut_blas, sgemm)},
    {"cublasGemmEx", offsetof(sut_blas, gemm_ex)},
    {"cublasGetStatusString", offsetof(sut_blas, status_string)},
};

int sut_blas_load(sut_blas *b, char *err, size_t errlen)
{
  memset(b, 0, sizeof *b);
  char first[512] = "";
#ifdef SUT_CUDA_LIBDIR /* set by the Makefile: where the build found CUDA */
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", SUT_CUDA_LIBDIR, BLAS_SONAME);
  b->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!b->lib)
    snprintf(first, sizeof first, "%s; ", dlerror());
#endif
  if (!b->lib)
    b->lib = dlopen(BLAS_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!b->lib) {
    snprintf(err, errlen, "cuda: cuBLAS (%s) cannot be loaded, gemm needs it: %s%s",
             BLAS_SONAME, first, dlerror());
    return SUT_ENOTSUP;
  }
  for (size_t i = 0; i < sizeof BLAS_SYMBOLS / sizeof BLAS_SYMBOLS[0]; i++) {
    void *p = dlsym(b->lib, BLAS_SYMBOLS[i].symbol);
    if (!p) {
      snprintf(err, errlen, "cuda: %s has no %s", BLAS_SONAME, BLAS_SYMBOLS[i].symbol);
      sut_blas_unload(b);
      return SUT_ENOTSUP;
    }
    memcpy((char *)b + BLAS_SYMBOLS[i].offset, &p, sizeof p);
  }
  return SUT_OK;
}

void sut_blas_unload(sut_blas *b)
{
  if (b->lib)
    dlclose(b->lib);
  memset(b, 0, sizeof *b);
}

int sut_cuda_blas_check(char *err, size_t errlen)
{
  sut_blas b;
  int rc = sut_blas_load(&b, err, errlen);
  sut_blas_unload(&b);
  return rc;
}
