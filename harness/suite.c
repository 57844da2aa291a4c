/*
 * harness/suite.c - `mlsysbench suite [quick|FILE]`: several runs, then one summary
 * table with the path of each run folder. A suite file holds one line of `run`
 * arguments per run; '#' starts a comment. `quick` is built in: every scenario once on
 * kws with short settings, plus an accuracy run (under 2 minutes on 2 cores).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "reports/summary.h"

static const char *const mb_quick_suite[] = {
    "--workload kws --scenario singlestream --duration-ms 2000",
    "--workload kws --scenario multistream --duration-ms 2000",
    "--workload kws --scenario server --target-qps 400 --duration-ms 2000 --set target_latency=50",
    "--workload kws --scenario offline --target-qps auto --duration-ms 2000",
    "--workload kws --scenario offline --mode accuracy",
    NULL};

#define MB_MAX_RUNS 64
#define MB_MAX_ARGS 64

/* Split a line into argv (blank-separated; no quoting). Returns argc; -1 if too long. */
static int mb_split(char *line, char **argv) {
  int argc = 0;
  argv[argc++] = "run";
  for (char *p = strtok(line, " \t\r\n"); p; p = strtok(NULL, " \t\r\n")) {
    if (p[0] == '#') break;
    if (argc == MB_MAX_ARGS - 1) return -1;
    argv[argc++] = p;
  }
  argv[argc] = NULL;
  return argc;
}

typedef struct mb_suite {
  char *lines[MB_MAX_RUNS];
  char where[MB_MAX_RUNS][300];
  int n;
} mb_suite;

static int mb_suite_load(const char *name, mb_suite *s) {
  if (!strcmp(name, "quick")) {
    for (int i = 0; mb_quick_suite[i]; i++) {
      s->lines[s->n] = strdup(mb_quick_suite[i]);
      snprintf(s->where[s->n], sizeof s->where[0], "quick:%d", i + 1);
      s->n++;
    }
    return MB_EXIT_OK;
  }
  FILE *f = fopen(name, "r");
  if (!f) {
    fprintf(stderr, "mlsysbench suite: %s: %s (use `quick` or a suite file)\n", name, strerror(errno));
    return MB_EXIT_USAGE;
  }
  char line[2048];
  for (int lineno = 1; fgets(line, sizeof line, f) && s->n < MB_MAX_RUNS; lineno++) {
    char *p = line + strspn(line, " \t");
    if (*p == '#' || *p == '\n' || !*p) continue;
    s->lines[s->n] = strdup(p);
    snprintf(s->where[s->n], sizeof s->where[0], "%s:%d", name, lineno);
    s->n++;
  }
  fclose(f);
  return MB_EXIT_OK;
}

/* Parse every line first: a typo on line 5 is reported before line 1 runs. */
static int mb_suite_check(mb_suite *s) {
  for (int i = 0; i < s->n; i++) {
    char *copy = strdup(s->lines[i]), *argv[MB_MAX_ARGS];
    int argc = mb_split(copy, argv);
    mb_run_opts o;
    bool help;
    mb_run_opts_default(&o);
    int rc = argc < 0 ? MB_EXIT_USAGE : mb_parse_run(argc, argv, &o, &help);
    free(copy);
    if (rc) {
      fprintf(stderr, "mlsysbench suite: %s: bad run line\n", s->where[i]);
      return rc;
    }
  }
  return MB_EXIT_OK;
}

int mb_cmd_suite(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    mb_print_help(stdout);
    return MB_EXIT_OK;
  }
  mb_suite s = {.n = 0};
  int rc = mb_suite_load(argc > 1 ? argv[1] : "quick", &s);
  if (!rc) rc = mb_suite_check(&s);
  mb_run_outcome *outs = calloc((size_t)s.n + 1, sizeof *outs);
  int worst = MB_EXIT_OK;
  for (int i = 0; !rc && i < s.n; i++) {
    char *args[MB_MAX_ARGS], *copy = strdup(s.lines[i]);
    mb_run_opts o;
    bool help;
    mb_run_opts_default(&o);
    fprintf(stderr, "[%d/%d] mlsysbench run %s", i + 1, s.n, s.lines[i]);
    if (!strchr(s.lines[i], '\n')) fputc('\n', stderr);
    mb_parse_run(mb_split(copy, args), args, &o, &help);
    o.quiet = true;
    int r = mb_run(&o, &outs[i]);
    free(copy);
    if (r > worst) worst = r;
  }
  if (!rc) {
    printf("\n");
    rpt_summary_row_header(stdout);
    for (int i = 0; i < s.n; i++)
      if (outs[i].folder[0]) rpt_summary_row(stdout, &outs[i].results, outs[i].folder);
  }
  for (int i = 0; i < s.n; i++) {
    mb_outcome_destroy(&outs[i]);
    free(s.lines[i]);
  }
  free(outs);
  return rc ? rc : worst;
}
