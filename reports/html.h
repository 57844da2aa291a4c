/*
 * reports/html.h - the HTML report of one run or a run set (prefix rpt_html_).
 *
 * One self-contained page: inline CSS and inline SVG, no JavaScript, no fonts or
 * images from elsewhere, no network references. For each run it shows the summary
 * (metric with its 99 % confidence interval, validity with the reasons, SUT, host,
 * build), the latency statistics, plots made from samples.csv (latency histogram with
 * log-spaced bins, latency CDF on a log axis, latency over time, issue delay over time
 * for Server runs, throughput over time), the counters, energy and, when results.json
 * places the run on a roofline, the roofline plot; settings with their source and the
 * system (topology, worker cpus, command line) in collapsible sections. A run set adds
 * one CDF plot overlaying every run, with a legend.
 *
 * Latency is completed - scheduled. Lost samples have none: they are left out of the
 * latency plots and counted in a note under them. Values <= 0 ns (a clock that went
 * backwards) cannot sit on a log axis: they are left out and counted too.
 *
 * Cost: the samples are binned before anything is drawn; a plot never holds more than
 * opts.max_points per-sample marks (the rest are thinned out: every k-th sample in
 * issue order), so the page stays a few hundred kB for 10^6-sample runs. Sorting the
 * latencies is the largest cost: O(n log n) per run.
 *
 * Every string that comes from results.json (names, reasons, settings, the command
 * line, labels) is HTML-escaped.
 *
 * Thread-safety: no shared state; each call uses only its arguments.
 */
#ifndef RPT_HTML_H
#define RPT_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reports/results.h"
#include "reports/samples.h"
#include "reports/status.h"

#define RPT_HTML_MAX_POINTS 5000  /* default cap on per-sample marks in one plot */
#define RPT_HTML_HIST_BINS 60     /* default latency histogram bins */
#define RPT_HTML_TIME_BINS 100    /* default most time bins of the over-time plots */

/* One run of the report. Nothing here is copied or freed by rpt_html_. */
typedef struct rpt_html_run {
  const char *label;           /* how the page names the run (its folder); NULL: "run N" */
  const rpt_results *results;  /* results.json; required */
  const rpt_sample *samples;   /* samples.csv rows in file order; NULL when n_samples is 0 */
  size_t n_samples;
} rpt_html_run;

typedef struct rpt_html_opts {
  const char *title;           /* page title; NULL: "mlsysbench report: <label>" */
  const char *generator;       /* e.g. "mlsysbench v1.2" in the footer; NULL: left out */
  size_t max_points;           /* per-sample marks per plot; 0: RPT_HTML_MAX_POINTS */
  size_t hist_bins;            /* 0: RPT_HTML_HIST_BINS */
  size_t time_bins;            /* most time bins; 0: RPT_HTML_TIME_BINS (fewer when a
                                  run has few samples: about 20 samples per bin) */
} rpt_html_opts;

/*
 * Write the page for runs[0..n_runs) to f. opts may be NULL (defaults).
 * RPT_OK; RPT_EINVAL (f or runs NULL, n_runs 0, a run without results, samples NULL
 * with n_samples > 0); RPT_ENOMEM; RPT_EIO (a write failed). err gets the reason.
 */
int rpt_html_write(FILE *f, const rpt_html_run *runs, size_t n_runs,
                   const rpt_html_opts *opts, char *err, size_t errlen);

/*
 * The same into path, atomically: written to "<path>.tmp-XXXXXX" in the same folder,
 * flushed, then renamed over path (mode 0644). On failure the temporary file is
 * removed and path is untouched. Errors as rpt_html_write; RPT_EIO names the path.
 */
int rpt_html_write_file(const char *path, const rpt_html_run *runs, size_t n_runs,
                        const rpt_html_opts *opts, char *err, size_t errlen);

/* ---- building blocks (used by the page; public so they can be tested and reused) --- */

/* Latency histogram over log-spaced bins. */
typedef struct rpt_html_hist {
  size_t bins;
  double *edges_ns;      /* bins + 1 increasing edges; bin i is [edges[i], edges[i+1]) and
                            the last bin also holds edges[bins] */
  uint64_t *counts;      /* samples per bin */
  uint64_t total;        /* samples binned: the sum of counts */
  uint64_t lost;         /* lost samples (no latency), not binned */
  uint64_t nonpositive;  /* completed at or before their scheduled time, not binned */
} rpt_html_hist;

/*
 * Bin the latencies (completed - scheduled) of samples[0..n) into `bins` bins (0:
 * RPT_HTML_HIST_BINS) spaced evenly in log(latency) from the smallest to the largest
 * (when they are equal, from value/1.2 to value*1.2). With nothing to bin, edges and
 * counts are NULL and bins 0. RPT_OK, RPT_EINVAL (h NULL, samples NULL with n > 0),
 * RPT_ENOMEM. Free with rpt_html_hist_destroy (accepts NULL).
 */
int rpt_html_hist_init(rpt_html_hist *h, const rpt_sample *samples, size_t n, size_t bins);
void rpt_html_hist_destroy(rpt_html_hist *h);

/* How many of n per-sample marks a plot draws under a cap of max (0: no cap): n when
 * n <= max, else max. The k-th kept mark is sample rpt_html_thin_index(k, n, max). */
size_t rpt_html_thin_count(size_t n, size_t max);
size_t rpt_html_thin_index(size_t k, size_t n, size_t max);

/*
 * Tick values of a log axis from lo to hi (0 < lo < hi), at most max of them, into
 * ticks[] in increasing order; returns how many. Powers of ten when at least three
 * fall in range (every second or third one over many decades), else 1-2-5 x 10^k
 * when at least three do, else 1..9 x 10^k, else evenly spaced round values.
 */
size_t rpt_html_log_ticks(double lo, double hi, double *ticks, size_t max);

/* A duration in nanoseconds as an axis label with three significant digits at most:
 * "500 ns", "1 µs", "12.5 µs", "2 ms", "1.5 s" (UTF-8 micro sign). Returns buf. */
const char *rpt_html_format_ns(char *buf, size_t len, double ns);

#endif /* RPT_HTML_H */
