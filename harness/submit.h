/*
 * harness/submit.h - `mlsysbench submit pack|check|send`: submission bundles of run
 * folders for a course leaderboard, and the checker that the leaderboard server runs
 * on every upload (the bundle format is reports/bundle.h).
 *
 * The checker (mb_check_bundle) goes beyond the bundle's structure: for every run it
 * reads results.json and samples.csv, rebuilds loadgen's settings from results.json's
 * settings list, and recomputes the statistics, the headline metric and the validity
 * rules (minimum duration, query and sample counts, latency bound, early stopping)
 * from the per-sample records with loadgen's own code (lg_result_recompute), then
 * reports every value results.json claims that the records do not give; it checks
 * that the seeds block agrees with the settings, and the signature when a token is
 * given. A run that is honestly INVALID is not a problem: the leaderboard shows it as
 * INVALID. A claim that disagrees with the records is.
 *
 * Thread-safety: mb_check_bundle keeps no state and may run on many threads at once
 * (each call uses its own temporary folder). mb_submit_upload needs curl_global_init
 * to have been called once before threads start. The mb_cmd_ functions are not
 * thread-safe (getopt).
 */
#ifndef MB_SUBMIT_H
#define MB_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "reports/bundle.h"

/* Exit codes of `mlsysbench submit` (documented in `mlsysbench submit --help`). */
#define MB_SUBMIT_OK 0           /* packed / no problems / accepted */
#define MB_SUBMIT_PROBLEMS 1     /* check found problems / the server refused it */
#define MB_SUBMIT_USAGE 2        /* bad flags or an input that cannot be used */
#define MB_SUBMIT_ERROR 3        /* could not do it: I/O, out of memory, no temporary folder */
#define MB_SUBMIT_UNREACHABLE 5  /* send: no answer from the server, or not a verdict */

/* One run of a checked bundle: what a leaderboard row shows. Strings are copies. */
typedef struct mb_entry {
  char run[64];
  char workload[64], scenario[32], mode[32], sut[64];
  char hardware[160];            /* host CPU model (and cores) */
  char hardware_profile[64];
  char metric_name[96], unit[32];
  double metric;                 /* as recomputed (NaN when the run has none); accuracy
                                    runs: results.json's accuracy figure (in percent for
                                    fractions) as metric_name and unit say */
  bool valid;                    /* as recomputed; false for accuracy runs */
  char validity[16];             /* "VALID", "INVALID" or "accuracy" */
  char reasons[512];             /* why INVALID, "; "-separated */
} mb_entry;

typedef struct mb_verdict {
  rpt_bundle bundle;             /* the bundle as read (team, manifest hash, files) */
  rpt_problems problems;         /* empty: the bundle passed */
  bool signature_checked;        /* a token was given and it verified */
  size_t n_entries;
  mb_entry entries[RPT_BUNDLE_MAX_RUNS];
} mb_verdict;

/*
 * Check a bundle held in memory. token NULL skips the signature (the verdict says so);
 * token_of names whose token it is for messages ("team 'owls'", "from F"; NULL: unknown).
 * Returns MB_SUBMIT_OK (no problems), MB_SUBMIT_PROBLEMS (see v->problems; the worst
 * kind tells a server which HTTP status to answer) or MB_SUBMIT_ERROR (out of memory,
 * no temporary folder). *v is filled either way; release it with mb_verdict_destroy.
 */
int mb_check_bundle(const void *data, size_t size, const char *token, const char *token_of,
                    mb_verdict *v);
void mb_verdict_destroy(mb_verdict *v);

/* The verdict as JSON ({"status", "team", "manifest_sha256", "runs": [...],
 * "problems": [...]}, plus what the caller adds); NULL when out of memory. */
struct json_object *mb_verdict_json(const mb_verdict *v, const char *status);

/* A team token as `leaderboard add-team` prints it: MB_TOKEN_PREFIX and MB_TOKEN_HEX
 * lower-case hex digits (MB_LB_TOKEN_CHARS in all). */
#define MB_TOKEN_PREFIX "mlsb_"
#define MB_TOKEN_HEX 64
bool mb_token_well_formed(const char *token);

/* The team token: --token-file's first line, else $MLSB_TEAM_TOKEN, trimmed, into buf
 * ("" when neither is given). MB_SUBMIT_OK; MB_SUBMIT_USAGE with a message on stderr
 * naming `cmd` when the file cannot be read or the token is not well formed. */
int mb_read_token(const char *cmd, const char *token_file, char *buf, size_t len);

/* POST a bundle to url (".../submissions" is appended when url has no path) with
 * "Authorization: Bearer token". Waits at most timeout_s. On MB_SUBMIT_OK *http_status
 * is the server's status and *body its answer (malloc'd, NUL-terminated; caller
 * frees); otherwise MB_SUBMIT_UNREACHABLE with "url: why" in err. */
int mb_submit_upload(const char *url, const char *token, const void *data, size_t size,
                     long timeout_s, long *http_status, char **body, char *err,
                     size_t errlen);

/* Read a whole file (a bundle) into memory. MB_SUBMIT_OK, or MB_SUBMIT_USAGE with
 * "path: why" in err. *data is malloc'd (caller frees). */
int mb_read_whole(const char *path, unsigned char **data, size_t *size, char *err,
                  size_t errlen);

/* The subcommand; argv[0] is "submit". */
int mb_cmd_submit(int argc, char **argv);
void mb_print_submit_help(FILE *f);

#endif /* MB_SUBMIT_H */
