/*
 * sut/sut.h - one interface for every system under test (prefix sut_).
 *
 * An adapter (cpu, cuda; serial later) sits behind a table of function pointers
 * (sut_backend). The sut object wraps it and enforces the phases:
 *
 *     sut_open -> [sut_load -> sut_issue... / sut_flush -> sut_unload]* -> sut_close
 *
 * A call in the wrong phase returns SUT_EPHASE; hardware or build support that is
 * missing returns SUT_ENOTSUP with the reason in the error text, never a crash.
 *
 * sut_lg_bind() hands out the lg_sut_ops / lg_qsl_ops pair that libloadgen drives:
 * loadgen's QSL load/unload become sut_load/sut_unload and its issue/flush become
 * sut_issue/sut_flush. Completions go back through lg_complete() from the adapter's
 * own threads.
 *
 * Placement: sut_options.cpus and .pin say which CPUs the adapter's workers use and
 * how they are bound; sut_info reports each worker's thread id and the cpuset read
 * back from inside it, and the CPUs left over, which sut_pin_caller_off binds the
 * loadgen thread to.
 *
 * Thread-safety: every call on one sut from one thread (the loadgen thread), except
 * that the adapter's workers complete samples concurrently. Ownership: sut_open hands
 * out the object; sut_close frees it (NULL accepted). The workload model stays owned
 * by the caller and must outlive the sut.
 */
#ifndef SUT_SUT_H
#define SUT_SUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"
#include "workloads/workload.h"

#define SUT_STATUS_MAP(X)                                                 \
  X(OK, 0, "success")                                                     \
  X(EINVAL, -1, "invalid argument")                                       \
  X(ENOMEM, -2, "out of memory")                                          \
  X(ENOTSUP, -3, "not supported by this build or machine")                \
  X(EPHASE, -4, "call not allowed in this phase")                         \
  X(EUNKNOWN, -5, "unknown SUT")                                          \
  X(EDEVICE, -6, "device error")                                          \
  X(ESAMPLE, -7, "sample index out of range")

typedef enum {
#define SUT_STATUS_ENUM_(name, value, text) SUT_##name = (value),
  SUT_STATUS_MAP(SUT_STATUS_ENUM_)
#undef SUT_STATUS_ENUM_
} sut_status;

/* Message for a status code; never NULL ("unknown status" for foreign codes). */
const char *sut_strerror(int status);

/* Where sample inputs come from: the workload's deterministic generator by default,
 * or a dataset. Shared by every adapter so all SUTs see the same bytes. */
typedef struct sut_samples {
  uint64_t count;   /* total samples in the source */
  /* Copy sample `index`'s input tensor into `input`; 0 on success, else non-zero with
   * the reason in err. Called outside the timed region (QSL load). */
  int (*load)(void *ctx, uint64_t index, void *input, char *err, size_t errlen);
  void *ctx;
} sut_samples;

/* Fill `input` for sample `index` from src, or from the workload's generator when src is
 * NULL. SUT_OK, or SUT_ESAMPLE with the reason in err. */
int sut_samples_load(const sut_samples *src, const wl_model *m, uint64_t index, void *input,
                     char *err, size_t errlen);
/* Total samples of src, or the workload's total_sample_count when src is NULL. */
uint64_t sut_samples_count(const sut_samples *src, const wl_model *m);

/* Options from the command line. Strings are borrowed for the duration of sut_open. */
typedef struct sut_options {
  const char *spec;      /* "cpu", later "cuda:0", "serial:/dev/ttyACM0,baud=115200" */
  int threads;           /* worker threads; 0 = one per physical core among `cpus`
                            (one per PU with pin "pu");
                            -1 = inline (complete on the issuing thread);
                            SUT_THREADS_AUTO (the default) = the adapter's choice
                            (cpu: inline for compute-free workloads, else 0) */
  int batch;             /* Offline batch size per worker hand-out; 0 = adapter default */
  const char *cpus;      /* --cpus: the CPUs the SUT may use, OS numbers in hwloc list
                            syntax ("0-3", "0,2,4-5"); NULL = all. Empty, malformed
                            (SUT_EINVAL) or naming CPUs the machine lacks (SUT_ENOTSUP)
                            fails sut_open with the value and the machine's CPUs */
  const char *pin;       /* --pin: "core" (NULL, the default): one worker per core,
                            bound to that core's cpuset (its part within `cpus`
                            when the list splits a core); "pu": one per PU (hardware
                            thread), bound to it; "none": not bound, the OS schedules
                            them (within `cpus`), counted per core. Anything else is
                            SUT_EINVAL. Overrides the spec's pin= option */
  const sut_samples *samples; /* NULL = the workload's generator; borrowed, must
                                 outlive the sut */
  const lg_settings *settings; /* the run's loadgen settings (scenario, mode), for an
                                  adapter whose protocol depends on them (serial:
                                  Offline windows, accuracy; cuda: batch size and
                                  queueing delay defaults); NULL = unknown. Read
                                  during sut_open only */
} sut_options;

#define SUT_THREADS_INLINE (-1)
#define SUT_THREADS_AUTO (-2)

/* spec "cpu", threads SUT_THREADS_AUTO, batch 0, cpus and pin NULL. */
void sut_options_default(sut_options *o);

/* Figures timed by the device's own clock (serial: the DUT's 32-bit m-lap-us
 * microsecond counter), beside the host-measured ones of loadgen. present is false for
 * host SUTs. */
#define SUT_MAX_WINDOWS 16
typedef struct sut_device_window { /* one MLPerf Tiny window: infer N W on one input */
  uint64_t sample_index, inferences, dut_us;
  double samples_per_s;
} sut_device_window;
typedef struct sut_device_info {
  bool present;
  char name[96];                 /* m-name-dut-[...] */
  char model[32];                /* m-model-[...] */
  char timing[128];              /* how it was timed */
  lg_latency_stats latency;      /* per `infer 1 0`, ns (DUT microseconds x 1000) */
  double samples_per_s;          /* Offline: median of the windows; 0 = none */
  size_t windows;
  sut_device_window window[SUT_MAX_WINDOWS];
  uint64_t counter_wraps;        /* lap pairs across the 2^32 us wrap */
  uint64_t recoveries;           /* faults recovered by a re-sync and one retry */
  uint64_t garbage_lines;        /* lines that were not protocol lines */
  char last_fault[512];          /* the last fault, recovered or not; "" none */
  char failure[1024];            /* the fault that ended the run; "" none */
} sut_device_info;

/* What an accelerator adapter (cuda) runs on and how long its batches took; the
 * other adapters leave it zeroed (present false). Timings cover every batch since
 * open, warm-up included: host time is from taking the batch off the queue to its
 * outputs in host memory; device time is between CUDA events recorded on the
 * batch's stream around its copies and kernels, so host minus device is the launch,
 * synchronisation and queueing overhead a user pays on top of the GPU's work. */
typedef struct sut_accel {
  bool present;
  char api[16];                /* "CUDA" */
  char name[128];              /* "NVIDIA H100 80GB HBM3" */
  char pci_bus_id[32];         /* "0000:65:00.0", as NVML names the device */
  char compute_capability[8];  /* "9.0" */
  int sm_count;
  uint64_t memory_bytes;       /* device memory */
  int sm_clock_mhz;            /* peak SM clock */
  int memory_clock_mhz;        /* peak memory clock */
  char driver_version[16];     /* CUDA version the driver supports, "13.0" */
  char runtime_version[16];    /* CUDA runtime linked in, "13.0" */
  char precision[8];           /* "fp32", "tf32", "fp16", "bf16" */
  int streams;                 /* CUDA streams, one host worker each */
  int max_batch;               /* most samples per batch */
  uint64_t max_delay_us;       /* longest a sample waits for its batch to fill */
  uint64_t batches, samples;   /* batches run, samples in them */
  double host_batch_ns_mean;   /* per batch, host side */
  double device_batch_ns_mean; /* per batch, CUDA events: copy in .. copy out */
  uint64_t device_batch_ns_min, device_batch_ns_max;
  double copy_in_ns_mean;      /* sample slots to the device, gather */
  double compute_ns_mean;      /* kernels / cuBLAS */
  double copy_out_ns_mean;     /* outputs to pinned host memory */
  uint64_t samples_failed;     /* in batches the device failed (never completed) */
  char last_error[160];        /* the last device error, "" when none */
} sut_accel;

#define SUT_MAX_WORKERS 256
typedef struct sut_info {
  char name[32];         /* "cpu" */
  char device[128];      /* "AMD EPYC (2 cores)" */
  int threads;           /* workers; 0 when inline */
  int batch;
  bool inline_completion;
  char pinning[64];      /* "core", "pu", "none (pin=none)",
                            "none (hwloc unavailable: ...)" */
  /* per worker (threads of them): its Linux thread id (gettid), for per-thread
   * counters, and the cpuset it runs on as read back from the OS inside it, as a
   * list string "0", "0,16" or "0-3" */
  int worker_tids[SUT_MAX_WORKERS];
  char worker_cpus[SUT_MAX_WORKERS][64];
  /* The CPUs none of the SUT's threads is bound to, as a list string ("0", "4-7"),
   * for the loadgen thread (see sut_pin_caller_off); "" when the SUT uses every
   * core, runs inline or cannot tell. */
  char loadgen_cpus[64];
  /* Samples the adapter never completed (loadgen counts them lost), by cause. */
  uint64_t samples_refused;     /* issued outside load..unload (wrong phase) */
  uint64_t samples_not_loaded;  /* index not resident when its turn came */
  uint64_t samples_discarded;   /* still queued when unload came */
  uint64_t issue_stalls;        /* issues that waited for room in a full queue */
  /* The longest the adapter may go between two completions (serial Offline windows
   * of >= 10 s DUT time); the harness raises drain_timeout above it. 0 = short. */
  uint64_t completion_gap_ms;
  sut_device_info device_timing; /* a SUT with its own clock (serial DUT) */

  sut_accel accel;              /* accelerator adapters only */
} sut_info;

typedef struct sut sut;

/* The adapter table. `self` is the adapter's own state. The wrapper checks phases
 * and arguments, so a backend sees load/unload/issue/flush only when they are
 * allowed; open and load/unload return a sut_status (open writes the reason of a
 * failure into err); issue must not wait for inference unless the adapter runs
 * inline; describe fills every sut_info field but samples_refused (the wrapper's);
 * close must accept samples still queued (dropped). pin_caller_off (may be NULL:
 * nothing to keep off) does the work of sut_pin_caller_off. */
typedef struct sut_backend {
  const char *name;      /* spec prefix: "cpu" */
  const char *help;      /* one line for `mlsysbench list` */
  int (*open)(void **self, const sut_options *o, const wl_model *m, char *err,
              size_t errlen);
  int (*load)(void *self, const uint64_t *indices, size_t n);
  int (*unload)(void *self, const uint64_t *indices, size_t n);
  void (*issue)(void *self, lg_test *t, const lg_sample *s, size_t n);
  void (*flush)(void *self);
  void (*describe)(void *self, sut_info *out);
  void (*close)(void *self);
  int (*pin_caller_off)(void *self, char *where, size_t len);
} sut_backend;

/* Every adapter compiled in, for `mlsysbench list`; *count gets their number (count
 * may be NULL). The table is static: never freed. */
const sut_backend *const *sut_backends(size_t *count);

/* Open the adapter named by o->spec (text before ':') for workload m; o == NULL or
 * o->spec == NULL means the defaults. err (may be NULL) gets the reason of a failure.
 * Errors: SUT_EUNKNOWN (err lists the known adapters), SUT_ENOTSUP (reason in err),
 * SUT_EINVAL, SUT_ENOMEM, SUT_EDEVICE. On error *out is NULL. */
int sut_open(sut **out, const sut_options *o, const wl_model *m, char *err,
             size_t errlen);
/* Make samples resident (untimed); allowed in any phase after open, each successful
 * call adds one loaded set. SUT_ESAMPLE if an index is out of range (nothing is
 * loaded then), SUT_ENOMEM, SUT_EPHASE when s is NULL. */
int sut_load(sut *s, const uint64_t *indices, size_t n);
/* Drop samples and one loaded set; waits for samples in flight and drops queued ones
 * (they are then never completed). SUT_EPHASE when nothing is loaded, SUT_ESAMPLE. */
int sut_unload(sut *s, const uint64_t *indices, size_t n);
/* Hand samples to the adapter; completions come back through lg_complete(t, ...).
 * `samples` must stay valid until each is completed (or unload). Outside
 * load..unload the samples are not completed (loadgen counts them lost) and
 * sut_info.samples_refused counts them. */
void sut_issue(sut *s, lg_test *t, const lg_sample *samples, size_t n);
/* After the last issue of a series; a no-op outside load..unload. */
void sut_flush(sut *s);
/* Fill *out (zeroed first); s == NULL leaves it zeroed. */
void sut_describe(const sut *s, sut_info *out);
/* Bind the calling thread (the loadgen thread) to the CPUs the SUT does not use,
 * sut_info.loadgen_cpus, with hwloc_set_cpubind(HWLOC_CPUBIND_THREAD) when there are
 * any, and write the binding read back from the OS into where ("0"); when there are
 * none (or the adapter runs inline or has no host workers) the thread is left alone
 * and where says why ("not pinned: the SUT uses every core"). where must hold len
 * bytes (len >= 1). It saves nothing: restoring the thread's previous affinity is
 * the caller's job. Call from the thread to be bound, after sut_open; it may run
 * while workers run. Returns SUT_OK; SUT_EINVAL (s or where NULL, len 0); SUT_EDEVICE or
 * SUT_ENOMEM when binding failed (where gets the reason). */
int sut_pin_caller_off(const sut *s, char *where, size_t len);
/* Stops and joins the adapter's workers (queued samples are dropped), then frees.
 * Allowed in any phase. Accepts NULL. */
void sut_close(sut *s);

/* Bridge to libloadgen: fills the ops tables; the ctx for both is `s`.
 * total/performance sample counts come from the workload's info. */
void sut_lg_bind(sut *s, lg_sut_ops *sut_ops, lg_qsl_ops *qsl_ops);

#endif /* SUT_SUT_H */
