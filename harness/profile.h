/*
 * harness/profile.h - `mlsysbench profile`: measure this machine (peak fp32 FMA
 * throughput per core and for all cores, STREAM-triad memory bandwidth, caches, cores,
 * CPU model), print the figures with what they mean, and write them as a hardware
 * profile (hardware_profiles/README.md) that `--profile` and the roofline can use.
 */
#ifndef MB_PROFILE_H
#define MB_PROFILE_H

#include <stdio.h>

/* The subcommand; argv[0] is "profile". Returns MB_EXIT_OK (profile written, or --help
 * printed), MB_EXIT_USAGE (bad flags; a message on stderr) or MB_EXIT_ERROR (a
 * measurement or the write failed; a message on stderr). Prints the table on stdout and
 * progress on stderr. Not thread-safe (getopt). */
int mb_cmd_profile(int argc, char **argv);

/* The manual page of `mlsysbench profile`. */
void mb_print_profile_help(FILE *f);

#endif /* MB_PROFILE_H */
