/*
 * harness/report_cmd.c - `mlsysbench report`: flags, loading the run folders
 * (results.json and samples.csv, each checked with file:line errors), choosing the
 * output path, and handing them to reports/html.h.
 */
#include "harness/report_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/harness.h"
#include "reports/html.h"
#include "reports/runfolder.h"

typedef struct mb_report_run {
  char *folder;          /* as given, without trailing '/' */
  char *label;           /* how the page names it: "A rep-01" for an A/B folder; NULL: folder */
  rpt_results results;
  rpt_sample *samples;
  size_t n_samples;
} mb_report_run;

void mb_print_report_help(FILE *f) {
  fputs(
      "NAME\n"
      "    mlsysbench report - one self-contained HTML page of one run or a run set\n"
      "\n"
      "SYNOPSIS\n"
      "    mlsysbench report RUN_DIR... [-o FILE]\n"
      "\n"
      "DESCRIPTION\n"
      "    Reads each RUN_DIR's results.json and samples.csv and writes one HTML file with\n"
      "    inline CSS and inline SVG: no JavaScript, no network, no fonts or images from\n"
      "    elsewhere, so it opens offline and can be attached to a ticket. It shows:\n"
      "      - a summary table: per run the workload, scenario, mode, the metric with its\n"
      "        99% confidence interval, VALID/INVALID with the reasons, SUT, host, build;\n"
      "      - latency statistics (min, mean, p50 ... p99.9, max; issue delay for Server);\n"
      "      - a latency histogram (log-spaced bins) and the latency CDF (log axis);\n"
      "      - latency over time: p50, p99 and max per time bin over a scatter thinned\n"
      "        to at most 5,000 samples; the issue delay over time for Server runs;\n"
      "      - throughput over time (completions per time bin);\n"
      "      - counters and energy (unavailable ones with the reason, never 0) and the\n"
      "        roofline plot when the run was placed on one;\n"
      "      - settings with their source, and the system (topology, worker cpus,\n"
      "        command line), in collapsible sections.\n"
      "    Several runs share one page: one summary row each, their CDFs overlaid in one\n"
      "    plot with a legend, then a section per run. A RUN_DIR may be a run set from\n"
      "    `run --repeat N` (its repetitions DIR/rep-01 ... are shown), or the folder of\n"
      "    `run --repeat N --ab`: A's and B's repetitions, labelled \"A rep-01\" ...\n"
      "\n"
      "    Latency is completed - scheduled. Lost samples have none: they are left out\n"
      "    of the plots and counted under them. A 10^6-sample run takes about a second\n"
      "    and gives a page of a few hundred kB.\n"
      "\n"
      "OPTIONS\n"
      "    -o, --out FILE   where to write; default RUN_DIR/report.html for one RUN_DIR,\n"
      "                     ./report.html for several; - for standard output. A file is\n"
      "                     written to a temporary file beside it and renamed, so a\n"
      "                     reader never sees half a page\n"
      "    -h, --help       this page\n"
      "\n"
      "EXIT STATUS\n"
      "    0 written, 1 the file could not be written, 2 bad usage or input (a missing\n"
      "    folder or file, or a malformed results.json or samples.csv: the message names\n"
      "    the file and line); nothing is written then\n"
      "\n"
      "EXAMPLES\n"
      "    mlsysbench report mlsb-runs/20261125-081016-kws-server\n"
      "    mlsysbench report mlsb-runs/main mlsb-runs/my-branch -o compare.html\n",
      f);
}

/* Load folder's results.json and samples.csv into *r, named label (NULL: the folder);
 * messages on stderr. */
static int mb_report_load(const char *folder, const char *label, mb_report_run *r) {
  char path[4096], err[1024];
  struct stat st;
  size_t len = strlen(folder);
  rpt_results_init(&r->results);
  while (len > 1 && folder[len - 1] == '/') len--;
  if ((r->folder = strndup(folder, len)) == NULL || (label && !(r->label = strdup(label)))) {
    fprintf(stderr, "mlsysbench report: out of memory\n");
    return MB_EXIT_ERROR;
  }
  const char *why = stat(r->folder, &st) != 0 ? strerror(errno)
                    : !S_ISDIR(st.st_mode)     ? "not a folder"
                                               : NULL;
  if (why != NULL) {
    fprintf(stderr, "mlsysbench report: %s: %s (a run folder holds results.json and "
            "samples.csv)\n", r->folder, why);
    return MB_EXIT_USAGE;
  }
  snprintf(path, sizeof path, "%s/results.json", r->folder);
  if (rpt_results_read_json(path, &r->results, err, sizeof err) != RPT_OK) {
    fprintf(stderr, "mlsysbench report: %s\n", err);
    return MB_EXIT_USAGE;
  }
  snprintf(path, sizeof path, "%s/samples.csv", r->folder);
  if (rpt_samples_read(path, &r->samples, &r->n_samples, err, sizeof err) != RPT_OK) {
    fprintf(stderr, "mlsysbench report: %s\n", err);
    return MB_EXIT_USAGE;
  }
  return MB_EXIT_OK;
}

static void mb_report_run_destroy(mb_report_run *r) {
  free(r->folder);
  free(r->label);
  rpt_results_destroy(&r->results);
  free(r->samples);
}

static int mb_report_parse(int argc, char **argv, const char **out, bool *help) {
  static const struct option opts[] = {{"out", 1, 0, 'o'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  *out = NULL;
  *help = false;
  optind = 1;
  opterr = 1;
  for (int c; (c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1;) {
    if (c == 'h') {
      mb_print_report_help(stdout);
      *help = true;
      return MB_EXIT_OK;
    }
    if (c != 'o' || optarg[0] == '\0') {
      if (c == 'o') fprintf(stderr, "mlsysbench report: -o needs a file name\n");
      fprintf(stderr, "mlsysbench report: see `mlsysbench report --help`\n");
      return MB_EXIT_USAGE;
    }
    *out = optarg;
  }
  if (optind >= argc) {
    fprintf(stderr, "mlsysbench report: needs at least one run folder; "
            "see `mlsysbench report --help`\n");
    return MB_EXIT_USAGE;
  }
  return MB_EXIT_OK;
}

/* Load the runs of one RUN_DIR argument, appended to *runs (*n of *cap): the run
 * folder itself, a run set's repetitions, or an A/B folder's A and B repetitions. */
static int mb_report_add(const char *arg, mb_report_run **runs, size_t *n, size_t *cap) {
  char set[4096], folder[4200], label[64];
  bool ab = rpt_runfolder_is_ab(arg);
  int rc = MB_EXIT_OK;
  for (int side = 0; side < (ab ? 2 : 1) && rc == MB_EXIT_OK; side++) {
    if (ab) snprintf(set, sizeof set, "%s/%c", arg, "AB"[side]);
    else snprintf(set, sizeof set, "%s", arg);
    size_t reps = rpt_runfolder_set_reps(set);
    for (size_t i = 0; i < (reps ? reps : 1) && rc == MB_EXIT_OK; i++) {
      if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 8;
        mb_report_run *r = realloc(*runs, c * sizeof *r);
        if (r == NULL) {
          fprintf(stderr, "mlsysbench report: out of memory\n");
          return MB_EXIT_ERROR;
        }
        *runs = r, *cap = c;
      }
      snprintf(folder, sizeof folder, "%s/rep-%02zu", set, i + 1);
      snprintf(label, sizeof label, "%c rep-%02zu", "AB"[side], i + 1);
      memset(&(*runs)[*n], 0, sizeof **runs);
      rc = mb_report_load(reps ? folder : arg, ab ? label : NULL, &(*runs)[(*n)++]);
    }
  }
  return rc;
}

/* Render the loaded runs into out (or the default place: one_dir/report.html when
 * one RUN_DIR was given, else ./report.html). */
static int mb_report_write(const mb_report_run *runs, size_t n, const char *out,
                           const char *one_dir) {
  char path[4096], err[1024];
  rpt_html_run *hr = calloc(n, sizeof *hr);
  if (hr == NULL) {
    fprintf(stderr, "mlsysbench report: out of memory\n");
    return MB_EXIT_ERROR;
  }
  for (size_t i = 0; i < n; i++)
    hr[i] = (rpt_html_run){runs[i].label ? runs[i].label : runs[i].folder, &runs[i].results,
                           runs[i].samples, runs[i].n_samples};
  if (out)
    snprintf(path, sizeof path, "%s", out);
  else if (one_dir) {
    size_t len = strlen(one_dir);
    while (len > 1 && one_dir[len - 1] == '/') len--;
    snprintf(path, sizeof path, "%.*s/report.html", (int)len, one_dir);
  }
  else
    snprintf(path, sizeof path, "report.html");
  rpt_html_opts o = {.generator = "mlsysbench " MB_VERSION};
  bool to_stdout = out && !strcmp(out, "-");
  int rc = to_stdout ? rpt_html_write(stdout, hr, n, &o, err, sizeof err)
                     : rpt_html_write_file(path, hr, n, &o, err, sizeof err);
  free(hr);
  if (rc == RPT_OK && to_stdout && fflush(stdout) != 0)
    rc = RPT_EIO, snprintf(err, sizeof err, "standard output: %s", strerror(errno));
  if (rc != RPT_OK) {
    fprintf(stderr, "mlsysbench report: %s\n", err);
    return MB_EXIT_ERROR;
  }
  if (!to_stdout) printf("report: %s\n", path);
  return MB_EXIT_OK;
}

int mb_cmd_report(int argc, char **argv) {
  const char *out;
  bool help;
  int rc = mb_report_parse(argc, argv, &out, &help);
  if (rc != MB_EXIT_OK || help) return rc;
  size_t n = 0, cap = 0;
  mb_report_run *runs = NULL;
  for (int a = optind; a < argc && rc == MB_EXIT_OK; a++) rc = mb_report_add(argv[a], &runs, &n, &cap);
  if (rc == MB_EXIT_OK)
    rc = mb_report_write(runs, n, out, argc - optind == 1 ? argv[optind] : NULL);
  for (size_t i = 0; i < n; i++) mb_report_run_destroy(&runs[i]);
  free(runs);
  return rc;
}
