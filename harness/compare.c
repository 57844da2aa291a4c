/*
 * harness/compare.c - `mlsysbench compare BASELINE NEW`: flags, loading the two run
 * folders, filling in workload parameter defaults so an explicit default and an
 * omitted one compare equal, and turning reports/compare's verdict into the exit
 * status a CI job gates on.
 */
#include "harness/compare.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "reports/compare.h"
#include "workloads/workload.h"

typedef struct mb_compare_opts {
  const char *baseline, *new_run; /* run folders */
  const char *json;               /* --json FILE, or NULL */
  rpt_compare_opts stats;
} mb_compare_opts;

void mb_print_compare_help(FILE *f) {
  fputs(
      "NAME\n"
      "    mlsysbench compare - is NEW significantly slower than BASELINE? (a CI gate)\n"
      "\n"
      "SYNOPSIS\n"
      "    mlsysbench compare BASELINE NEW [--threshold 2%] [--confidence 0.99]\n"
      "                       [--json FILE] [--force] [--seed N]\n"
      "\n"
      "DESCRIPTION\n"
      "    BASELINE and NEW are run folders (results.json and samples.csv), or two run sets\n"
      "    (folders of repetitions rep-01, rep-02, ... from `run --repeat N`: then each\n"
      "    repetition gives one value per metric, the interval is a bootstrap over\n"
      "    repetitions and a verdict also needs the Mann-Whitney test on their values;\n"
      "    5 repetitions a side at least). They must be\n"
      "    comparable: the same workload and workload parameters, scenario, mode,\n"
      "    min_duration_ms, min_query_count, server_target_qps, server_target_latency_ns,\n"
      "    multi_stream_samples_per_query, offline_expected_qps, qsl_rng_seed,\n"
      "    sample_index_rng_seed, schedule_rng_seed, hardware profile and SUT; otherwise\n"
      "    each difference is listed as \"key: baseline X, new Y\" and nothing is compared.\n"
      "\n"
      "    For throughput (samples/s), p50, p90 and p99 per-sample latency and, when both\n"
      "    runs measured it, energy per inference, it prints the baseline and new values,\n"
      "    the relative change, its confidence interval (bootstrap over samples.csv) and\n"
      "    the Mann-Whitney U test's p-value, and a verdict: \"faster\" or \"slower\" only\n"
      "    when the interval excludes 0 and |change| exceeds the threshold, otherwise \"no\n"
      "    significant change\". Energy has one number per run: its change is shown\n"
      "    without an interval (\"not tested\").\n"
      "\n"
      "    Methods: latency percentiles are MLPerf's (no interpolation); their bootstrap\n"
      "    draws each resample's order statistic exactly (Beta distribution of the k-th\n"
      "    of n uniform indices), so every sample counts and 10^6-sample runs take about a\n"
      "    second. Throughput = completed samples / last completion; its bootstrap resamples\n"
      "    min(32, floor(sqrt(n))) equal time windows of completions (batch means), and\n"
      "    the U test compares the windows' rates. The U test on latency uses the normal\n"
      "    approximation with tie correction (two-sided).\n"
      "\n"
      "OPTIONS\n"
      "    --threshold P    noise threshold in percent (2%, 0.5); default 2%\n"
      "    --confidence C   level of the intervals, 0.5 to 0.999 (or 99%); default 0.99\n"
      "    --json FILE      also write the comparison as JSON (schema mlsysbench.compare)\n"
      "    --force          compare runs that are not comparable (differences are listed)\n"
      "    --seed N         bootstrap seed (2000 resamples); default 1, same seed same result\n"
      "\n"
      "EXIT STATUS\n"
      "    0 no significant regression, 1 a metric is significantly slower, 2 not\n"
      "    comparable, bad usage or input (each message names the file and line), or the\n"
      "    --json file could not be written\n"
      "\n"
      "EXAMPLES\n"
      "    mlsysbench compare mlsb-runs/main mlsb-runs/my-branch\n"
      "    mlsysbench compare old new --threshold 5% --json compare.json || exit 1\n",
      f);
}

/* ---- flags ---------------------------------------------------------------------------- */
static int mb_compare_bad(const char *flag, const char *value, const char *why) {
  fprintf(stderr, "mlsysbench compare: %s '%s': %s; see `mlsysbench compare --help`\n", flag,
          value, why);
  return MB_COMPARE_REFUSED;
}

static int mb_compare_flag(int c, mb_compare_opts *o) {
  double v;
  char *end;
  if (c == 't') {
    if (!mb_parse_fraction(optarg, true, &v) || v < 0 || v > 10)
      return mb_compare_bad("--threshold", optarg, "needs a percentage from 0 to 1000, e.g. 2%");
    o->stats.threshold = v;
  } else if (c == 'c') {
    if (!mb_parse_fraction(optarg, false, &v) || v < 0.5 || v > 0.999)
      return mb_compare_bad("--confidence", optarg, "needs a level from 0.5 to 0.999, e.g. 0.99");
    o->stats.confidence = v;
  } else if (c == 'j') {
    if (optarg[0] == '\0') return mb_compare_bad("--json", optarg, "needs a file name");
    o->json = optarg;
  } else if (c == 'f') {
    o->stats.force = true;
  } else if (c == 's') {
    errno = 0;
    o->stats.seed = strtoull(optarg, &end, 10);
    if (end == optarg || *end != '\0' || errno != 0 || optarg[0] == '-')
      return mb_compare_bad("--seed", optarg, "needs a whole number from 0 to 2^64-1");
  } else {
    fprintf(stderr, "mlsysbench compare: see `mlsysbench compare --help`\n");
    return MB_COMPARE_REFUSED;
  }
  return MB_COMPARE_OK;
}

static int mb_compare_parse(int argc, char **argv, mb_compare_opts *o, bool *help) {
  static const struct option opts[] = {{"threshold", 1, 0, 't'}, {"confidence", 1, 0, 'c'},
                                       {"json", 1, 0, 'j'},      {"force", 0, 0, 'f'},
                                       {"seed", 1, 0, 's'},      {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
  *o = (mb_compare_opts){0};
  rpt_compare_opts_default(&o->stats);
  *help = false;
  optind = 1;
  opterr = 1;
  for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
    if (c == 'h') {
      mb_print_compare_help(stdout);
      *help = true;
      return MB_COMPARE_OK;
    }
    int rc = mb_compare_flag(c, o);
    if (rc != MB_COMPARE_OK) return rc;
  }
  if (argc - optind != 2) {
    fprintf(stderr, "mlsysbench compare: needs two run folders, BASELINE and NEW (got %d); "
            "see `mlsysbench compare --help`\n", argc - optind);
    return MB_COMPARE_REFUSED;
  }
  o->baseline = argv[optind];
  o->new_run = argv[optind + 1];
  return MB_COMPARE_OK;
}

/* ---- loading ---------------------------------------------------------------------------- */
static bool mb_has_param(const rpt_kvlist *l, const char *key) {
  for (size_t i = 0; i < l->count; i++)
    if (strcmp(l->items[i].key, key) == 0) return true;
  return false;
}

/* results.json lists only the parameters a run set; add the workload's defaults for
 * the rest, so `--set delay_dist=fixed` and the default compare equal. */
static int mb_fill_param_defaults(rpt_results *r) {
  size_t n;
  const wl_desc *w = wl_list(&n);
  for (size_t i = 0; r->workload.name != NULL && i < n; i++) {
    if (strcmp(w[i].name, r->workload.name) != 0) continue;
    for (const wl_param_info *p = w[i].params; p && p->key; p++)
      if (!mb_has_param(&r->workload.params, p->key) &&
          rpt_results_add_param(r, p->key, p->default_value) != RPT_OK)
        return RPT_ENOMEM;
  }
  return RPT_OK;
}

static int mb_compare_load(const char *folder, rpt_compare_run *run) {
  char err[1024];
  int rc = rpt_compare_run_load(folder, run, err, sizeof err);
  if (rc == RPT_OK && (rc = mb_fill_param_defaults(&run->results)) != RPT_OK)
    snprintf(err, sizeof err, "%s: out of memory", folder);
  if (rc != RPT_OK) fprintf(stderr, "mlsysbench compare: %s\n", err);
  return rc;
}

static int mb_compare_exit(const rpt_comparison *c) {
  if (c->verdict == RPT_OVERALL_NOT_COMPARABLE) return MB_COMPARE_REFUSED;
  return c->verdict == RPT_OVERALL_REGRESSION ? MB_COMPARE_REGRESSION : MB_COMPARE_OK;
}

/* Print, write the JSON, and say on stderr why the gate refused. */
static int mb_compare_report(const mb_compare_opts *o, const rpt_compare_run *a,
                             const rpt_compare_run *b, const rpt_comparison *c) {
  char err[1024];
  rpt_comparison_print(stdout, a, b, c);
  if (o->json != NULL && rpt_comparison_write_json(o->json, a, b, c, err, sizeof err) != RPT_OK) {
    fprintf(stderr, "mlsysbench compare: %s\n", err);
    return MB_COMPARE_REFUSED;
  }
  if (c->verdict == RPT_OVERALL_NOT_COMPARABLE)
    fprintf(stderr, "mlsysbench compare: %s and %s are not comparable: %zu difference%s "
            "listed above (--force compares anyway)\n", o->baseline, o->new_run,
            c->differences.count, c->differences.count == 1 ? "" : "s");
  return mb_compare_exit(c);
}

int mb_cmd_compare(int argc, char **argv) {
  mb_compare_opts o;
  rpt_compare_run a = {0}, b = {0};
  rpt_comparison c = {0};
  char err[1024];
  bool help;
  int rc = mb_compare_parse(argc, argv, &o, &help);
  if (rc != MB_COMPARE_OK || help) return rc;
  rc = MB_COMPARE_REFUSED;
  if (mb_compare_load(o.baseline, &a) != RPT_OK || mb_compare_load(o.new_run, &b) != RPT_OK)
    goto done;
  if (rpt_compare(&a, &b, &o.stats, &c, err, sizeof err) != RPT_OK) {
    fprintf(stderr, "mlsysbench compare: %s\n", err);
    goto done;
  }
  rc = mb_compare_report(&o, &a, &b, &c);
done:
  rpt_comparison_destroy(&c);
  rpt_compare_run_destroy(&a);
  rpt_compare_run_destroy(&b);
  return rc;
}
