/*
 * sut/sut.h - one interface for every system under test (prefix sut_).
 *
 * An adapter (cpu now; cuda and serial later) sits behind a table of function pointers
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

/* Options from the command line. Strings are borrowed for the duration of sut_open. */
typedef struct sut_options {
  const char *spec;      /* "cpu", later "cuda:0", "serial:/dev/ttyACM0,baud=115200" */
  int threads;           /* worker threads; 0 = one per physical core;
                            -1 = inline (complete on the issuing thread);
                            SUT_THREADS_AUTO (the default) = the adapter's choice
                            (cpu: inline for compute-free workloads, else 0) */
  int batch;             /* Offline batch size per worker hand-out; 0 = adapter default */
} sut_options;

#define SUT_THREADS_INLINE (-1)
#define SUT_THREADS_AUTO (-2)

/* spec "cpu", threads SUT_THREADS_AUTO, batch 0. */
void sut_options_default(sut_options *o);

#define SUT_MAX_WORKERS 256
typedef struct sut_info {
  char name[32];         /* "cpu" */
  char device[128];      /* "AMD EPYC (2 cores)" */
  int threads;           /* workers; 0 when inline */
  int batch;
  bool inline_completion;
  char pinning[64];      /* "core", "none (hwloc unavailable: ...)" */
  /* per worker: the cpuset it ran on, as a list string "0" or "0-3" */
  char worker_cpus[SUT_MAX_WORKERS][16];
  /* Samples the adapter never completed (loadgen counts them lost), by cause. */
  uint64_t samples_refused;     /* issued outside load..unload (wrong phase) */
  uint64_t samples_not_loaded;  /* index not resident when its turn came */
  uint64_t samples_discarded;   /* still queued when unload came */
  uint64_t issue_stalls;        /* issues that waited for room in a full queue */
} sut_info;

typedef struct sut sut;

/* The adapter table. `self` is the adapter's own state. The wrapper checks phases
 * and arguments, so a backend sees load/unload/issue/flush only when they are
 * allowed; open and load/unload return a sut_status (open writes the reason of a
 * failure into err); issue must not wait for inference unless the adapter runs
 * inline; describe fills every sut_info field but samples_refused (the wrapper's);
 * close must accept samples still queued (dropped). */
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
/* Stops and joins the adapter's workers (queued samples are dropped), then frees.
 * Allowed in any phase. Accepts NULL. */
void sut_close(sut *s);

/* Bridge to libloadgen: fills the ops tables; the ctx for both is `s`.
 * total/performance sample counts come from the workload's info. */
void sut_lg_bind(sut *s, lg_sut_ops *sut_ops, lg_qsl_ops *qsl_ops);

#endif /* SUT_SUT_H */
