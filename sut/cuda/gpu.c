/*
 * sut/cuda/gpu.c - CUDA runtime helpers of the CUDA adapter: error text, device
 * probe and description, bounded event waits (see gpu.h).
 */
#include "sut/cuda/gpu.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int sut_gpu_check(cudaError_t e, const char *what, char *err, size_t errlen)
{
  if (e == cudaSuccess)
    return SUT_OK;
  snprintf(err, errlen, "cuda: %s: %s (%s)", what, cudaGetErrorString(e),
           cudaGetErrorName(e));
  return SUT_EDEVICE;
}

/* "13.0" from CUDA's 13000. */
static void version_text(int v, char *out, size_t len)
{
  snprintf(out, len, "%d.%d", v / 1000, (v % 1000) / 10);
}

/* Errors that mean "CUDA cannot run on this machine", not a fault of ours. */
static bool machine_lacks_cuda(cudaError_t e)
{
  return e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice ||
         e == cudaErrorInitializationError || e == cudaErrorCompatNotSupportedOnDevice ||
         e == cudaErrorSystemDriverMismatch || e == cudaErrorSystemNotReady ||
         e == cudaErrorDevicesUnavailable;
}

static int count_devices(int device, char *err, size_t errlen)
{
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    sut_gpu_check(e, "cudaGetDeviceCount", err, errlen);
    return machine_lacks_cuda(e) ? SUT_ENOTSUP : SUT_EDEVICE;
  }
  if (count == 0) {
    snprintf(err, errlen, "cuda: no CUDA-capable device is detected");
    return SUT_ENOTSUP;
  }
  if (device < 0 || device >= count) {
    snprintf(err, errlen, "cuda:%d: this machine has %d CUDA device%s (0..%d)", device,
             count, count == 1 ? "" : "s", count - 1);
    return SUT_EINVAL;
  }
  return SUT_OK;
}

static int attribute(enum cudaDeviceAttr a, int device)
{
  int v = 0;
  return cudaDeviceGetAttribute(&v, a, device) == cudaSuccess ? v : 0;
}

static void describe(int device, const struct cudaDeviceProp *p, sut_accel *a)
{
  int drv = 0, rt = 0;
  cudaDriverGetVersion(&drv);
  cudaRuntimeGetVersion(&rt);
  a->present = true;
  snprintf(a->api, sizeof a->api, "CUDA");
  snprintf(a->name, sizeof a->name, "%.127s", p->name);
  if (cudaDeviceGetPCIBusId(a->pci_bus_id, (int)sizeof a->pci_bus_id, device) != cudaSuccess)
    a->pci_bus_id[0] = '\0';
  snprintf(a->compute_capability, sizeof a->compute_capability, "%d.%d", p->major,
           p->minor);
  a->sm_count = p->multiProcessorCount;
  a->memory_bytes = (uint64_t)p->totalGlobalMem;
  a->sm_clock_mhz = attribute(cudaDevAttrClockRate, device) / 1000;
  a->memory_clock_mhz = attribute(cudaDevAttrMemoryClockRate, device) / 1000;
  version_text(drv, a->driver_version, sizeof a->driver_version);
  version_text(rt, a->runtime_version, sizeof a->runtime_version);
}

int sut_gpu_open(int device, sut_accel *a, char *err, size_t errlen)
{
  int rc = count_devices(device, err, errlen);
  if (rc != SUT_OK)
    return rc;
  struct cudaDeviceProp p;
  rc = sut_gpu_check(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties",
                     err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_use(device, err, errlen);
  if (rc != SUT_OK)
    return rc;
  describe(device, &p, a);
  if (p.major < SUT_GPU_MIN_CC_MAJOR) {
    snprintf(err, errlen, "cuda:%d: %s has compute capability %d.%d; this build has code "
             "for sm_80, sm_89, sm_90 and PTX for compute_90 (8.0 or newer)", device,
             p.name, p.major, p.minor);
    return SUT_ENOTSUP;
  }
  return SUT_OK;
}

int sut_gpu_use(int device, char *err, size_t errlen)
{
  return sut_gpu_check(cudaSetDevice(device), "cudaSetDevice", err, errlen);
}

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spin (yielding) for the first SPIN_NS: batches finish in microseconds to
 * milliseconds; past that, sleep SLEEP_NS between polls. */
#define GPU_WAIT_SPIN_NS 200000u
#define GPU_WAIT_SLEEP_NS 20000L

cudaError_t sut_gpu_wait(cudaEvent_t ev, uint64_t timeout_ns)
{
  uint64_t start = now_ns();
  for (;;) {
    cudaError_t e = cudaEventQuery(ev);
    if (e != cudaErrorNotReady)
      return e;
    uint64_t waited = now_ns() - start;
    if (waited >= timeout_ns)
      return cudaErrorNotReady;
    if (waited < GPU_WAIT_SPIN_NS) {
      sched_yield();
    } else {
      struct timespec ts = {0, GPU_WAIT_SLEEP_NS};
      nanosleep(&ts, NULL);
    }
  }
}

uint64_t sut_gpu_elapsed_ns(cudaEvent_t from, cudaEvent_t to)
{
  float ms = 0.0f;
  if (cudaEventElapsedTime(&ms, from, to) != cudaSuccess || !(ms > 0.0f))
    return 0;
  return (uint64_t)((double)ms * 1e6 + 0.5);
}
