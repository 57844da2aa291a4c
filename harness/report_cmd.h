/*
 * harness/report_cmd.h - `mlsysbench report RUN_DIR... [-o FILE]`: one self-contained
 * HTML page (inline CSS and SVG, no JavaScript, no network) of one run or a run set,
 * rendered by reports/html.h from each folder's results.json and samples.csv.
 */
#ifndef MB_REPORT_CMD_H
#define MB_REPORT_CMD_H

#include <stdio.h>

/*
 * The subcommand; argv[0] is "report". Loads every RUN_DIR, writes the page (default
 * RUN_DIR/report.html for one run, ./report.html for several) through a temporary file
 * and a rename, and prints "report: PATH" on stdout; `-o -` writes the page itself to
 * stdout instead. Errors go to stderr, each naming
 * the folder or file (and line). Returns MB_EXIT_OK (0, also after --help),
 * MB_EXIT_ERROR (1: the page could not be written) or MB_EXIT_USAGE (2: bad flags, a
 * missing folder or file, a malformed results.json or samples.csv; nothing written).
 * Not thread-safe (getopt).
 */
int mb_cmd_report(int argc, char **argv);

/* The manual page of `mlsysbench report`. */
void mb_print_report_help(FILE *f);

#endif /* MB_REPORT_CMD_H */
