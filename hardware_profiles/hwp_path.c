/*
 * hardware_profiles/hwp_path.c - where profiles are: the search path ($MLSB_PROFILE_DIR,
 * else the folders the build names in MB_PROFILE_DIRS), finding a profile by name,
 * listing the names, and choosing this machine's profile (the measured local one, else
 * the generic x86-64 server).
 */
#include "hardware_profiles/internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MB_PROFILE_DIRS
#define MB_PROFILE_DIRS "hardware_profiles" /* the Makefile passes the real list */
#endif

#define HWP_PATH_MAX 4096

int hwp_search_path(char *buf, size_t len) {
  const char *env = getenv("MLSB_PROFILE_DIR");
  const char *dirs = env != NULL && env[0] != '\0' ? env : MB_PROFILE_DIRS;
  int n = snprintf(buf, len, "%s", dirs);
  return n >= 0 && (size_t)n < len ? HWP_OK : HWP_EINVAL;
}

/* The next non-empty folder of a colon-separated list into dir; 0 at the end. */
static int hwp__next_dir(const char **cursor, char *dir, size_t len) {
  const char *s = *cursor;
  while (*s == ':') s++;
  if (*s == '\0') return 0;
  size_t n = strcspn(s, ":");
  snprintf(dir, len, "%.*s", (int)n, s);
  *cursor = s + n;
  return 1;
}

int hwp_find(const char *name, hwp_profile *p, char *err, size_t errlen) {
  char dirs[HWP_PATH_MAX], dir[HWP_PATH_MAX], file[HWP_PATH_MAX + 80];
  if (name == NULL || p == NULL) return hwp__errf(err, errlen, HWP_EINVAL, "no profile name");
  if (strcmp(name, "auto") == 0) return hwp_auto(p, err, errlen);
  if (strchr(name, '/') != NULL) return hwp_load_file(name, p, err, errlen);
  hwp_profile_init(p);
  if (!hwp_name_valid(name))
    return hwp__errf(err, errlen, HWP_EINVAL,
                     "'%s' is not a hardware profile name (a-z 0-9 . _ -; a path needs a '/')",
                     name);
  if (hwp_search_path(dirs, sizeof dirs) != HWP_OK)
    return hwp__errf(err, errlen, HWP_EINVAL, "profile search path too long");
  for (const char *cur = dirs; hwp__next_dir(&cur, dir, sizeof dir);) {
    snprintf(file, sizeof file, "%s/%s.json", dir, name);
    if (access(file, F_OK) == 0) return hwp_load_file(file, p, err, errlen);
  }
  return hwp__errf(err, errlen, HWP_ENOTFOUND,
                   "no hardware profile '%s' in %s (`mlsysbench list` shows the profiles; "
                   "`mlsysbench profile` measures this machine)", name, dirs);
}

/* ---- listing -------------------------------------------------------------------- */

static int hwp__listed(const hwp_name_list *l, const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->items[i].name, name) == 0) return 1;
  return 0;
}

static int hwp__list_add(hwp_name_list *l, size_t *cap, const char *name, const char *path) {
  if (l->n == *cap) {
    size_t ncap = *cap ? *cap * 2 : 16;
    hwp_name_entry *items = realloc(l->items, ncap * sizeof *items);
    if (items == NULL) return HWP_ENOMEM;
    l->items = items;
    *cap = ncap;
  }
  hwp_name_entry *e = &l->items[l->n];
  e->name = strdup(name);
  e->path = strdup(path);
  if (e->name == NULL || e->path == NULL) {
    free(e->name);
    free(e->path);
    return HWP_ENOMEM;
  }
  l->n++;
  return HWP_OK;
}

/* Add each <id>.json of dir that no earlier folder gave. A missing folder adds nothing. */
static int hwp__list_dir(hwp_name_list *l, size_t *cap, const char *dir) {
  char name[256], path[HWP_PATH_MAX + 300];
  DIR *d = opendir(dir);
  if (d == NULL) return HWP_OK;
  int rc = HWP_OK;
  struct dirent *e;
  while (rc == HWP_OK && (e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n <= 5 || n - 5 >= sizeof name || strcmp(e->d_name + n - 5, ".json") != 0) continue;
    snprintf(name, sizeof name, "%.*s", (int)(n - 5), e->d_name);
    if (!hwp_name_valid(name) || hwp__listed(l, name)) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    rc = hwp__list_add(l, cap, name, path);
  }
  closedir(d);
  return rc;
}

static int hwp__by_name(const void *a, const void *b) {
  return strcmp(((const hwp_name_entry *)a)->name, ((const hwp_name_entry *)b)->name);
}

int hwp_list(hwp_name_list *out, char *err, size_t errlen) {
  char dirs[HWP_PATH_MAX], dir[HWP_PATH_MAX];
  size_t cap = 0;
  int rc = HWP_OK;
  if (out == NULL) return hwp__errf(err, errlen, HWP_EINVAL, "no list");
  memset(out, 0, sizeof *out);
  if (hwp_search_path(dirs, sizeof dirs) != HWP_OK)
    return hwp__errf(err, errlen, HWP_EINVAL, "profile search path too long");
  for (const char *cur = dirs; rc == HWP_OK && hwp__next_dir(&cur, dir, sizeof dir);)
    rc = hwp__list_dir(out, &cap, dir);
  if (rc != HWP_OK) {
    hwp_name_list_destroy(out);
    return hwp__errf(err, errlen, rc, "listing hardware profiles: out of memory");
  }
  if (out->n > 1) qsort(out->items, out->n, sizeof *out->items, hwp__by_name);
  return HWP_OK;
}

void hwp_name_list_destroy(hwp_name_list *l) {
  if (l == NULL) return;
  for (size_t i = 0; i < l->n; i++) {
    free(l->items[i].name);
    free(l->items[i].path);
  }
  free(l->items);
  memset(l, 0, sizeof *l);
}

/* ---- this machine --------------------------------------------------------------- */

int hwp_local_path(char *buf, size_t len) {
  const char *dirs = getenv("MLSB_PROFILE_DIR");
  const char *xdg = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  char dir[HWP_PATH_MAX];
  int n;
  if (dirs != NULL && hwp__next_dir(&dirs, dir, sizeof dir))
    n = snprintf(buf, len, "%s/%s", dir, HWP_LOCAL_FILE);
  else if (xdg != NULL && xdg[0] == '/')
    n = snprintf(buf, len, "%s/mlsysbench/%s", xdg, HWP_LOCAL_FILE);
  else if (home != NULL && home[0] != '\0')
    n = snprintf(buf, len, "%s/.config/mlsysbench/%s", home, HWP_LOCAL_FILE);
  else
    return HWP_ENOTFOUND;
  return n >= 0 && (size_t)n < len ? HWP_OK : HWP_EINVAL;
}

int hwp_auto(hwp_profile *p, char *err, size_t errlen) {
  char local[HWP_PATH_MAX];
  if (p == NULL) return hwp__errf(err, errlen, HWP_EINVAL, "no profile");
  if (hwp_local_path(local, sizeof local) == HWP_OK && access(local, F_OK) == 0)
    return hwp_load_file(local, p, err, errlen);
  return hwp_find(HWP_DEFAULT_PROFILE, p, err, errlen);
}
