/*
 * harness/main.c - the mlsysbench command: dispatches to run, suite and list. The only
 * place that exits.
 */
#include <stdio.h>
#include <string.h>

#include "harness/compare.h"
#include "harness/harness.h"
#include "harness/leaderboard.h"
#include "harness/profile.h"
#include "harness/report_cmd.h"
#include "harness/submit.h"

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "help")) {
    mb_print_help(argc < 2 ? stderr : stdout);
    return argc < 2 ? MB_EXIT_USAGE : MB_EXIT_OK;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("mlsysbench %s\n", MB_VERSION);
    return MB_EXIT_OK;
  }
  if (!strcmp(argv[1], "run")) return mb_cmd_run(argc - 1, argv + 1);
  if (!strcmp(argv[1], "suite")) return mb_cmd_suite(argc - 1, argv + 1);
  if (!strcmp(argv[1], "list")) return mb_cmd_list(argc - 1, argv + 1);
  if (!strcmp(argv[1], "profile")) return mb_cmd_profile(argc - 1, argv + 1);
  if (!strcmp(argv[1], "compare")) return mb_cmd_compare(argc - 1, argv + 1);
  if (!strcmp(argv[1], "report")) return mb_cmd_report(argc - 1, argv + 1);
  if (!strcmp(argv[1], "submit")) return mb_cmd_submit(argc - 1, argv + 1);
  if (!strcmp(argv[1], "leaderboard")) return mb_cmd_leaderboard(argc - 1, argv + 1);
  fprintf(stderr, "mlsysbench: unknown command '%s'; commands: run, suite, list, profile, compare, report, submit, leaderboard "
          "(see `mlsysbench --help`)\n", argv[1]);
  return MB_EXIT_USAGE;
}
