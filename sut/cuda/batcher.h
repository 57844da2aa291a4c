/*
 * sut/cuda/batcher.h - dynamic batching for an adapter that runs samples in batches
 * on host worker threads (private to sut/; the CUDA adapter uses it, with one worker
 * per CUDA stream). No CUDA in here, so its behaviour is tested on any machine.
 *
 * issue() appends the loadgen's sample array as one range (not copied: loadgen keeps
 * it valid until completion) with its arrival time. A worker takes up to max_batch
 * samples from the front when the queue holds a full batch, when max_delay_ns has
 * passed since the oldest queued sample arrived, when max_delay_ns is 0, or after
 * flush (no more samples are coming); otherwise it sleeps until that deadline. That
 * is a serving system's dynamic batching. It then calls run() outside the lock with
 * the batch (samples, and each one's test) and takes the next.
 *
 * pause() waits until no batch is running and keeps workers from starting one until
 * resume() (the adapter changes its sample store in between); with drop, what is
 * queued is discarded first (never completed; loadgen counts it lost).
 *
 * Every wait is bounded: workers and the issuer wait in 100 ms steps and re-check; a
 * full queue (queue_ranges issues) holds issue() at most 30 s, then the samples are
 * discarded (counted).
 *
 * Thread-safety: issue, flush, pause/resume and stats from one thread (the loadgen
 * thread), concurrently with the workers. Ownership: start hands out the batcher,
 * stop joins the workers and frees it (NULL accepted); config.ctx is borrowed.
 */
#ifndef SUT_CUDA_BATCHER_H
#define SUT_CUDA_BATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"

typedef struct sut_batcher_config {
  unsigned workers;          /* host worker threads, >= 1 */
  size_t max_batch;          /* most samples per batch, >= 1 */
  uint64_t max_delay_ns;     /* how long the oldest sample may wait for a full batch */
  uint32_t queue_ranges;     /* issues queued at once; 0 = 16384 */
  /* Called once on each worker thread before its first batch; non-zero stops the
   * start (why in err). May be NULL. */
  int (*worker_start)(void *ctx, unsigned worker, char *err, size_t errlen);
  /* Run and complete one batch on worker `worker`: samples[i] belongs to tests[i].
   * Both arrays stay valid until it returns. */
  void (*run)(void *ctx, unsigned worker, const lg_sample *samples, lg_test *const *tests,
              size_t n);
  void *ctx;
} sut_batcher_config;

typedef struct sut_batcher_stats {
  uint64_t batches, samples;  /* handed to run() */
  uint64_t largest_batch;
  uint64_t discarded;         /* dropped by pause(drop) or a queue that stayed full */
  uint64_t issue_stalls;      /* issues that waited for room */
} sut_batcher_stats;

typedef struct sut_batcher sut_batcher;

/* Start the workers and wait (at most 10 s) until each has run worker_start.
 * 0, or -1 with why in err (then nothing is left running). */
int sut_batcher_start(sut_batcher **out, const sut_batcher_config *c, char *err,
                      size_t errlen);
/* Stop and join the workers (queued samples are dropped, not counted), free. */
void sut_batcher_stop(sut_batcher *b);

void sut_batcher_issue(sut_batcher *b, lg_test *t, const lg_sample *samples, size_t n);
/* No more samples are coming for now: what is queued goes without waiting. The next
 * issue ends that. */
void sut_batcher_flush(sut_batcher *b);

/* Wait until no batch runs and hold the workers off; drop discards the queue. */
void sut_batcher_pause(sut_batcher *b, bool drop);
void sut_batcher_resume(sut_batcher *b);

/* Worker w's Linux thread id and the CPUs it may run on ("0-15"), read inside it. */
void sut_batcher_worker(sut_batcher *b, unsigned w, int *tid, char *cpus, size_t len);
void sut_batcher_get_stats(sut_batcher *b, sut_batcher_stats *out);

#endif /* SUT_CUDA_BATCHER_H */
