/*
 * reports/runfolder.h - create a run folder atomically, and recognise a run set (the
 * repetitions `run --repeat` writes) when reading.
 *
 *     rpt_runfolder *rf;
 *     rpt_runfolder_begin("runs", "20261125-081500-kws-server", &rf, err, sizeof err);
 *     rpt_runfolder_file(rf, "summary.txt", path, sizeof path);   ... write files ...
 *     rpt_runfolder_commit(rf, err, sizeof err);   // or rpt_runfolder_abort(rf, ...)
 *     printf("%s\n", rpt_runfolder_path(rf));
 *     rpt_runfolder_destroy(rf);
 *
 * begin creates parent/.<name>.tmp-XXXXXX (mkdtemp); the files are written inside it;
 * commit renames it to parent/<name>, or <name>-2, <name>-3, ... when that exists
 * (never replacing anything: renameat2 RENAME_NOREPLACE). So a reader sees a run
 * folder complete or not at all. abort removes the temporary folder and its contents.
 *
 * Errors name the path and the errno text. Thread-safety: one rpt_runfolder from one
 * thread; distinct ones may be used concurrently, even under the same parent.
 */
#ifndef RPT_RUNFOLDER_H
#define RPT_RUNFOLDER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "reports/status.h"

typedef struct rpt_runfolder rpt_runfolder;

/*
 * Default folder name "YYYYMMDD-HHMMSS-<workload>-<scenario>" from t in UTC, e.g.
 * "20261125-081500-kws-server". The parts are lower-cased and characters other than
 * letters, digits, '.', '_' and '-' become '-'; NULL or empty parts are left out.
 * RPT_OK, or RPT_EINVAL when buf is too small.
 */
int rpt_runfolder_name(char *buf, size_t len, time_t t, const char *workload,
                       const char *scenario);

/*
 * Create the temporary folder for run `name` under parent (which must exist). name is
 * one path component: not empty, no '/', not starting with '.'. On RPT_OK *out is the
 * run folder (destroy it with rpt_runfolder_destroy). Errors: RPT_EINVAL (bad name),
 * RPT_ENOMEM, RPT_EIO ("path: why" in err); *out is then NULL.
 */
int rpt_runfolder_begin(const char *parent, const char *name, rpt_runfolder **out,
                        char *err, size_t errlen);

/* The folder's current path: the temporary one until commit, the final one after;
 * NULL after abort. Owned by rf. */
const char *rpt_runfolder_path(const rpt_runfolder *rf);

/* "<rpt_runfolder_path(rf)>/<file>" into buf: where to write a file of the run. Call it
 * before commit (paths change on commit). RPT_OK, or RPT_EINVAL (aborted, NULL
 * argument, or buf too small). */
int rpt_runfolder_file(const rpt_runfolder *rf, const char *file, char *buf, size_t len);

/* Rename the temporary folder to its final name (with -2, -3, ... on collision, up to
 * -999). RPT_OK; RPT_EINVAL (already committed or aborted); RPT_EEXIST (no free name);
 * RPT_EIO with "path: why". On failure the temporary folder stays for abort. */
int rpt_runfolder_commit(rpt_runfolder *rf, char *err, size_t errlen);

/* Remove the temporary folder and everything in it. RPT_OK; RPT_EINVAL (already
 * committed or aborted); RPT_EIO with "path: why". */
int rpt_runfolder_abort(rpt_runfolder *rf, char *err, size_t errlen);

/* Free rf. A folder neither committed nor aborted is removed first (abort).
 * Accepts NULL. */
void rpt_runfolder_destroy(rpt_runfolder *rf);

/* ---- reading: run sets --------------------------------------------------------------- */
#define RPT_RUNFOLDER_MAX_REPS 999 /* `run --repeat` takes 1..999 */

/*
 * The number of repetitions in the run set `folder`, as `run --repeat N` writes it: a
 * folder without results.json holding rep-01/results.json, rep-02/results.json, ...
 * (counted while consecutive, at most RPT_RUNFOLDER_MAX_REPS). 0 when folder is not a
 * run set (a run folder, an A/B folder, missing, NULL). Reads only file metadata.
 */
size_t rpt_runfolder_set_reps(const char *folder);

/* Whether folder is what `run --repeat N --ab` writes: no results.json, and two run sets
 * folder/A and folder/B. */
bool rpt_runfolder_is_ab(const char *folder);

#endif /* RPT_RUNFOLDER_H */
