/*
 * harness/cli.c - command-line parsing and the manual pages of `mlsysbench` and
 * `mlsysbench run`.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"

void mb_print_help(FILE *f) {
  fputs(
      "NAME\n"
      "    mlsysbench - MLPerf-style benchmarks of ML systems (CPU, CUDA, microcontrollers)\n"
      "\n"
      "SYNOPSIS\n"
      "    mlsysbench run [--sut SUT] [--workload W] [--scenario S] [OPTIONS]\n"
      "    mlsysbench suite [quick|FILE]\n"
      "    mlsysbench list\n"
      "    mlsysbench profile [--out FILE]\n"
      "    mlsysbench compare BASELINE NEW [--threshold 2%] [--confidence 0.99] [--json FILE]\n"
      "                       [--force] [--seed N]\n"
      "    mlsysbench report RUN_DIR... [-o FILE]\n"
      "    mlsysbench submit pack RUN_DIR... --team NAME -o FILE | check FILE | send FILE --to URL\n"
      "    mlsysbench leaderboard add-team NAME --db FILE | serve --db FILE [--port 8080]\n"
      "    mlsysbench --help | --version | COMMAND --help\n"
      "\n"
      "DESCRIPTION\n"
      "    A load generator with MLPerf Inference LoadGen's semantics drives a system under\n"
      "    test (SUT) through the SingleStream, MultiStream, Server and Offline scenarios and\n"
      "    writes a run folder: summary.txt, results.json, samples.csv, detail.log (and\n"
      "    accuracy.json in accuracy mode). Every run states VALID or INVALID with reasons.\n"
      "\n"
      "COMMANDS\n"
      "    run     one test; see `mlsysbench run --help`\n"
      "    suite   several runs and one summary table; `quick` (the default) runs every\n"
      "            scenario once on kws with short settings. A suite FILE holds one line of\n"
      "            `run` arguments per run ('#' starts a comment)\n"
      "    list    workloads, SUTs, scenarios, hardware profiles, every setting and default\n"
      "    profile measure this machine (FMA peak, memory bandwidth, caches) and write a\n"
      "            hardware profile; see `mlsysbench profile --help`\n"
      "    compare is NEW significantly slower than BASELINE? A CI gate: bootstrap\n"
      "            intervals and Mann-Whitney tests per metric; see `mlsysbench compare --help`\n"
      "    report  one self-contained HTML page (inline SVG plots, no JavaScript, no network) of\n"
      "            one run or a run set; see `mlsysbench report --help`\n"
      "    submit  a signed submission bundle of run folders: pack, check it the way the\n"
      "            leaderboard does (metrics recomputed from samples.csv), send it to a\n"
      "            leaderboard; see `mlsysbench submit --help`\n"
      "    leaderboard  a course leaderboard server (SQLite, HTTP): add teams, take checked\n"
      "            bundles, show the board; see `mlsysbench leaderboard --help`\n"
      "\n"
      "EXIT STATUS\n"
      "    0 VALID (or accuracy run done), 1 error, 2 bad usage or input (nothing ran),\n"
      "    3 the run finished INVALID (its folder says why), 4 SUT not supported here.\n"
      "    compare: 0 no regression, 1 a significant regression, 2 not comparable or bad input.\n"
      "    report: 0 written, 1 the page could not be written, 2 bad usage or input (file:line)\n"
      "    submit: 0 ok or accepted, 1 problems found or refused, 2 bad usage or input,\n"
      "    3 could not be done (I/O), 5 no verdict from the server.\n"
      "    leaderboard: 0 done, 1 the database or port cannot be used, 2 bad usage,\n"
      "    6 add-team: the team exists.\n",
      f);
}

void mb_print_run_help(FILE *f) {
  fputs(
      "NAME\n"
      "    mlsysbench run - run one MLPerf-style test and write a run folder\n"
      "\n"
      "SYNOPSIS\n"
      "    mlsysbench run [--sut cpu] [--workload kws] [--scenario server] [OPTIONS]\n"
      "\n"
      "OPTIONS\n"
      "    --sut SUT            system under test (default cpu; `mlsysbench list`);\n"
      "                         serial:/dev/ttyACM0[,baud=115200][,io-manager] drives a\n"
      "                         board running MLPerf Tiny firmware;\n"
      "                         cuda[:DEVICE][,precision=fp32|tf32|fp16|bf16][,max_batch=N]\n"
      "                         [,max_delay_us=N][,streams=N] runs on an NVIDIA GPU\n"
      "                         (dynamic batching in Server; exit 4 without a GPU)\n"
      "    --workload W         workload (default kws)\n"
      "    --scenario S         singlestream | multistream | server | offline (default\n"
      "                         singlestream; MLPerf spellings like SingleStream work too)\n"
      "    --mode M             performance (default) | accuracy | find-peak (Server)\n"
      "    --find-peak          the same as --mode find-peak: the highest valid Server QPS,\n"
      "                         short probes first, then one full-length confirming run\n"
      "    --config FILE        an MLPerf config file (mlperf.conf, user.conf), applied in\n"
      "                         order; may repeat. Unknown keys and bad lines are errors\n"
      "    --model NAME         model name for config lookups (default: the workload name)\n"
      "    --dataset PATH       inputs from an MLPerf Tiny dataset folder (y_labels.csv +\n"
      "                         one .bin per input) or a CSV file (one sample per row,\n"
      "                         optional trailing label); accuracy mode then also reports\n"
      "                         top-1 against the labels (AUC for ad)\n"
      "    --set KEY=VALUE      a config key (e.g. min_duration=2000, target_latency=10,\n"
      "                         *.Server.target_qps=500) or a workload parameter\n"
      "                         (e.g. delay_us=100); may repeat; applied after --config\n"
      "    --target-qps Q       Server arrival rate / Offline expected throughput; for\n"
      "                         Offline `auto` measures it first with short untimed probes\n"
      "                         (1.25 x the probe's rate, so the query lasts past\n"
      "                         min_duration on this machine)\n"
      "    --duration-ms MS     min_duration in milliseconds\n"
      "    --min-queries N      min_query_count\n"
      "    --until-stable P     keep running past the minimums until the headline metric's\n"
      "                         99% interval is within P of it (e.g. 1%; Server: the\n"
      "                         arrival rate's and the latency percentile's); checked as\n"
      "                         queries complete, reported in summary.txt; the run stops\n"
      "                         at max_duration (600 s if unset) and is then INVALID\n"
      "                         \"unstable\". Offline is one query: checked at the end\n"
      "    --threads N          SUT worker threads (default: one per physical core;\n"
      "                         0 = complete inline on the issuing thread)\n"
      "    --batch N            samples per worker hand-out in Offline\n"
      "    --cpus LIST          CPUs the SUT may use, e.g. 0-3 or 0,2,4-5 (default all);\n"
      "                         the loadgen's own thread runs on the others when any remain\n"
      "    --pin POLICY         core (default: a worker per physical core, bound to it),\n"
      "                         pu (a worker per hardware thread) or none (not bound)\n"
      "    --counters SPEC      default, or PAPI events like PAPI_TOT_INS,PAPI_TOT_CYC;\n"
      "                         counted per SUT worker over the timed region, summed.\n"
      "                         Software counters (task-clock, context switches, page\n"
      "                         faults) are always there; events this machine cannot\n"
      "                         count are reported unavailable with the reason\n"
      "    --counters-required  fail instead when a requested event is unavailable\n"
      "    --energy SOURCE      rapl | nvml | estimate | lpm01a:PATH | auto: energy over\n"
      "                         the timed region (estimate = TDP x time, labelled so)\n"
      "    --profile NAME       hardware profile for the roofline and estimates: a name\n"
      "                         from `mlsysbench list` or auto (default: auto)\n"
      "    --out DIR            the run folder to write (default mlsb-runs/DATE-W-S)\n"
      "    --repeat N           run the test N times into a run set DIR/rep-01..rep-NN and\n"
      "                         print each repetition's metric, median and spread;\n"
      "                         `mlsysbench compare SET1 SET2` then judges by repetitions\n"
      "    --ab 'FLAGS'         with --repeat: also side B = this command plus FLAGS (e.g.\n"
      "                         --ab '--threads 1'), runs interleaved A B B A ..., sets in\n"
      "                         DIR/A and DIR/B, and prints B's comparison against A\n"
      "    --quiet              do not print the summary\n"
      "    -h, --help           this page\n"
      "\n"
      "    Precedence: defaults < --config files in order < --set < the flags above.\n"
      "    Ctrl-C stops issuing, drains, and still writes the folder marked INVALID\n"
      "    \"interrupted\". Progress is shown on stderr when it is a terminal.\n"
      "\n"
      "EXAMPLES\n"
      "    mlsysbench run --workload kws --scenario server --target-qps 2000\n"
      "    mlsysbench run --scenario offline --mode accuracy\n"
      "    mlsysbench run --workload delay --set delay_us=500 --set delay_dist=exponential \\\n"
      "        --scenario server --target-qps 1000 --threads 1\n"
      "    mlsysbench run --config mlperf.conf --config user.conf --model resnet50 ...\n"
      "    mlsysbench run --scenario offline --repeat 5 --ab '--set precision=int8' --out ab\n",
      f);
}

void mb_run_opts_default(mb_run_opts *o) {
  memset(o, 0, sizeof *o);
  o->sut = "cpu";
  o->workload = "kws";
  o->scenario = LG_SINGLE_STREAM;
}

bool mb_parse_fraction(const char *s, bool percent, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno != 0 || !isfinite(v)) return false;
  if (*end == '%') percent = true, end++;
  if (*end != '\0') return false;
  *out = percent ? v / 100 : v;
  return true;
}

/* Parse a whole number; false on junk or overflow. */
static bool mb_parse_u64(const char *text, uint64_t *out) {
  char *end;
  errno = 0;
  if (!text[0] || text[0] == '-') return false;
  *out = strtoull(text, &end, 10);
  return !*end && errno == 0;
}

static int mb_bad(const char *flag, const char *value, const char *want) {
  fprintf(stderr, "mlsysbench run: %s '%s': %s\n", flag, value, want);
  return MB_EXIT_USAGE;
}

static int mb_add(const char **list, int *n, const char *flag, const char *value) {
  if (*n == MB_MAX_LIST) return mb_bad(flag, value, "given too many times");
  list[(*n)++] = value;
  return MB_EXIT_OK;
}

enum {
  OPT_TARGET = 256, OPT_DURATION, OPT_MINQ, OPT_MODEL, OPT_QUIET, OPT_CPUS, OPT_PIN,
  OPT_COUNTERS, OPT_COUNTERS_REQ, OPT_ENERGY, OPT_PROFILE, OPT_DATASET, OPT_STABLE,
  OPT_FIND_PEAK, OPT_REPEAT, OPT_AB
};

static int mb_parse_one(int c, const char *arg, mb_run_opts *o) {
  uint64_t u;
  char *end;
  switch (c) {
    case 's': o->sut = arg; return MB_EXIT_OK;
    case 'w': o->workload = arg; return MB_EXIT_OK;
    case 'S':
      return lg_scenario_parse(arg, &o->scenario)
                 ? mb_bad("--scenario", arg, "use singlestream, multistream, server or offline")
                 : MB_EXIT_OK;
    case 'm':
      o->mode_set = true;
      return lg_mode_parse(arg, &o->mode)
                 ? mb_bad("--mode", arg, "use performance, accuracy or find-peak")
                 : MB_EXIT_OK;
    case 'c': return mb_add(o->configs, &o->n_configs, "--config", arg);
    case 'x': return mb_add(o->sets, &o->n_sets, "--set", arg);
    case 'o': o->out = arg; return MB_EXIT_OK;
    case OPT_MODEL: o->model = arg; return MB_EXIT_OK;
    case OPT_QUIET: o->quiet = true; return MB_EXIT_OK;
    case OPT_CPUS: o->cpus = arg; return MB_EXIT_OK;
    case OPT_PIN:
      if (strcmp(arg, "none") && strcmp(arg, "core") && strcmp(arg, "pu"))
        return mb_bad("--pin", arg, "use none, core or pu");
      o->pin = arg;
      return MB_EXIT_OK;
    case OPT_COUNTERS: o->counters = arg; return MB_EXIT_OK;
    case OPT_COUNTERS_REQ: o->counters_required = true; return MB_EXIT_OK;
    case OPT_ENERGY: o->energy = arg; return MB_EXIT_OK;
    case OPT_PROFILE: o->profile = arg; return MB_EXIT_OK;
    case OPT_DATASET: o->dataset = arg; return MB_EXIT_OK;
    case OPT_STABLE:
      if (!mb_parse_fraction(arg, true, &o->until_stable) || o->until_stable < 0.0001 ||
          o->until_stable > 0.5)
        return mb_bad("--until-stable", arg, "want a percentage from 0.01% to 50%, e.g. 1%");
      return MB_EXIT_OK;
    case OPT_REPEAT:
      if (!mb_parse_u64(arg, &u) || u < 1 || u > 999) return mb_bad("--repeat", arg, "want 1..999");
      o->repeat = (int)u;
      return MB_EXIT_OK;
    case OPT_AB: o->ab = arg; return MB_EXIT_OK;
    case OPT_FIND_PEAK:
      o->mode_set = true, o->mode = LG_MODE_FIND_PEAK;
      return MB_EXIT_OK;
    case 't':
      if (!mb_parse_u64(arg, &u) || u > 4096) return mb_bad("--threads", arg, "want 0..4096");
      o->threads = (int)u, o->threads_set = true;
      return MB_EXIT_OK;
    case 'b':
      if (!mb_parse_u64(arg, &u) || u < 1 || u > 1 << 20) return mb_bad("--batch", arg, "want 1..1048576");
      o->batch = (int)u;
      return MB_EXIT_OK;
    case OPT_TARGET:
      if (!strcmp(arg, "auto")) {
        o->target_qps_auto = true;
        return MB_EXIT_OK;
      }
      o->target_qps_auto = false;
      o->target_qps = strtod(arg, &end);
      if (*end || end == arg || !(o->target_qps > 0) || o->target_qps > 1e9)
        return mb_bad("--target-qps", arg, "want a number > 0");
      return MB_EXIT_OK;
    case OPT_DURATION:
      if (!mb_parse_u64(arg, &o->duration_ms)) return mb_bad("--duration-ms", arg, "want milliseconds");
      return MB_EXIT_OK;
    case OPT_MINQ:
      if (!mb_parse_u64(arg, &o->min_queries) || !o->min_queries)
        return mb_bad("--min-queries", arg, "want a count >= 1");
      return MB_EXIT_OK;
  }
  fprintf(stderr, "mlsysbench run: see `mlsysbench run --help`\n");
  return MB_EXIT_USAGE;
}

int mb_parse_run(int argc, char **argv, mb_run_opts *o, bool *help_shown) {
  static const struct option opts[] = {
      {"sut", 1, 0, 's'},       {"workload", 1, 0, 'w'},   {"scenario", 1, 0, 'S'},
      {"mode", 1, 0, 'm'},      {"config", 1, 0, 'c'},     {"set", 1, 0, 'x'},
      {"out", 1, 0, 'o'},       {"threads", 1, 0, 't'},    {"batch", 1, 0, 'b'},
      {"target-qps", 1, 0, OPT_TARGET}, {"duration-ms", 1, 0, OPT_DURATION},
      {"min-queries", 1, 0, OPT_MINQ},  {"model", 1, 0, OPT_MODEL},
      {"quiet", 0, 0, OPT_QUIET}, {"cpus", 1, 0, OPT_CPUS}, {"pin", 1, 0, OPT_PIN},
      {"counters", 1, 0, OPT_COUNTERS}, {"counters-required", 0, 0, OPT_COUNTERS_REQ},
      {"energy", 1, 0, OPT_ENERGY}, {"profile", 1, 0, OPT_PROFILE},
      {"dataset", 1, 0, OPT_DATASET}, {"until-stable", 1, 0, OPT_STABLE},
      {"find-peak", 0, 0, OPT_FIND_PEAK}, {"repeat", 1, 0, OPT_REPEAT}, {"ab", 1, 0, OPT_AB},
      {"help", 0, 0, 'h'},     {0, 0, 0, 0}};
  *help_shown = false;
  optind = 1;
  opterr = 1;
  for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
    if (c == 'h') {
      mb_print_run_help(stdout);
      *help_shown = true;
      return MB_EXIT_OK;
    }
    if (c == '?') {
      fprintf(stderr, "mlsysbench run: see `mlsysbench run --help`\n");
      return MB_EXIT_USAGE;
    }
    int rc = mb_parse_one(c, optarg, o);
    if (rc) return rc;
  }
  if (optind < argc) return mb_bad("argument", argv[optind], "unexpected; flags start with --");
  if (o->target_qps_auto && o->scenario != LG_OFFLINE)
    return mb_bad("--target-qps", "auto", "auto sizes the Offline query; for the highest "
                  "Server QPS use --find-peak");
  if (o->ab && !o->repeat) return mb_bad("--ab", o->ab, "needs --repeat N (N runs of each side)");
  if (o->until_stable > 0 && o->mode_set && o->mode != LG_MODE_PERFORMANCE)
    return mb_bad("--mode", lg_mode_name(o->mode), "--until-stable applies to performance "
                  "runs only");
  o->argc = argc;
  o->argv = (const char *const *)argv;
  return MB_EXIT_OK;
}
