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

const char *sut_strerror(int status);

/* Options from the command line. Strings are borrowed for the duration of sut_open. */
typedef struct sut_options {
  const char *spec;      /* "cpu", later "cuda:0", "serial:/dev/ttyACM0,baud=115200" */
  int threads;           /* worker threads; 0 = one per physical core;
                            -1 = inline (complete on the issuing thread) */
  int batch;             /* Offline batch size per worker hand-out; 0 = adapter default */
} sut_options;

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
} sut_info;

typedef struct sut sut;

/* The adapter table. `self` is the adapter's own state. */
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

/* Every adapter compiled in, for `mlsysbench list`. */
const sut_backend *const *sut_backends(size_t *count);

/* Open the adapter named by o->spec (text before ':') for workload m.
 * Errors: SUT_EUNKNOWN, SUT_ENOTSUP (reason in err), SUT_EINVAL, SUT_ENOMEM. */
int sut_open(sut **out, const sut_options *o, const wl_model *m, char *err,
             size_t errlen);
/* Make samples resident (untimed). SUT_ESAMPLE if an index is out of range. */
int sut_load(sut *s, const uint64_t *indices, size_t n);
int sut_unload(sut *s, const uint64_t *indices, size_t n);
/* Hand samples to the adapter; completions come back through lg_complete(t, ...). */
void sut_issue(sut *s, lg_test *t, const lg_sample *samples, size_t n);
void sut_flush(sut *s);
void sut_describe(const sut *s, sut_info *out);
/* Stops and joins the adapter's workers, then frees. Accepts NULL. */
void sut_close(sut *s);

/* Bridge to libloadgen: fills the ops tables; the ctx for both is `s`.
 * total/performance sample counts come from the workload's info. */
void sut_lg_bind(sut *s, lg_sut_ops *sut_ops, lg_qsl_ops *qsl_ops);

#endif /* SUT_SUT_H */
