/*
 * sut/cuda/blas.h - the cuBLAS entry points the CUDA adapter uses, loaded with dlopen
 * when a gemm workload opens (private to sut/cuda).
 *
 * Linking libcublas at build time would make every mlsysbench process (and every
 * test program) load its 570 MB of libraries at start, about 0.2 s each even when no
 * GPU is used; loading it on demand keeps that cost on the runs that multiply. The
 * library is looked for first where the build found CUDA
 * (SUT_CUDA_LIBDIR/libcublas.so.<major>, the rpath a link would have used), then on
 * the loader's search path.
 *
 * Thread-safety: load/unload from one thread; the loaded table may be used from many
 * (cuBLAS itself wants one handle per thread, which the lanes have).
 */
#ifndef SUT_CUDA_BLAS_H
#define SUT_CUDA_BLAS_H

#include <stddef.h>

#include <cublas_v2.h>

typedef struct sut_blas {
  void *lib;
  cublasStatus_t (*create)(cublasHandle_t *h);
  cublasStatus_t (*destroy)(cublasHandle_t h);
  cublasStatus_t (*set_stream)(cublasHandle_t h, cudaStream_t s);
  cublasStatus_t (*sgemm)(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                          int m, int n, int k, const float *alpha, const float *a, int lda,
                          const float *b, int ldb, const float *beta, float *c, int ldc);
  cublasStatus_t (*gemm_ex)(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                            int m, int n, int k, const void *alpha, const void *a,
                            cudaDataType at, int lda, const void *b, cudaDataType bt, int ldb,
                            const void *beta, void *c, cudaDataType ct, int ldc,
                            cublasComputeType_t compute, cublasGemmAlgo_t algo);
  const char *(*status_string)(cublasStatus_t s);
} sut_blas;

/* Load cuBLAS into *b. SUT_OK, or SUT_ENOTSUP with the library and dlopen's or
 * dlsym's words in err. */
int sut_blas_load(sut_blas *b, char *err, size_t errlen);
/* dlclose; accepts a zeroed table. */
void sut_blas_unload(sut_blas *b);

#endif /* SUT_CUDA_BLAS_H */
