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
 * A run with token latencies (loadgen use_token_latencies) adds four columns:
 *
 *     ...,issue_delay_ns,first_token_ns,ttft_ns,tokens,tpot_ns
 *
 * first_token_ns (empty when the SUT reported none), ttft_ns = first_token -
 * scheduled, tokens (n_tokens at completion; empty when lost) and tpot_ns =
 * (completed - first_token) / (tokens - 1) in integer nanoseconds (empty without a
 * first token, with fewer than 2 tokens, or when lost).
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
  /* token columns (rpt_samples_write_tokens; zero when absent) */
  uint64_t first_token_ns; /* 0 = no first token */
  uint64_t n_tokens;
} rpt_sample;

/* Fill *out with row i (0 <= i < n, called in order, once each). */
typedef void (*rpt_sample_fn)(void *ctx, size_t i, rpt_sample *out);

/* The header line, without the newline; the second with the token columns. */
extern const char rpt_samples_header[];
extern const char rpt_samples_header_tokens[];

/*
 * Write n rows to path (created or truncated), getting row i from get(ctx, i, &s).
 * RPT_OK; RPT_EINVAL (path or get NULL); RPT_EIO with "path: why" in err.
 */
int rpt_samples_write(const char *path, size_t n, rpt_sample_fn get, void *ctx,
                      char *err, size_t errlen);

/* The same with the four token columns. */
int rpt_samples_write_tokens(const char *path, size_t n, rpt_sample_fn get, void *ctx,
                             char *err, size_t errlen);

/* The same from a plain array (NULL allowed when n is 0). */
int rpt_samples_write_array(const char *path, const rpt_sample *samples, size_t n,
                            char *err, size_t errlen);

/*
 * Read path back. On RPT_OK *out is a malloc'd array of *count rows in file order
 * (NULL when there are none) that the caller frees with free(). On error *out is NULL,
 * *count 0, and err says "path:line: why": RPT_EIO (cannot read), RPT_EFORMAT (wrong
 * header (either form is accepted), field count, a number that does not parse, an index out of order, derived
 * columns that disagree), RPT_ENOMEM.
 */
int rpt_samples_read(const char *path, rpt_sample **out, size_t *count, char *err,
                     size_t errlen);

#endif /* RPT_SAMPLES_H */
