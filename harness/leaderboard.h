/*
 * harness/leaderboard.h - the course leaderboard: its SQLite store (teams with salted
 * token hashes, submissions with their bundles and verdicts, one row per run), the
 * pages it serves (HTML, JSON, CSV), and the `mlsysbench leaderboard` command
 * (add-team, serve; the HTTP server is harness/lb_serve.c).
 *
 * Store schema (PRAGMA user_version = MB_LB_SCHEMA_VERSION):
 *   teams(id, name UNIQUE, salt, token_sha256, created_utc)      token_sha256 =
 *        SHA-256 hex of salt || token; the token itself is never stored
 *   submissions(id, team_id, manifest_sha256 UNIQUE, received_utc, bytes, bundle BLOB,
 *        verdict TEXT (JSON))
 *   entries(id, submission_id, run, workload, scenario, mode, sut, hardware,
 *        hardware_profile, metric_name, unit, metric, validity, reasons)
 * A submission and its entries are written in one transaction (BEGIN IMMEDIATE), so a
 * reader never sees half of one; the UNIQUE manifest hash refuses a replayed bundle.
 *
 * Thread-safety: an mb_lb is one SQLite connection (opened serialized); the server
 * calls it from several threads under its own mutex. No globals.
 */
#ifndef MB_LEADERBOARD_H
#define MB_LEADERBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/submit.h"

#define MB_LB_SCHEMA_VERSION 1
#define MB_LB_TOKEN_CHARS 69 /* "mlsb_" + 64 hex digits */

/* Status codes of the store: one table makes the enum and mb_lb_strerror(). */
#define MB_LB_STATUS_MAP(X)                                                    \
  X(OK, 0, "success")                                                          \
  X(EDB, -1, "database error")                                                 \
  X(EEXIST, -2, "already there")                                               \
  X(ENOTFOUND, -3, "no such team or token")                                    \
  X(EINVAL, -4, "invalid argument")                                            \
  X(ENOMEM, -5, "out of memory")

typedef enum {
#define MB_LB_ENUM_(name, value, text) MB_LB_##name = (value),
  MB_LB_STATUS_MAP(MB_LB_ENUM_)
#undef MB_LB_ENUM_
} mb_lb_status;

const char *mb_lb_strerror(int status);

typedef struct mb_lb mb_lb;

/* Open (creating when absent) the store at path and its tables. MB_LB_OK with *out
 * (close with mb_lb_close), or MB_LB_EDB with "path: why" in err. */
int mb_lb_open(const char *path, mb_lb **out, char *err, size_t errlen);
/* Close; accepts NULL. */
void mb_lb_close(mb_lb *lb);

/* Add a team with a fresh random token (MB_LB_TOKEN_CHARS, into token[len >= 70]).
 * MB_LB_OK; MB_LB_EINVAL (bad name); MB_LB_EEXIST (the name is taken); MB_LB_EDB. */
int mb_lb_add_team(mb_lb *lb, const char *name, char *token, size_t len, char *err,
                   size_t errlen);

/* The team whose token this is (constant-time compare of the salted hashes): its id
 * and name (into name[len]). MB_LB_OK, MB_LB_ENOTFOUND, MB_LB_EDB. */
int mb_lb_team_of_token(mb_lb *lb, const char *token, long long *team_id, char *name,
                        size_t len);

/* Whether a submission with this manifest hash is stored. */
bool mb_lb_has_submission(mb_lb *lb, const char *manifest_sha256);

/* Store an accepted bundle (its bytes, verdict JSON text and rows) for team_id in one
 * transaction. MB_LB_OK with *submission_id; MB_LB_EEXIST (replayed: that manifest
 * hash is stored; nothing written); MB_LB_EDB (rolled back; nothing written). */
int mb_lb_store(mb_lb *lb, long long team_id, const mb_verdict *v, const void *bundle,
                size_t size, const char *verdict_json, long long *submission_id, char *err,
                size_t errlen);

/* The leaderboard as a self-contained HTML page, JSON (schema
 * "mlsysbench.leaderboard") or CSV (a header line, one row per entry), written to f.
 * MB_LB_OK or MB_LB_EDB. */
int mb_lb_write_html(mb_lb *lb, FILE *f);
int mb_lb_write_json(mb_lb *lb, FILE *f);
int mb_lb_write_csv(mb_lb *lb, FILE *f);

/* `mlsysbench leaderboard add-team|serve`; argv[0] is "leaderboard". */
int mb_cmd_leaderboard(int argc, char **argv);
void mb_print_leaderboard_help(FILE *f);

/* The HTTP server (harness/lb_serve.c): serve lb until SIGINT or SIGTERM. Prints
 * "leaderboard: serving http://BIND:PORT/" on stdout once it listens (port 0 picks a
 * free one). Returns MB_EXIT_OK after a clean stop, MB_EXIT_ERROR when it cannot
 * listen. */
typedef struct mb_lb_serve_opts {
  const char *bind;              /* "127.0.0.1" */
  unsigned port;                 /* 0: any free port */
  size_t max_upload;             /* bytes; larger uploads get 413 */
  unsigned threads;              /* request threads */
} mb_lb_serve_opts;
int mb_lb_serve(mb_lb *lb, const mb_lb_serve_opts *o);

#endif /* MB_LEADERBOARD_H */
