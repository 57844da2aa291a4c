/*
 * harness/compare.h - `mlsysbench compare BASELINE NEW`: the regression gate for CI.
 * Loads two run folders, refuses runs that are not comparable (unless --force),
 * prints the per-metric table and the verdict, optionally writes it as JSON, and
 * exits 0 (no regression), 1 (a significant regression) or 2 (not comparable or bad
 * input). The statistics live in reports/compare.h.
 */
#ifndef MB_COMPARE_H
#define MB_COMPARE_H

#include <stdio.h>

/* Exit codes of `mlsysbench compare`. */
#define MB_COMPARE_OK 0          /* no significant regression */
#define MB_COMPARE_REGRESSION 1  /* a metric is significantly slower */
#define MB_COMPARE_REFUSED 2     /* not comparable, bad usage or input, or --json failed */

/* The subcommand; argv[0] is "compare". Prints the comparison on stdout and errors on
 * stderr (each naming the file and, where it has one, the line). Returns one of the
 * MB_COMPARE_ codes (MB_COMPARE_OK after --help). Not thread-safe (getopt). */
int mb_cmd_compare(int argc, char **argv);

/* The manual page of `mlsysbench compare`. */
void mb_print_compare_help(FILE *f);

#endif /* MB_COMPARE_H */
