/*
 * harness/repeat.c - `mlsysbench run --repeat N [--ab 'FLAGS']`: one test N times, so a
 * verdict rests on repetitions rather than on one run.
 *
 * The runs go into one run set folder: DIR/rep-01 ... DIR/rep-NN, or with --ab two sets,
 * DIR/A/rep-NN (the command line as given) and DIR/B/rep-NN (the same plus FLAGS), run
 * interleaved A B B A A B ... so a slow drift of the machine (clocks, heat, other load)
 * falls on both sides alike. At the end a table of each repetition's headline metric,
 * and with --ab the comparison of the two sets (`mlsysbench compare DIR/A DIR/B
 * --force`: they differ by FLAGS on purpose). Exit status: 0 when every run was VALID, 3
 * when some run was INVALID, else the first error's status.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness/compare.h"
#include "harness/harness.h"
#include "reports/runfolder.h"

#define MB_MAX_AB_ARGS 64
#define MB_EXIT_INTERRUPTED (-1) /* internal: a repetition was stopped by Ctrl-C */

typedef struct mb_side {
  const char *label;           /* "A", "B" or NULL (plain --repeat) */
  mb_run_opts opts;
  char dir[1000];              /* the set's folder */
  double *metric;              /* per repetition, NAN when the run failed */
  int *rc;
} mb_side;

/* Split FLAGS at blanks into argv (argv[0] "run"); false when there are too many. */
static bool mb_split_flags(char *flags, char **argv, int *argc) {
  *argc = 0;
  argv[(*argc)++] = "run";
  for (char *save, *tok = strtok_r(flags, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
    if (*argc == MB_MAX_AB_ARGS - 1) return false;
    argv[(*argc)++] = tok;
  }
  argv[*argc] = NULL;
  return true;
}

/* B = A's options with FLAGS parsed on top (lists such as --set append). */
static int mb_side_b(const mb_run_opts *a, char *flags, mb_run_opts *b) {
  char *argv[MB_MAX_AB_ARGS];
  int argc;
  bool help;
  *b = *a;
  if (!mb_split_flags(flags, argv, &argc)) {
    fprintf(stderr, "mlsysbench run: --ab: more than %d flags\n", MB_MAX_AB_ARGS - 2);
    return MB_EXIT_USAGE;
  }
  int rc = mb_parse_run(argc, argv, b, &help);
  if (rc || help) {
    fprintf(stderr, "mlsysbench run: --ab '%s': not valid `run` flags\n", a->ab);
    return MB_EXIT_USAGE;
  }
  if (b->repeat != a->repeat || b->ab != a->ab || b->out != a->out) {
    fprintf(stderr, "mlsysbench run: --ab '%s': --repeat, --ab and --out belong to the "
            "whole command, not to side B\n", a->ab);
    return MB_EXIT_USAGE;
  }
  b->argc = a->argc, b->argv = a->argv; /* results.json keeps the whole command line */
  return MB_EXIT_OK;
}

/* The set's folder: --out, which must not exist yet (a set never mixes with older
 * runs), or a new mlsb-runs/DATE-W-S-xN[-K]. */
static int mb_set_dir(char *dir, size_t len, const mb_run_opts *o) {
  char name[256];
  struct stat st;
  if (o->out) {
    snprintf(dir, len, "%s", o->out);
    if (stat(dir, &st) != 0) return MB_EXIT_OK;
    fprintf(stderr, "mlsysbench run: --out %s: exists; a run set (--repeat) goes into a new "
            "folder so it never mixes with older runs: choose another --out or remove it\n",
            dir);
    return MB_EXIT_USAGE;
  }
  rpt_runfolder_name(name, sizeof name, time(NULL), o->workload, lg_scenario_name(o->scenario));
  snprintf(dir, len, "mlsb-runs/%s-x%d", name, o->repeat);
  for (int k = 2; stat(dir, &st) == 0; k++)
    snprintf(dir, len, "mlsb-runs/%s-x%d-%d", name, o->repeat, k);
  return MB_EXIT_OK;
}

/* The run was stopped by Ctrl-C (its reasons say "interrupted"). */
static bool mb_interrupted(const rpt_results *r) {
  for (size_t i = 0; i < r->result.reasons.count; i++)
    if (!strcmp(r->result.reasons.items[i].code, lg_reason_name(LG_REASON_INTERRUPTED)))
      return true;
  return false;
}

/* Run repetition i (1-based) of one side into its set folder. */
static int mb_side_run(mb_side *s, int i) {
  char out[1100];
  mb_run_opts o = s->opts;
  snprintf(out, sizeof out, "%s/rep-%02d", s->dir, i);
  o.out = out;
  o.quiet = true;
  mb_run_outcome res;
  int rc = mb_run(&o, &res);
  const rpt_metric *m = &res.results.result.metric;
  s->metric[i - 1] = m->value.set ? m->value.v : NAN;
  s->rc[i - 1] = rc;
  bool stopped = mb_interrupted(&res.results);
  printf("%s%srep %2d: %s\n", s->label ? s->label : "", s->label ? " " : "", i,
         stopped ? "INVALID (interrupted)" : rc == MB_EXIT_OK ? "VALID"
         : rc == MB_EXIT_INVALID ? "INVALID" : "failed");
  if (stopped) rc = MB_EXIT_INTERRUPTED;
  fflush(stdout);
  mb_outcome_destroy(&res);
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* "rep | metric" rows of every side, then median, min, max and spread. */
static void mb_print_table(mb_side *sides, int n_sides, int reps, const char *unit) {
  printf("\n%-6s", "rep");
  for (int s = 0; s < n_sides; s++) printf(" %20s", sides[s].label ? sides[s].label : "metric");
  printf("   (%s)\n", unit ? unit : "");
  for (int i = 0; i < reps; i++) {
    printf("%-6d", i + 1);
    for (int s = 0; s < n_sides; s++)
      printf(" %20.6g%s", sides[s].metric[i], sides[s].rc[i] == MB_EXIT_OK ? " " : "*");
    printf("\n");
  }
  static const char *const stat[] = {"median", "min", "max", "spread"};
  for (int k = 0; k < 4; k++) {
    printf("%-6s", stat[k]);
    for (int s = 0; s < n_sides; s++) {
      double v[reps > 0 ? reps : 1];
      int n = 0;
      for (int i = 0; i < reps; i++)
        if (!isnan(sides[s].metric[i])) v[n++] = sides[s].metric[i];
      qsort(v, (size_t)n, sizeof v[0], cmp_double);
      double x = !n ? NAN : k == 0 ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2)
                 : k == 1 ? v[0] : k == 2 ? v[n - 1] : (v[n - 1] - v[0]) / v[0];
      if (k == 3) printf(" %19.3g%% ", x * 100);
      else printf(" %20.6g ", x);
    }
    printf("\n");
  }
  printf("(* = not VALID; spread = (max - min) / min)\n");
}

int mb_run_repeat(const mb_run_opts *o) {
  mb_side sides[2] = {{.opts = *o}, {.opts = *o}};
  int n_sides = o->ab ? 2 : 1, worst = MB_EXIT_OK, rc = MB_EXIT_OK, reps = o->repeat;
  char *flags = o->ab ? strdup(o->ab) : NULL, base[900], unit[32] = "";
  if (o->ab && (!flags || (rc = mb_side_b(o, flags, &sides[1].opts)))) goto done;
  if (o->mode_set && o->mode == LG_MODE_ACCURACY) {
    fprintf(stderr, "mlsysbench run: --repeat with --mode accuracy: an accuracy run checks "
            "every output once and gives the same answer each time; repeat performance runs\n");
    rc = MB_EXIT_USAGE;
    goto done;
  }
  if ((rc = mb_set_dir(base, sizeof base, o)) != MB_EXIT_OK) goto done;
  for (int s = 0; s < n_sides; s++) {
    sides[s].label = o->ab ? (s ? "B" : "A") : NULL;
    snprintf(sides[s].dir, sizeof sides[s].dir, "%s%s%s", base, o->ab ? "/" : "",
             o->ab ? sides[s].label : "");
    sides[s].metric = calloc((size_t)reps, sizeof *sides[s].metric);
    sides[s].rc = calloc((size_t)reps, sizeof *sides[s].rc);
    if (!sides[s].metric || !sides[s].rc) {
      rc = MB_EXIT_ERROR;
      goto done;
    }
  }
  for (int i = 1; i <= reps; i++)
    for (int k = 0; k < n_sides; k++) {
      int s = (i % 2 == 0) ? n_sides - 1 - k : k; /* A B, B A, A B, ... */
      int r = mb_side_run(&sides[s], i);
      if (r == MB_EXIT_INTERRUPTED) {
        fprintf(stderr, "mlsysbench run: interrupted: the remaining repetitions are not run; "
                "the set in %s has the runs done so far\n", base);
        rc = MB_EXIT_INVALID;
        goto done;
      }
      if (r == MB_EXIT_USAGE || r == MB_EXIT_NOTSUP) { /* every repetition would fail */
        rc = r;
        goto done;
      }
      if (r != MB_EXIT_OK && (worst == MB_EXIT_OK || worst == MB_EXIT_INVALID)) worst = r;
    }
  snprintf(unit, sizeof unit, "%s", o->scenario == LG_OFFLINE ? "samples/s"
                                    : o->scenario == LG_SERVER ? "qps" : "ns");
  mb_print_table(sides, n_sides, reps, unit);
  printf("run set: %s\n", base);
  if (o->ab) {
    char *argv[] = {"compare", sides[0].dir, sides[1].dir, "--force", NULL};
    printf("\nB against A (mlsysbench compare %s %s --force):\n", sides[0].dir, sides[1].dir);
    fflush(stdout);
    mb_cmd_compare(4, argv);
  }
  rc = worst;
done:
  for (int s = 0; s < 2; s++) free(sides[s].metric), free(sides[s].rc);
  free(flags);
  return rc;
}
