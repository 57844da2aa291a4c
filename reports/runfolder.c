/*
 * reports/runfolder.c - run folders that appear complete or not at all: written under
 * a hidden mkdtemp name, renamed into place without ever replacing another run.
 */
#include "reports/runfolder.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/internal.h"

#define MAX_SUFFIX 999

typedef enum { RF_OPEN, RF_COMMITTED, RF_ABORTED } rf_state;

struct rpt_runfolder {
  char *parent;
  char *name;
  char *path;   /* temporary path while open, final path once committed */
  rf_state state;
};

/* ---- names -------------------------------------------------------------------------- */
/* Append "-part" (cleaned) at buf[*at]; false when it does not fit. */
static bool append_part(char *buf, size_t len, size_t *at, const char *part) {
  if (part == NULL || *part == '\0') return true;
  size_t need = 1 + strlen(part);
  if (*at + need >= len) return false;
  buf[(*at)++] = '-';
  for (const char *c = part; *c; c++) {
    unsigned char u = (unsigned char)*c;
    buf[(*at)++] = isalnum(u) || u == '.' || u == '_' || u == '-' ? (char)tolower(u) : '-';
  }
  buf[*at] = '\0';
  return true;
}

int rpt_runfolder_name(char *buf, size_t len, time_t t, const char *workload,
                       const char *scenario) {
  if (buf == NULL || rpt__utc_format(buf, len, t, "%Y%m%d-%H%M%S") != RPT_OK) return RPT_EINVAL;
  size_t at = strlen(buf);
  if (!append_part(buf, len, &at, workload) || !append_part(buf, len, &at, scenario))
    return RPT_EINVAL;
  return RPT_OK;
}

static bool name_ok(const char *name) {
  return name != NULL && name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
}

/* malloc'd "a/b" or "a/b-k" (k > 1); NULL when out of memory. */
static char *join(const char *dir, const char *name, int k) {
  char *p = NULL;
  int n = k > 1 ? asprintf(&p, "%s/%s-%d", dir, name, k) : asprintf(&p, "%s/%s", dir, name);
  return n < 0 ? NULL : p;
}

/* ---- life cycle ----------------------------------------------------------------------- */
int rpt_runfolder_begin(const char *parent, const char *name, rpt_runfolder **out,
                        char *err, size_t errlen) {
  if (out == NULL || parent == NULL) return rpt__errf(err, errlen, RPT_EINVAL, "no parent folder");
  *out = NULL;
  if (!name_ok(name))
    return rpt__errf(err, errlen, RPT_EINVAL,
                     "run folder name '%s': must be one non-empty path component "
                     "not starting with '.'", name ? name : "");
  rpt_runfolder *rf = calloc(1, sizeof *rf);
  if (rf == NULL || (rf->parent = strdup(parent)) == NULL || (rf->name = strdup(name)) == NULL ||
      asprintf(&rf->path, "%s/.%s.tmp-XXXXXX", parent, name) < 0) {
    if (rf) rf->path = NULL;
    goto fail;
  }
  if (mkdtemp(rf->path) == NULL) {
    int saved = errno;
    rpt__errf(err, errlen, RPT_EIO, "%s: cannot create run folder: %s", rf->path, strerror(saved));
    rf->state = RF_ABORTED;
    rpt_runfolder_destroy(rf);
    return RPT_EIO;
  }
  chmod(rf->path, 0755); /* mkdtemp makes it 0700; runs are meant to be shared */
  *out = rf;
  return RPT_OK;
fail:
  if (rf) rf->state = RF_ABORTED;
  rpt_runfolder_destroy(rf);
  return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", parent);
}

const char *rpt_runfolder_path(const rpt_runfolder *rf) {
  return rf && rf->state != RF_ABORTED ? rf->path : NULL;
}

int rpt_runfolder_file(const rpt_runfolder *rf, const char *file, char *buf, size_t len) {
  const char *dir = rpt_runfolder_path(rf);
  if (dir == NULL || file == NULL || buf == NULL) return RPT_EINVAL;
  int n = snprintf(buf, len, "%s/%s", dir, file);
  return n >= 0 && (size_t)n < len ? RPT_OK : RPT_EINVAL;
}

/* Move from to `to` unless `to` exists: renameat2(RENAME_NOREPLACE), or, where the file
 * system lacks it, reserve `to` with mkdir and rename over the empty folder. 0 or -1
 * with errno (EEXIST when taken). */
static int rename_noreplace(const char *from, const char *to) {
  if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  if (mkdir(to, 0755) != 0) return -1;
  if (rename(from, to) == 0) return 0;
  int saved = errno;
  rmdir(to);
  errno = saved;
  return -1;
}

int rpt_runfolder_commit(rpt_runfolder *rf, char *err, size_t errlen) {
  if (rf == NULL || rf->state != RF_OPEN)
    return rpt__errf(err, errlen, RPT_EINVAL, "run folder already committed or aborted");
  for (int k = 1; k <= MAX_SUFFIX; k++) {
    char *final = join(rf->parent, rf->name, k);
    if (final == NULL) return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", rf->path);
    if (rename_noreplace(rf->path, final) == 0) {
      free(rf->path);
      rf->path = final;
      rf->state = RF_COMMITTED;
      return RPT_OK;
    }
    int saved = errno;
    if (saved != EEXIST && saved != ENOTEMPTY) {
      rpt__errf(err, errlen, RPT_EIO, "%s: cannot rename to %s: %s", rf->path, final,
                strerror(saved));
      free(final);
      return RPT_EIO;
    }
    free(final);
  }
  return rpt__errf(err, errlen, RPT_EEXIST, "%s/%s: %s to -%d are all taken", rf->parent,
                   rf->name, rf->name, MAX_SUFFIX);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  return remove(path);
}

int rpt_runfolder_abort(rpt_runfolder *rf, char *err, size_t errlen) {
  if (rf == NULL || rf->state != RF_OPEN)
    return rpt__errf(err, errlen, RPT_EINVAL, "run folder already committed or aborted");
  if (nftw(rf->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
    return rpt__errf(err, errlen, RPT_EIO, "%s: cannot remove run folder: %s", rf->path,
                     strerror(errno));
  rf->state = RF_ABORTED;
  return RPT_OK;
}

void rpt_runfolder_destroy(rpt_runfolder *rf) {
  if (rf == NULL) return;
  if (rf->state == RF_OPEN) rpt_runfolder_abort(rf, NULL, 0);
  free(rf->parent);
  free(rf->name);
  free(rf->path);
  free(rf);
}

/* ---- reading: run sets --------------------------------------------------------------- */
/* Whether folder[/sub]/results.json exists. */
static bool has_results(const char *folder, const char *sub) {
  char path[4096];
  struct stat st;
  int n = sub ? snprintf(path, sizeof path, "%s/%s/results.json", folder, sub)
              : snprintf(path, sizeof path, "%s/results.json", folder);
  return n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0;
}

size_t rpt_runfolder_set_reps(const char *folder) {
  char rep[16];
  size_t n = 0;
  if (folder == NULL || has_results(folder, NULL)) return 0;
  for (; n < RPT_RUNFOLDER_MAX_REPS; n++) {
    snprintf(rep, sizeof rep, "rep-%02zu", n + 1);
    if (!has_results(folder, rep)) break;
  }
  return n;
}

bool rpt_runfolder_is_ab(const char *folder) {
  char side[4096];
  if (folder == NULL || has_results(folder, NULL)) return false;
  for (const char *s = "AB"; *s; s++) {
    int n = snprintf(side, sizeof side, "%s/%c", folder, *s);
    if (n < 0 || (size_t)n >= sizeof side || rpt_runfolder_set_reps(side) == 0) return false;
  }
  return true;
}
