/*
 * sut/cuda/gpu.h - the CUDA runtime as the CUDA adapter uses it (private to
 * sut/cuda): error text, finding and describing the device, bounded waits.
 *
 * Error text is the CUDA runtime's own (cudaGetErrorString) with the error's name,
 * e.g. "cudaGetDeviceCount: CUDA driver version is insufficient for CUDA runtime
 * version (cudaErrorInsufficientDriver)", so a user can search for it.
 * Thread-safety: every function may run on any thread.
 */
#ifndef SUT_CUDA_GPU_H
#define SUT_CUDA_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#include "sut/sut.h"

/* Oldest compute capability the fat binary has code for (sm_80). */
#define SUT_GPU_MIN_CC_MAJOR 8

/* When e is an error: write "cuda: <what>: <text> (<name>)" into err and return
 * SUT_EDEVICE; else return SUT_OK and leave err alone. */
int sut_gpu_check(cudaError_t e, const char *what, char *err, size_t errlen);

/*
 * Make `device` current on this thread and describe it into *a (name, PCI bus id,
 * compute capability, SMs, memory, clocks, driver and runtime versions; the run
 * settings and timings are left alone). Errors: SUT_ENOTSUP when the runtime cannot
 * work here (no driver, a driver older than the runtime, no CUDA device, a GPU older
 * than SUT_GPU_MIN_CC_MAJOR), with the CUDA error text in err; SUT_EINVAL when
 * device is not one of this machine's devices (err lists how many there are);
 * SUT_EDEVICE for any other CUDA failure.
 */
int sut_gpu_open(int device, sut_accel *a, char *err, size_t errlen);

/* Make `device` current on the calling thread (each host worker calls it once).
 * SUT_OK or SUT_EDEVICE with the reason. */
int sut_gpu_use(int device, char *err, size_t errlen);

/* Wait for event `ev` to complete, at most timeout_ns: polls, yielding the CPU, so
 * a hung kernel cannot hang the caller. cudaSuccess, the event's error, or
 * cudaErrorNotReady when the time ran out. */
cudaError_t sut_gpu_wait(cudaEvent_t ev, uint64_t timeout_ns);

/* Nanoseconds between two completed events (CUDA's resolution is about 0.5 us);
 * 0 when the runtime cannot tell. */
uint64_t sut_gpu_elapsed_ns(cudaEvent_t from, cudaEvent_t to);

#endif /* SUT_CUDA_GPU_H */
