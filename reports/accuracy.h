/*
 * reports/accuracy.h - accuracy.json, the per-sample outcome of an accuracy-mode run.
 *
 *     {"schema": "mlsysbench.accuracy", "schema_version": 1,
 *      "accuracy": {"samples": ..., "top1_agreement": ..., "max_abs_error": ...,
 *                   "missing": ...},
 *      "samples": [{"sample_index": 3, "sut_top1": 7, "ref_top1": 7, "agree": true,
 *                   "max_abs_error": 1.2e-06, "missing": false}, ...]}
 *
 * Values that do not apply are null: top-1 fields for a workload that is not a
 * classifier, and everything but sample_index for a missing output. Entries come from
 * a callback, so the caller needs no workload types here. The "accuracy" block is the
 * same rpt_accuracy that results.json carries; rpt_accuracy_summarize() computes it.
 *
 * Thread-safety: none needed; each call works on its own data.
 */
#ifndef RPT_ACCURACY_H
#define RPT_ACCURACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/results.h"

#define RPT_ACCURACY_SCHEMA_NAME "mlsysbench.accuracy"
#define RPT_ACCURACY_SCHEMA_VERSION 1

typedef struct rpt_accuracy_sample {
  uint64_t sample_index;
  bool missing;          /* the SUT returned no output for it */
  bool has_top1;         /* the workload is a classifier */
  uint32_t sut_top1;     /* arg-max of the SUT output */
  uint32_t ref_top1;     /* arg-max of the fp32 reference */
  double max_abs_error;  /* max |sut - reference| over the output elements */
  uint32_t tokens;       /* token generators: tokens generated (0 otherwise) */
  uint32_t tokens_agree; /* of them, equal to the reference before the divergence */
} rpt_accuracy_sample;

/* Fill *out with entry i (0 <= i < n, called in order). */
typedef void (*rpt_accuracy_sample_fn)(void *ctx, size_t i, rpt_accuracy_sample *out);

/*
 * Compute the accuracy block from n entries: samples = n, missing = entries without
 * output, top1_agreement = agreeing entries / n (a missing output never agrees; unset
 * when no entry has top-1), max_abs_error over the outputs that came back (unset when
 * none did), token_agreement = sum of tokens_agree / sum of tokens (unset when no
 * entry has tokens). Sets out->present. RPT_OK or RPT_EINVAL.
 */
int rpt_accuracy_summarize(size_t n, rpt_accuracy_sample_fn get, void *ctx,
                           rpt_accuracy *out);

/*
 * Write accuracy.json to path: the given block (written as is) and the n entries.
 * RPT_OK, RPT_EINVAL, RPT_ENOMEM, RPT_EIO with "path: why" in err.
 */
int rpt_accuracy_write(const char *path, const rpt_accuracy *block, size_t n,
                       rpt_accuracy_sample_fn get, void *ctx, char *err, size_t errlen);

#endif /* RPT_ACCURACY_H */
