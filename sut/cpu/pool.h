/*
 * sut/cpu/pool.h - the CPU SUT's worker threads and the queue that feeds them
 * (private).
 *
 * The issuing thread publishes each sut_pool_issue call as one job - (test, samples
 * pointer, n), no copy of the samples - into a fixed ring of SUT_POOL_JOBS jobs.
 * Workers claim samples with a compare-and-swap on one 64-bit cursor (job ticket,
 * offset), a chunk at a time, infer them with their own executor (sut/cpu/exec.h)
 * and complete each through lg_complete. No mutex anywhere; no allocation after
 * sut_pool_start. Idle workers spin for spin_ns, then sleep on a futex that the
 * issuer only touches when someone sleeps. Design notes in pool.c.
 *
 * Thread-safety: sut_pool_issue, sut_pool_quiesce, sut_pool_describe and
 * sut_pool_stop must be called from one thread (the SUT's caller). Ownership:
 * sut_pool_start hands out the pool and its threads; sut_pool_stop joins and frees.
 * The model, store, placement and not_loaded counter are borrowed and must outlive
 * the pool.
 */
#ifndef SUT_CPU_POOL_H
#define SUT_CPU_POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"
#include "sut/cpu/store.h"
#include "sut/cpu/place.h"
#include "sut/sut.h"
#include "workloads/workload.h"

/* Jobs (issue calls) that may be outstanding at once; a power of two. An issue that
 * finds the ring full waits for the oldest job to finish (counted in issue_stalls). */
#define SUT_POOL_JOBS 16384u

typedef struct sut_pool_config {
  unsigned workers;       /* 1 .. SUT_MAX_WORKERS */
  size_t batch;           /* most samples per claim, >= 1 */
  uint64_t spin_ns;       /* how long an idle worker spins before it sleeps */
  const sut_place *place; /* where worker i is bound (sut_place_bind_self) */
} sut_pool_config;

typedef struct sut_pool sut_pool;

/* Start the workers; returns once each has recorded its thread id, pinned itself
 * (or failed to: that is reported by sut_pool_describe, not an error), read its
 * binding back and set up its executor.
 * Returns SUT_OK, SUT_EINVAL (bad config), SUT_ENOMEM, or SUT_EDEVICE (a thread could
 * not be created); the reason goes to err. On error nothing is left running. */
int sut_pool_start(sut_pool **out, const sut_pool_config *c, const wl_model *m,
                   const sut_store *st, _Atomic uint64_t *not_loaded, char *err,
                   size_t errlen);

/* Queue samples[0..n) of test t. Cheap: no allocation, no lock, a futex wake only
 * when a worker sleeps. `samples` must stay valid until each is completed or the
 * pool is quiesced with discard. n == 0 does nothing. */
void sut_pool_issue(sut_pool *p, lg_test *t, const lg_sample *samples, size_t n);

/* Wait until every queued sample has been run. With discard, samples no worker has
 * claimed yet are dropped instead (never completed) and counted. Returns the number
 * dropped now. After it returns no worker touches the store or any lg_test. */
uint64_t sut_pool_quiesce(sut_pool *p, bool discard);

/* threads, worker_tids, worker_cpus, pinning ("core", "pu", "none (pin=none)",
 * "none (worker 0: why)", "partial (worker 1: why)"), samples_discarded and
 * issue_stalls into out; other fields are left alone. */
void sut_pool_describe(const sut_pool *p, sut_info *out);

/* Stop and join the workers (queued samples are dropped), free everything.
 * Accepts NULL. */
void sut_pool_stop(sut_pool *p);

#endif /* SUT_CPU_POOL_H */
