/*
 * reports/samples.h - samples.csv, one row per issued sample.
 *
 *     index,sample_index,scheduled_ns,issued_ns,completed_ns,latency_ns,issue_delay_ns
 *
 * index is the record number in issue order (loadgen's response id); times are
 * nanoseconds from the start of the timed region; latency_ns = completed - scheduled
 * and issue_delay_ns = issued - scheduled (both may be negative only if a clock
 * misbehaved, and are then written with a minus sign). A lost sample has empty
 * completed_ns and latency_ns, never 0.
 *
 * The writer streams rows from a callback, so the harness can pass loadgen's records
 * without copying them; 1,000,000 rows take a few tens of milliseconds. The reader
 * uses libcsv and checks every row (field count, numbers, index order, and that the
 * derived columns agree), naming file:line on error.
 *
 * Thread-safety: none needed; each call works on its own file and buffers.
 */
#ifndef RPT_SAMPLES_H
#define RPT_SAMPLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/status.h"

typedef struct rpt_sample {
  uint64_t scheduled_ns;
  uint64_t issued_ns;
  uint64_t completed_ns;   /* ignored when lost; 0 after reading a lost row */
  uint32_t sample_index;   /* index in the query sample library */
  bool lost;               /* never completed */
} rpt_sample;

/* Fill *out with row i (0 <= i < n, called in order, once each). */
typedef void (*rpt_sample_fn)(void *ctx, size_t i, rpt_sample *out);

/* The header line, without the newline. */
extern const char rpt_samples_header[];

/*
 * Write n rows to path (created or truncated), getting row i from get(ctx, i, &s).
 * RPT_OK; RPT_EINVAL (path or get NULL); RPT_EIO with "path: why" in err.
 */
int rpt_samples_write(const char *path, size_t n, rpt_sample_fn get, void *ctx,
                      char *err, size_t errlen);

/* The same from a plain array (NULL allowed when n is 0). */
int rpt_samples_write_array(const char *path, const rpt_sample *samples, size_t n,
                            char *err, size_t errlen);

/*
 * Read path back. On RPT_OK *out is a malloc'd array of *count rows in file order
 * (NULL when there are none) that the caller frees with free(). On error *out is NULL,
 * *count 0, and err says "path:line: why": RPT_EIO (cannot read), RPT_EFORMAT (wrong
 * header, field count, a number that does not parse, an index out of order, derived
 * columns that disagree), RPT_ENOMEM.
 */
int rpt_samples_read(const char *path, rpt_sample **out, size_t *count, char *err,
                     size_t errlen);

#endif /* RPT_SAMPLES_H */
