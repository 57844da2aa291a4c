/*
 * harness/harness.h - the mlsysbench CLI's internal interface (prefix mb_).
 *
 * The harness turns command-line flags and config files into a run plan, opens the
 * workload and the SUT adapter, runs libloadgen, and writes the run folder through
 * reports/. Only main() calls exit(); everything here returns a status.
 */
#ifndef MB_HARNESS_H
#define MB_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "loadgen/loadgen.h"
#include "reports/results.h"

/* Exit codes of the CLI (documented in `mlsysbench --help`). */
#define MB_EXIT_OK 0       /* the run is VALID (or an accuracy run finished) */
#define MB_EXIT_ERROR 1    /* the run could not be done (I/O, internal error) */
#define MB_EXIT_USAGE 2    /* bad flags, config or input: nothing ran */
#define MB_EXIT_INVALID 3  /* the run finished INVALID; its folder says why */
#define MB_EXIT_NOTSUP 4   /* the SUT is not supported by this build or machine */

#define MB_MAX_LIST 32

typedef struct mb_run_opts {
  const char *sut;               /* "cpu" */
  const char *workload;          /* "kws" */
  const char *model;             /* config model name; NULL = the workload name */
  lg_scenario scenario;
  bool mode_set;
  lg_mode mode;
  const char *configs[MB_MAX_LIST];
  int n_configs;
  const char *sets[MB_MAX_LIST]; /* key=value */
  int n_sets;
  const char *out;               /* run folder; NULL = mlsb-runs/<generated> */
  int threads;                   /* 0 = adapter default */
  int batch;
  bool threads_set;
  double target_qps;             /* 0 = unset */
  bool target_qps_auto;          /* --target-qps auto (Offline): measured by a probe */
  uint64_t duration_ms;          /* 0 = unset */
  uint64_t min_queries;          /* 0 = unset */
  bool quiet;                    /* no summary on stdout */
  const char *cpus;              /* --cpus LIST */
  const char *pin;               /* --pin none|core|pu */
  const char *counters;          /* --counters default|LIST */
  bool counters_required;
  const char *energy;            /* --energy rapl|nvml|lpm01a:PATH|estimate|auto */
  const char *profile;           /* --profile NAME|auto */
  const char *dataset;           /* --dataset DIR|FILE.csv */
  double until_stable;           /* --until-stable P: 0.01 = 1 %; 0 = unset */
  int repeat;                    /* --repeat N: 0 = one run */
  const char *ab;                /* --ab 'FLAGS': side B's extra flags (with --repeat) */
  int argc;                      /* the command line, for results.json */
  const char *const *argv;
} mb_run_opts;

/* What one run produced, for the caller's table. */
typedef struct mb_run_outcome {
  char folder[1024];
  int exit_code;
  rpt_results results;           /* owned; mb_outcome_destroy frees */
} mb_run_outcome;

void mb_run_opts_default(mb_run_opts *o);
/* A number with an optional trailing '%' (then divided by 100; `percent` also divides a
 * plain number). false when it does not parse. */
bool mb_parse_fraction(const char *s, bool percent, double *out);
/* Parse `run` flags (argv[0] is "run"). MB_EXIT_OK, or MB_EXIT_USAGE with a message
 * on stderr; *help_shown when --help printed the manual. */
int mb_parse_run(int argc, char **argv, mb_run_opts *o, bool *help_shown);
void mb_print_run_help(FILE *f);
void mb_print_help(FILE *f);

/* Do one run and write its folder; fills *out (call mb_outcome_destroy). Returns the
 * exit code. */
int mb_run(const mb_run_opts *o, mb_run_outcome *out);
void mb_outcome_destroy(mb_run_outcome *out);

/* `run --repeat N [--ab FLAGS]` (harness/repeat.c): the run set, its table and, with
 * --ab, the comparison of B against A. Returns the exit status. */
int mb_run_repeat(const mb_run_opts *o);

/* Subcommands. */
int mb_cmd_run(int argc, char **argv);
int mb_cmd_list(int argc, char **argv);
int mb_cmd_suite(int argc, char **argv);

/* Host description (hwloc topology, uname, CPU model) into h. */
void mb_host_describe(rpt_host *h);

/* Fill results from a finished test (settings with their sources, result block). */
typedef struct mb_setting_source {
  char key[64];     /* config key name, e.g. "min_duration" */
  char where[300];  /* "user.conf:12", "--set", "--duration-ms" */
} mb_setting_source;
void mb_fill_result(rpt_results *r, const lg_test *t, const mb_setting_source *src,
                    size_t n_src);

/* Copy loadgen latency statistics into the results model. */
void mb_copy_latency_stats(rpt_latency *to, const lg_latency_stats *from);

/* Progress line on stderr when it is a terminal (loadgen progress hook). */
void mb_progress(void *ctx, const lg_progress *p);

#endif /* MB_HARNESS_H */
