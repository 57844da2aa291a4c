/*
 * reports/compare.h - the regression verdict between two run folders (prefix
 * rpt_compare_): are they comparable, and for throughput, p50/p90/p99 latency and
 * energy per inference, is the new run significantly faster or slower?
 *
 * Inputs are run folders (results.json + samples.csv, read with the results model and
 * the samples reader). Two runs are comparable when the workload (name and
 * parameters), scenario, mode, the loadgen settings that define the test (duration,
 * query count, Server QPS and latency bound, MultiStream samples per query, Offline
 * expected QPS, the three RNG seeds), the hardware profile and the SUT name agree;
 * each difference is listed as "key: baseline X, new Y".
 *
 * Statistics, per metric (change = new / baseline - 1):
 *  - Latency p50/p90/p99: per-sample latency (completed - scheduled, lost samples left
 *    out), MLPerf's percentile (the floor(n*p)-th smallest, no interpolation), so the
 *    values equal results.json's. Confidence interval of the change: percentile
 *    bootstrap over the samples, drawn exactly and in O(1) per resample: the k-th
 *    smallest of n values resampled with replacement from the sorted data is
 *    x[ceil(n*U) - 1] with U ~ Beta(k, n - k + 1) (the k-th smallest of n uniform
 *    indices), so no resample is materialized and 10^6-sample runs need no subsampling.
 *    The Mann-Whitney U test compares the two latency samples as a whole (normal
 *    approximation with tie correction, no continuity correction, two-sided p).
 *  - Throughput (samples/s) = completed samples / last completion time, equal to
 *    results.json's samples_per_s. Completions are autocorrelated (batches, bursts), so
 *    the CI uses batch means: [0, last completion] is cut into k equal time windows,
 *    k = min(RPT_COMPARE_BATCHES, floor(sqrt(n))) (few, long batches, so their means
 *    are nearly independent); a resample draws k windows with replacement and divides
 *    their completions by their total length. The Mann-Whitney test compares the
 *    windows' rates. This is conservative for very regular runs (Offline batches).
 *  - Energy per inference: one number per run and no samples, so only the change is
 *    reported, without CI or test ("not tested").
 * Run sets (folders of repetitions, `run --repeat N`): each repetition gives one value
 * per metric (results.json's samples_per_s, latency p50/p90/p99, energy per
 * inference); the change is that of the mean over the repetitions, its interval a
 * bootstrap over repetitions (each side's repetitions resampled with replacement), and
 * the Mann-Whitney test compares the repetitions' values. So the run-to-run variance of
 * the machine is in the interval, not only the sampling noise within a run. A bootstrap
 * over a handful of repetitions is optimistic, so a set's verdict also needs the test's
 * p below 1 - confidence (impossible with fewer than 5 repetitions a side). Both sides
 * must be sets; every repetition of a set must be comparable with its first.
 * Each metric's bootstrap runs opts.resamples resample pairs (baseline and new drawn
 * independently) from its own stream of a xoshiro256** generator seeded from opts.seed
 * and the metric, so results are reproducible for a seed. The intervals describe the
 * sampling noise within each run, not a change of the machine's state between runs
 * (other load, clocks, thermals): that is what the threshold is for.
 *
 * Verdict per metric: significant only when the confidence interval of the change
 * excludes 0 and |change| > opts.threshold; then "slower" when latency rose or
 * throughput fell, else "faster". The overall verdict is "regression" when any metric
 * is slower, "improvement" when none is slower and one is faster, "no significant
 * change" otherwise, or "not comparable" (differences and no opts.force).
 *
 * Ownership: rpt_compare_run and rpt_comparison own everything they point to; their
 * _destroy functions free it and accept NULL. Thread-safety: none shared; each object
 * is used from one thread at a time; the functions keep no state between calls.
 */
#ifndef RPT_COMPARE_H
#define RPT_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reports/results.h"
#include "reports/samples.h"

struct json_object;

#define RPT_COMPARE_SCHEMA "mlsysbench.compare"
#define RPT_COMPARE_SCHEMA_VERSION 1
#define RPT_COMPARE_RESAMPLES 2000  /* default bootstrap resamples */
#define RPT_COMPARE_METRICS 5       /* throughput, p50, p90, p99, energy */
#define RPT_COMPARE_BATCHES 32      /* most time windows of the throughput batch means */

/* ---- verdicts: one table makes the enums and their names ---------------------------- */
#define RPT_VERDICT_MAP(X)                                                     \
  X(SAME, "no significant change")                                             \
  X(FASTER, "faster")                                                          \
  X(SLOWER, "slower")                                                          \
  X(UNTESTED, "not tested")

#define RPT_OVERALL_MAP(X)                                                     \
  X(SAME, "no significant change")                                             \
  X(IMPROVEMENT, "improvement")                                                \
  X(REGRESSION, "regression")                                                  \
  X(NOT_COMPARABLE, "not comparable")

typedef enum {
#define RPT_VERDICT_ENUM_(name, text) RPT_VERDICT_##name,
  RPT_VERDICT_MAP(RPT_VERDICT_ENUM_)
#undef RPT_VERDICT_ENUM_
} rpt_verdict;

typedef enum {
#define RPT_OVERALL_ENUM_(name, text) RPT_OVERALL_##name,
  RPT_OVERALL_MAP(RPT_OVERALL_ENUM_)
#undef RPT_OVERALL_ENUM_
} rpt_overall;

/* "faster", "no significant change", ...; never NULL ("unknown" for foreign values). */
const char *rpt_verdict_name(rpt_verdict v);
const char *rpt_overall_name(rpt_overall v);

/* ---- one run folder, loaded ------------------------------------------------------------ */
typedef struct rpt_compare_run {
  char *folder;             /* as given; NULL for runs built in memory */
  rpt_results results;      /* results.json */
  size_t n_rows;            /* rows of samples.csv (issued samples) */
  size_t n_completed;       /* rows with a completion */
  double *latency_ns;       /* n_completed latencies, sorted ascending */
  double *completed_ns;     /* n_completed completion times, in file order */
  /* A run set (a folder of repetitions rep-01, rep-02, ... as `run --repeat` writes):
   * n_reps > 0, results is the first repetition's, the sample arrays are empty
   * (n_rows and n_completed sum the repetitions), and rep_values[metric][i] is
   * repetition i's value of each metric (NAN when a repetition lacks it). */
  size_t n_reps;
  size_t reps_not_valid;    /* repetitions not VALID (accuracy runs included) */
  double *rep_values[RPT_COMPARE_METRICS];
} rpt_compare_run;

/*
 * Load a run folder, or a run set (a folder without results.json holding rep-01,
 * rep-02, ... run folders; only their results.json are read), into *run.
 * Load folder/results.json and folder/samples.csv into *run (initialized here; old
 * contents are not freed) and check that they belong together (row and completion
 * counts match result.counts) and that some sample completed. RPT_OK; on failure *run
 * is left empty and err says which file (and line) and why: RPT_EIO (no folder, a file
 * cannot be read), RPT_EFORMAT / RPT_ESCHEMA (from the readers, or the two files
 * disagree), RPT_ENOMEM.
 */
int rpt_compare_run_load(const char *folder, rpt_compare_run *run, char *err,
                         size_t errlen);

/*
 * Fill the sample arrays of *run from n rows (lost rows are counted and left out);
 * run->results and run->folder are not touched. For loading and for runs built in
 * memory (call rpt_results_init on run->results and zero the rest first).
 * RPT_OK, RPT_EINVAL (rows NULL with n > 0), RPT_ENOMEM.
 */
int rpt_compare_run_set_samples(rpt_compare_run *run, const rpt_sample *rows, size_t n);

/* Free everything *run owns and leave it empty. Accepts NULL. */
void rpt_compare_run_destroy(rpt_compare_run *run);

/* ---- options -------------------------------------------------------------------------- */
typedef struct rpt_compare_opts {
  double threshold;         /* noise threshold on |change|, relative: 0.02 = 2 % */
  double confidence;        /* of the intervals: 0.99 */
  uint64_t seed;            /* bootstrap seed: 1 */
  size_t resamples;         /* bootstrap resamples: RPT_COMPARE_RESAMPLES */
  bool force;               /* compare even when the runs are not comparable */
} rpt_compare_opts;

/* The defaults above. */
void rpt_compare_opts_default(rpt_compare_opts *o);

/* ---- the Mann-Whitney U test -------------------------------------------------------- */
typedef struct rpt_mwu {
  double u;                 /* U of the new sample: pairs new > baseline, ties 1/2 */
  double z;                 /* (u - n_b n_n / 2) / sigma, tie-corrected; > 0: new larger */
  double p;                 /* two-sided p-value of the normal approximation */
} rpt_mwu;

/*
 * Mann-Whitney U of `new_` against `base`, both sorted ascending, in one merge
 * (O(n_base + n_new)). RPT_OK; RPT_EINVAL when a sample is empty or NULL. When every
 * value is tied (sigma 0) z is 0 and p is 1.
 */
int rpt_compare_mwu(const double *base, size_t n_base, const double *new_, size_t n_new,
                    rpt_mwu *out);

/* ---- the comparison --------------------------------------------------------------------- */
typedef struct rpt_compare_diff {
  char *key;                /* "scenario", "workload param delay_us", "min_duration_ms" */
  char *baseline;           /* value text, "(unset)" when absent */
  char *new_value;
} rpt_compare_diff;

typedef struct rpt_compare_difflist {
  size_t count, cap;
  rpt_compare_diff *items;
} rpt_compare_difflist;

typedef struct rpt_compare_metric {
  const char *key;          /* static: "throughput_samples_per_s", "latency_p90_ns", ... */
  const char *label;        /* static: "throughput", "p90 latency", ... */
  const char *unit;         /* static: "samples/s", "ns", "J" */
  bool lower_is_better;     /* latency, energy */
  double baseline, new_value;
  double change;            /* new / baseline - 1 */
  bool has_ci;
  double ci_low, ci_high;   /* confidence interval of change */
  bool has_test;
  rpt_mwu test;
  rpt_verdict verdict;
  const char *note;         /* static text or NULL, e.g. why there is no CI */
} rpt_compare_metric;

typedef struct rpt_comparison {
  rpt_compare_opts opts;    /* as used */
  rpt_compare_difflist differences;
  rpt_compare_metric metrics[RPT_COMPARE_METRICS];
  size_t n_metrics;         /* 0 when not comparable and not forced */
  rpt_strlist notes;        /* invalid runs, lost samples, missing energy, ... */
  bool run_sets;            /* compared repetition by repetition (run sets) */
  rpt_overall verdict;
} rpt_comparison;

/*
 * The differences that make base and new_ not comparable, appended to *out (an empty
 * or zeroed list). RPT_OK or RPT_ENOMEM.
 */
int rpt_compare_differences(const rpt_results *base, const rpt_results *new_,
                            rpt_compare_difflist *out);

/*
 * Compare two loaded runs into *out (initialized here; old contents not freed). Lists
 * the differences; when there are none or o->force, computes every metric and the
 * verdicts. RPT_OK (whatever the verdict); RPT_EINVAL (NULL argument, a run without
 * completed samples, o->confidence outside (0, 1), o->resamples < 10 or a negative
 * o->threshold); RPT_ENOMEM. On failure *out is left empty. Takes
 * O(n + resamples log resamples) after the loader's sort.
 */
int rpt_compare(const rpt_compare_run *base, const rpt_compare_run *new_,
                const rpt_compare_opts *o, rpt_comparison *out, char *err, size_t errlen);

/* Free what *c owns and leave it empty. Accepts NULL. */
void rpt_comparison_destroy(rpt_comparison *c);

/* The table (metric | baseline | new | change | CI | p (MWU) | verdict), the
 * differences, the notes and the overall verdict, to f. RPT_OK or RPT_EIO. */
int rpt_comparison_print(FILE *f, const rpt_compare_run *base, const rpt_compare_run *new_,
                         const rpt_comparison *c);

/* The same as a new json-c object (schema RPT_COMPARE_SCHEMA; caller puts it), or NULL
 * when out of memory. */
struct json_object *rpt_comparison_to_json(const rpt_compare_run *base,
                                           const rpt_compare_run *new_,
                                           const rpt_comparison *c);

/* Write rpt_comparison_to_json to path. RPT_OK, RPT_ENOMEM, or RPT_EIO with
 * "path: why" in err. */
int rpt_comparison_write_json(const char *path, const rpt_compare_run *base,
                              const rpt_compare_run *new_, const rpt_comparison *c,
                              char *err, size_t errlen);

#endif /* RPT_COMPARE_H */
