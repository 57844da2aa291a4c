/*
 * reports/summary.h - summary.txt, the human-readable report of one run, and a
 * one-line-per-run table for suites and listings.
 *
 * The summary follows MLPerf's mlperf_log_summary.txt (SUT, scenario, mode, the
 * metric line, "Result is : VALID" or "INVALID", each validity check Yes/NO, the
 * early-stopping block, latency min/max/mean and p50..p99.9 in ns, the effective
 * settings) and adds: the 99 % confidence interval of the metric with its method,
 * the INVALID reasons in plain words, counts of lost, duplicate, unknown and late
 * completions, the issue delay (p50/p99/max) in every Server summary, find-peak
 * probes, the accuracy block, and the build, host, SUT and workload identity.
 * Unset values are left out or printed as "unavailable", never as 0.
 *
 * Thread-safety: the functions only read the results; writing to one FILE from
 * several threads is the caller's business.
 */
#ifndef RPT_SUMMARY_H
#define RPT_SUMMARY_H

#include <stdio.h>

#include "reports/results.h"

/* Render the summary of r to f (e.g. stdout). RPT_OK, RPT_EINVAL (NULL argument) or
 * RPT_EIO when f reports a write error. f is not closed. */
int rpt_summary_write(FILE *f, const rpt_results *r);

/* Render it into the file at path. RPT_OK, RPT_EINVAL, RPT_EIO with "path: why". */
int rpt_summary_write_file(const char *path, const rpt_results *r, char *err,
                           size_t errlen);

/* The header line of the one-line-per-run table: workload, scenario, mode, metric,
 * value, validity, run folder. RPT_OK or RPT_EIO. */
int rpt_summary_row_header(FILE *f);

/* One table line for r; run_folder (may be NULL) is printed as given. Validity is
 * VALID, INVALID or "-" (not judged: accuracy mode). RPT_OK, RPT_EINVAL or RPT_EIO. */
int rpt_summary_row(FILE *f, const rpt_results *r, const char *run_folder);

#endif /* RPT_SUMMARY_H */
