/*
 * reports/bundle.c - the submission bundle: packing run folders into a signed tar.gz
 * (libarchive, OpenSSL libcrypto), reading one back with every structural check, and
 * the problem list a checker reports. The format is described in reports/bundle.h.
 */
#include "reports/bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "reports/internal.h"

#define MANIFEST "manifest.json"
#define SIGNATURE "manifest.sig"
#define SIG_PREFIX "hmac-sha256:"
#define SYSTEM "system.json"
#define PATH_MAX_LEN 512

/* ---- problems ------------------------------------------------------------------------ */
const char *rpt_problem_kind_name(rpt_problem_kind k) {
  static const char *const names[] = {
#define RPT_PROBLEM_NAME_(id, name) name,
      RPT_PROBLEM_MAP(RPT_PROBLEM_NAME_)
#undef RPT_PROBLEM_NAME_
  };
  return (unsigned)k < RPT_PROBLEM_KIND_COUNT ? names[k] : "?";
}

void rpt_problems_init(rpt_problems *p) { memset(p, 0, sizeof *p); }

void rpt_problems_destroy(rpt_problems *p) {
  if (p == NULL) return;
  for (size_t i = 0; i < p->count; i++) {
    free(p->items[i].file), free(p->items[i].key);
    free(p->items[i].value), free(p->items[i].what);
  }
  free(p->items);
  rpt_problems_init(p);
}

static char *dup_or_null(const char *s, bool *oom) {
  if (s == NULL) return NULL;
  char *d = strdup(s);
  if (d == NULL) *oom = true;
  return d;
}

void rpt_problems_add(rpt_problems *p, rpt_problem_kind kind, const char *file,
                      const char *key, const char *value, const char *fmt, ...) {
  char what[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  rpt_problem *items = rpt__grow(p->items, &p->cap, p->count + 1, sizeof *items);
  if (items == NULL) {
    p->oom = true;
    return;
  }
  p->items = items;
  bool oom = false;
  rpt_problem *pr = &items[p->count++];
  pr->kind = kind;
  pr->file = dup_or_null(file ? file : "bundle", &oom);
  pr->key = dup_or_null(key, &oom);
  pr->value = dup_or_null(value, &oom);
  pr->what = dup_or_null(what, &oom);
  if (oom) p->oom = true;
}

rpt_problem_kind rpt_problems_worst(const rpt_problems *p) {
  rpt_problem_kind worst = RPT_PROBLEM_KIND_COUNT;
  for (size_t i = 0; i < p->count; i++)
    if (p->items[i].kind < worst) worst = p->items[i].kind;
  return worst;
}

const char *rpt_problem_format(const rpt_problem *pr, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "%s: ", pr->file ? pr->file : "bundle");
  if (pr->key && n < len) n += (size_t)snprintf(buf + n, len - n, "key '%s': ", pr->key);
  if (pr->value && n < len)
    n += (size_t)snprintf(buf + n, len - n, "value '%.200s': ", pr->value);
  if (n < len)
    snprintf(buf + n, len - n, "%s (%s)", pr->what ? pr->what : "",
             rpt_problem_kind_name(pr->kind));
  return buf;
}

static json_object *json_str_or_null(const char *s) {
  return s ? json_object_new_string(s) : NULL;
}

json_object *rpt_problems_to_json(const rpt_problems *p) {
  json_object *arr = json_object_new_array();
  for (size_t i = 0; arr && i < p->count; i++) {
    const rpt_problem *pr = &p->items[i];
    json_object *o = json_object_new_object();
    if (o == NULL) {
      json_object_put(arr);
      return NULL;
    }
    json_object_object_add(o, "kind", json_object_new_string(rpt_problem_kind_name(pr->kind)));
    json_object_object_add(o, "file", json_str_or_null(pr->file));
    json_object_object_add(o, "key", json_str_or_null(pr->key));
    json_object_object_add(o, "value", json_str_or_null(pr->value));
    json_object_object_add(o, "what", json_str_or_null(pr->what));
    json_object_array_add(arr, o);
  }
  return arr;
}

/* ---- hashing and signing ----------------------------------------------------------- */
static void to_hex(const unsigned char *md, size_t n, char *hex) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    hex[2 * i] = digits[md[i] >> 4];
    hex[2 * i + 1] = digits[md[i] & 15];
  }
  hex[2 * n] = '\0';
}

int rpt_sha256_hex(const void *data, size_t n, char hex[RPT_SHA256_HEX]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data, n, md, &len, EVP_sha256(), NULL)) return RPT_ENOMEM;
  to_hex(md, len, hex);
  return RPT_OK;
}

int rpt_sha256_file(const char *path, char hex[RPT_SHA256_HEX], uint64_t *bytes, char *err,
                    size_t errlen) {
  FILE *f = rpt__fopen(path, "rb", err, errlen);
  if (f == NULL) return RPT_EIO;
  int rc = RPT_ENOMEM;
  unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  uint64_t total = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) goto done;
  for (size_t got; (got = fread(buf, 1, sizeof buf, f)) > 0; total += got)
    if (!EVP_DigestUpdate(ctx, buf, got)) goto done;
  if (ferror(f)) {
    rc = rpt__errf(err, errlen, RPT_EIO, "%s: cannot read: %s", path, strerror(errno));
    goto done;
  }
  if (!EVP_DigestFinal_ex(ctx, md, &len)) goto done;
  to_hex(md, len, hex);
  *bytes = total;
  rc = RPT_OK;
done:
  if (rc == RPT_ENOMEM) rpt__errf(err, errlen, rc, "%s: SHA-256 failed", path);
  EVP_MD_CTX_free(ctx);
  fclose(f);
  return rc;
}

int rpt_hmac_sha256_hex(const char *token, const void *data, size_t n,
                        char hex[RPT_SHA256_HEX]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (token == NULL || token[0] == '\0') return RPT_EINVAL;
  if (!HMAC(EVP_sha256(), token, (int)strlen(token), data, n, md, &len)) return RPT_ENOMEM;
  to_hex(md, len, hex);
  return RPT_OK;
}

static bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-';
}

bool rpt_team_name_valid(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > 63 || !name_char(name[0]) || name[0] == '.' || name[0] == '_' ||
      name[0] == '-')
    return false;
  for (size_t i = 0; i < n; i++)
    if (!name_char(name[i])) return false;
  return true;
}

/* A path that may appear in a bundle: components of name characters, none empty, none
 * starting with '.', at most 3 deep. */
static bool bundle_path_ok(const char *path) {
  int depth = 0;
  if (!path || !*path || strlen(path) >= PATH_MAX_LEN) return false;
  for (const char *p = path; *p;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || p[0] == '.' || ++depth > 3) return false;
    for (size_t i = 0; i < n; i++)
      if (!name_char(p[i])) return false;
    p += n + (slash ? 1 : 0);
    if (slash && !*p) return false;
  }
  return true;
}

/* ---- packing ---------------------------------------------------------------------------- */
typedef struct pack_file {
  char src[PATH_MAX_LEN * 2];   /* on disk */
  char path[PATH_MAX_LEN * 2];  /* in the bundle */
  char sha[RPT_SHA256_HEX];
  uint64_t bytes;
} pack_file;

typedef struct pack_list {
  size_t count, cap;
  pack_file *items;
} pack_list;

static int pack_add(pack_list *l, const char *src, const char *path, char *err,
                    size_t errlen) {
  if (!bundle_path_ok(path))
    return rpt__errf(err, errlen, RPT_EINVAL, "%s: the name '%s' cannot go in a bundle "
                     "(letters, digits, '.', '_', '-' only)", src, path);
  if (l->count == RPT_BUNDLE_MAX_FILES)
    return rpt__errf(err, errlen, RPT_EINVAL, "%s: more than %d files", src,
                     RPT_BUNDLE_MAX_FILES);
  pack_file *items = rpt__grow(l->items, &l->cap, l->count + 1, sizeof *items);
  if (items == NULL) return rpt__errf(err, errlen, RPT_ENOMEM, "out of memory");
  l->items = items;
  pack_file *f = &items[l->count];
  snprintf(f->src, sizeof f->src, "%s", src);
  snprintf(f->path, sizeof f->path, "%s", path);
  int rc = rpt_sha256_file(src, f->sha, &f->bytes, err, errlen);
  if (rc == RPT_OK) l->count++;
  return rc;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Base name of dir without trailing slashes, into buf. */
static void base_name(const char *dir, char *buf, size_t len) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  size_t start = n;
  while (start > 0 && dir[start - 1] != '/') start--;
  snprintf(buf, len, "%.*s", (int)(n - start), dir + start);
}

/* Every regular file of one run folder (sorted, dot files left out). */
static int pack_run(pack_list *l, const char *dir, const char *run, char *err,
                    size_t errlen) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return rpt__errf(err, errlen, errno == ENOENT ? RPT_EINVAL : RPT_EIO, "%s: %s", dir,
                     strerror(errno));
  char *names[RPT_BUNDLE_MAX_FILES];
  size_t n = 0;
  int rc = RPT_OK;
  bool results = false, samples = false;
  for (struct dirent *e; (e = readdir(d)) != NULL && n < RPT_BUNDLE_MAX_FILES;) {
    char src[PATH_MAX_LEN * 2];
    struct stat st;
    snprintf(src, sizeof src, "%s/%s", dir, e->d_name);
    if (e->d_name[0] == '.' || stat(src, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    results |= !strcmp(e->d_name, "results.json");
    samples |= !strcmp(e->d_name, "samples.csv");
    if ((names[n] = strdup(e->d_name)) == NULL) break;
    n++;
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_names);
  if (!results || !samples)
    rc = rpt__errf(err, errlen, RPT_EINVAL, "%s: not a run folder: it has no %s (make one "
                   "with `mlsysbench run --out DIR`)", dir, results ? "samples.csv" : "results.json");
  for (size_t i = 0; i < n && rc == RPT_OK; i++) {
    char src[PATH_MAX_LEN * 2], path[PATH_MAX_LEN * 2];
    snprintf(src, sizeof src, "%s/%s", dir, names[i]);
    snprintf(path, sizeof path, "runs/%s/%s", run, names[i]);
    rc = pack_add(l, src, path, err, errlen);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  return rc;
}

/* Unique run names from the folders' base names. */
static int pack_run_names(const rpt_bundle_pack_opts *o, char (*names)[64], char *err,
                          size_t errlen) {
  for (size_t i = 0; i < o->n_runs; i++) {
    char base[PATH_MAX_LEN];
    base_name(o->run_dirs[i], base, sizeof base);
    if (!rpt_team_name_valid(base) || strlen(base) > 48)
      return rpt__errf(err, errlen, RPT_EINVAL, "%s: the folder name '%s' cannot name a run "
                       "in a bundle (1-48 letters, digits, '.', '_', '-'); rename the folder",
                       o->run_dirs[i], base);
    snprintf(names[i], 64, "%s", base);
    for (int k = 2; ; k++) {
      bool clash = false;
      for (size_t j = 0; j < i; j++) clash |= !strcmp(names[j], names[i]);
      if (!clash) break;
      snprintf(names[i], 64, "%s-%d", base, k);
    }
  }
  return RPT_OK;
}

static json_object *manifest_json(const rpt_bundle_pack_opts *o, char (*names)[64],
                                  const pack_list *l) {
  unsigned char nonce[16];
  char nonce_hex[33], created[32];
  if (RAND_bytes(nonce, sizeof nonce) != 1) return NULL;
  to_hex(nonce, sizeof nonce, nonce_hex);
  rpt__utc_format(created, sizeof created, time(NULL), "%Y-%m-%dT%H:%M:%SZ");
  json_object *m = json_object_new_object(), *runs = json_object_new_array(),
              *files = json_object_new_array();
  if (!m || !runs || !files) {
    json_object_put(m), json_object_put(runs), json_object_put(files);
    return NULL;
  }
  json_object_object_add(m, "schema", json_object_new_string(RPT_BUNDLE_SCHEMA));
  json_object_object_add(m, "schema_version", json_object_new_int(RPT_BUNDLE_SCHEMA_VERSION));
  json_object_object_add(m, "team", json_object_new_string(o->team));
  json_object_object_add(m, "created_utc", json_object_new_string(created));
  json_object_object_add(m, "tool_version",
                         json_object_new_string(o->tool_version ? o->tool_version : "unknown"));
  json_object_object_add(m, "nonce", json_object_new_string(nonce_hex));
  for (size_t i = 0; i < o->n_runs; i++) json_object_array_add(runs, json_object_new_string(names[i]));
  json_object_object_add(m, "runs", runs);
  for (size_t i = 0; i < l->count; i++) {
    json_object *f = json_object_new_object();
    json_object_object_add(f, "path", json_object_new_string(l->items[i].path));
    json_object_object_add(f, "bytes", json_object_new_int64((int64_t)l->items[i].bytes));
    json_object_object_add(f, "sha256", json_object_new_string(l->items[i].sha));
    json_object_array_add(files, f);
  }
  json_object_object_add(m, "files", files);
  return m;
}

static int ar_fail(struct archive *a, const char *what, char *err, size_t errlen) {
  return rpt__errf(err, errlen, RPT_EIO, "%s: %s", what, archive_error_string(a));
}

static int write_entry_header(struct archive *a, const char *path, uint64_t size,
                              time_t mtime, char *err, size_t errlen) {
  struct archive_entry *e = archive_entry_new();
  if (e == NULL) return rpt__errf(err, errlen, RPT_ENOMEM, "out of memory");
  archive_entry_set_pathname(e, path);
  archive_entry_set_size(e, (la_int64_t)size);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_mtime(e, mtime, 0);
  int rc = archive_write_header(a, e) == ARCHIVE_OK ? RPT_OK : ar_fail(a, path, err, errlen);
  archive_entry_free(e);
  return rc;
}

static int write_mem(struct archive *a, const char *path, const void *data, size_t n,
                     time_t mtime, char *err, size_t errlen) {
  int rc = write_entry_header(a, path, n, mtime, err, errlen);
  if (rc == RPT_OK && n && archive_write_data(a, data, n) != (la_ssize_t)n)
    rc = ar_fail(a, path, err, errlen);
  return rc;
}

/* Stream one file in; it must still have the size (and so the bytes) it was hashed with. */
static int write_disk(struct archive *a, const pack_file *f, time_t mtime, char *err,
                      size_t errlen) {
  int rc = write_entry_header(a, f->path, f->bytes, mtime, err, errlen);
  if (rc) return rc;
  FILE *in = rpt__fopen(f->src, "rb", err, errlen);
  if (in == NULL) return RPT_EIO;
  unsigned char buf[65536];
  uint64_t total = 0;
  for (size_t got; rc == RPT_OK && (got = fread(buf, 1, sizeof buf, in)) > 0; total += got)
    if (total + got > f->bytes || archive_write_data(a, buf, got) != (la_ssize_t)got)
      rc = total + got > f->bytes
               ? rpt__errf(err, errlen, RPT_EIO, "%s: changed while it was packed", f->src)
               : ar_fail(a, f->path, err, errlen);
  if (rc == RPT_OK && total != f->bytes)
    rc = rpt__errf(err, errlen, RPT_EIO, "%s: changed while it was packed", f->src);
  fclose(in);
  return rc;
}

static int pack_write(const rpt_bundle_pack_opts *o, const char *tmp, const char *manifest,
                      const pack_list *l, char *err, size_t errlen) {
  struct archive *a = archive_write_new();
  if (a == NULL) return rpt__errf(err, errlen, RPT_ENOMEM, "out of memory");
  int rc = RPT_OK;
  char sig_hex[RPT_SHA256_HEX], sig[sizeof SIG_PREFIX + RPT_SHA256_HEX + 1];
  time_t now = time(NULL);
  if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
      archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
    rc = ar_fail(a, tmp, err, errlen);
    goto done;
  }
  if ((rc = rpt_hmac_sha256_hex(o->token, manifest, strlen(manifest), sig_hex))) {
    rpt__errf(err, errlen, rc, "cannot sign the manifest");
    goto done;
  }
  snprintf(sig, sizeof sig, "%s%s\n", SIG_PREFIX, sig_hex);
  if ((rc = write_mem(a, MANIFEST, manifest, strlen(manifest), now, err, errlen)) ||
      (rc = write_mem(a, SIGNATURE, sig, strlen(sig), now, err, errlen)) ||
      (rc = write_mem(a, SYSTEM, o->system_json, strlen(o->system_json), now, err, errlen)))
    goto done;
  for (size_t i = 0; i < l->count && rc == RPT_OK; i++)
    if (strcmp(l->items[i].path, SYSTEM)) rc = write_disk(a, &l->items[i], now, err, errlen);
  if (rc == RPT_OK && archive_write_close(a) != ARCHIVE_OK) rc = ar_fail(a, tmp, err, errlen);
done:
  archive_write_free(a);
  return rc;
}

static int pack_check_opts(const rpt_bundle_pack_opts *o, char *err, size_t errlen) {
  if (o == NULL || o->out_path == NULL || o->system_json == NULL)
    return rpt__errf(err, errlen, RPT_EINVAL, "no options, output or system description");
  if (!rpt_team_name_valid(o->team))
    return rpt__errf(err, errlen, RPT_EINVAL, "team '%s': want 1-63 letters, digits, '.', "
                     "'_' or '-', starting with a letter or digit", o->team ? o->team : "");
  if (o->token == NULL || o->token[0] == '\0')
    return rpt__errf(err, errlen, RPT_EINVAL, "no token: give --token-file FILE or set "
                     "MLSB_TEAM_TOKEN (from `mlsysbench leaderboard add-team`)");
  if (o->n_runs == 0 || o->n_runs > RPT_BUNDLE_MAX_RUNS)
    return rpt__errf(err, errlen, RPT_EINVAL, "%zu run folders: want 1..%d", o->n_runs,
                     RPT_BUNDLE_MAX_RUNS);
  return RPT_OK;
}

int rpt_bundle_pack(const rpt_bundle_pack_opts *o, char manifest_sha256[RPT_SHA256_HEX],
                    char *err, size_t errlen) {
  int rc = pack_check_opts(o, err, errlen);
  if (rc) return rc;
  char names[RPT_BUNDLE_MAX_RUNS][64], tmp[PATH_MAX_LEN * 2];
  pack_list l = {0};
  json_object *m = NULL;
  if ((rc = pack_run_names(o, names, err, errlen))) return rc;
  /* system.json is listed from memory; the run folders' files from disk */
  pack_file *sys = rpt__grow(NULL, &l.cap, 1, sizeof *sys);
  if (sys == NULL) return rpt__errf(err, errlen, RPT_ENOMEM, "out of memory");
  l.items = sys, l.count = 1;
  snprintf(sys->path, sizeof sys->path, SYSTEM);
  sys->bytes = strlen(o->system_json);
  rpt_sha256_hex(o->system_json, sys->bytes, sys->sha);
  for (size_t i = 0; i < o->n_runs && rc == RPT_OK; i++)
    rc = pack_run(&l, o->run_dirs[i], names[i], err, errlen);
  if (rc) goto done;
  if ((m = manifest_json(o, names, &l)) == NULL) {
    rc = rpt__errf(err, errlen, RPT_ENOMEM, "out of memory (manifest)");
    goto done;
  }
  const char *text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE);
  snprintf(tmp, sizeof tmp, "%s.tmp-%ld", o->out_path, (long)getpid());
  rc = pack_write(o, tmp, text, &l, err, errlen);
  if (rc == RPT_OK && rename(tmp, o->out_path) != 0)
    rc = rpt__errf(err, errlen, RPT_EIO, "%s: cannot rename into place: %s", o->out_path,
                   strerror(errno));
  if (rc) unlink(tmp);
  if (rc == RPT_OK && manifest_sha256) rpt_sha256_hex(text, strlen(text), manifest_sha256);
done:
  json_object_put(m);
  free(l.items);
  return rc;
}

/* ---- reading ----------------------------------------------------------------------------- */
void rpt_bundle_destroy(rpt_bundle *b) {
  if (b == NULL) return;
  free(b->team), free(b->created_utc), free(b->tool_version);
  for (size_t i = 0; i < b->n_runs; i++) free(b->runs[i]);
  for (size_t i = 0; i < b->n_files; i++) free(b->files[i].path), free(b->files[i].data);
  free(b->files), free(b->manifest), free(b->signature);
  memset(b, 0, sizeof *b);
}

const rpt_bundle_file *rpt_bundle_find(const rpt_bundle *b, const char *path) {
  for (size_t i = 0; i < b->n_files; i++)
    if (!strcmp(b->files[i].path, path)) return &b->files[i];
  return NULL;
}

/* The entry's data, NUL-terminated; NULL with a problem when it cannot be read. */
static unsigned char *read_entry(struct archive *a, const char *path, size_t size,
                                 rpt_problems *p) {
  unsigned char *buf = malloc(size + 1);
  if (buf == NULL) {
    p->oom = true;
    return NULL;
  }
  size_t got = 0;
  while (got < size) {
    la_ssize_t n = archive_read_data(a, buf + got, size - got);
    if (n <= 0) {
      rpt_problems_add(p, RPT_PROBLEM_MALFORMED, path, NULL, NULL, "truncated or corrupt "
                       "archive after %zu of %zu bytes: %s", got, size,
                       n < 0 ? archive_error_string(a) : "unexpected end of data");
      free(buf);
      return NULL;
    }
    got += (size_t)n;
  }
  buf[size] = '\0';
  return buf;
}

/* Add one archive entry to b (manifest and signature kept apart). false: stop. */
static bool take_entry(rpt_bundle *b, struct archive *a, struct archive_entry *e,
                       uint64_t *total, size_t *cap, rpt_problems *p) {
  const char *path = archive_entry_pathname(e);
  la_int64_t size = archive_entry_size(e);
  if (path && archive_entry_filetype(e) == AE_IFDIR) { /* tar(1) lists folders: skip them */
    char dir[PATH_MAX_LEN];
    size_t n = strlen(path);
    snprintf(dir, sizeof dir, "%.*s", (int)(n && path[n - 1] == '/' ? n - 1 : n), path);
    if (bundle_path_ok(dir)) return true;
  }
  if (path == NULL || !bundle_path_ok(path) || archive_entry_filetype(e) != AE_IFREG) {
    rpt_problems_add(p, RPT_PROBLEM_MALFORMED, path ? path : "bundle", NULL, NULL,
                     "not allowed in a bundle (regular files with plain relative names only)");
    return false;
  }
  if (size < 0 || (*total += (uint64_t)size) > RPT_BUNDLE_MAX_BYTES ||
      b->n_files >= RPT_BUNDLE_MAX_FILES) {
    rpt_problems_add(p, RPT_PROBLEM_MALFORMED, path, NULL, NULL, "the bundle unpacks to "
                     "more than %llu bytes or %d files", (unsigned long long)RPT_BUNDLE_MAX_BYTES,
                     RPT_BUNDLE_MAX_FILES);
    return false;
  }
  if ((!strcmp(path, MANIFEST) && b->manifest) || rpt_bundle_find(b, path)) {
    rpt_problems_add(p, RPT_PROBLEM_MALFORMED, path, NULL, NULL, "appears twice in the archive");
    return false;
  }
  unsigned char *data = read_entry(a, path, (size_t)size, p);
  if (data == NULL) return false;
  if (!strcmp(path, MANIFEST)) {
    b->manifest = data, b->manifest_size = (size_t)size;
    return true;
  }
  rpt_bundle_file *files = rpt__grow(b->files, cap, b->n_files + 1, sizeof *files);
  char *copy = strdup(path);
  if (files == NULL || copy == NULL) {
    free(data), free(copy);
    p->oom = true;
    return false;
  }
  b->files = files;
  files[b->n_files++] = (rpt_bundle_file){copy, data, (size_t)size};
  return true;
}

static int read_archive(const void *data, size_t size, rpt_bundle *b, rpt_problems *p) {
  struct archive *a = archive_read_new();
  if (a == NULL) return RPT_ENOMEM;
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  int rc = RPT_OK, r;
  uint64_t total = 0;
  size_t cap = 0;
  struct archive_entry *e;
  if (archive_read_open_memory(a, data, size) != ARCHIVE_OK) {
    rpt_problems_add(p, RPT_PROBLEM_MALFORMED, NULL, NULL, NULL, "not a bundle (a gzip-"
                     "compressed tar archive): %s", archive_error_string(a));
    rc = RPT_EFORMAT;
    goto done;
  }
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
    if (!take_entry(b, a, e, &total, &cap, p)) {
      rc = p->oom ? RPT_ENOMEM : RPT_EFORMAT;
      goto done;
    }
  if (r != ARCHIVE_EOF) {
    rpt_problems_add(p, RPT_PROBLEM_MALFORMED, NULL, NULL, NULL, "truncated or corrupt "
                     "archive after %zu files: %s", b->n_files + (b->manifest != NULL),
                     archive_error_string(a));
    rc = RPT_EFORMAT;
  }
done:
  archive_read_free(a);
  return rc;
}

static const char *get_str(json_object *m, const char *key) {
  json_object *v;
  return json_object_object_get_ex(m, key, &v) && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v) : NULL;
}

static int set_copy(char **slot, const char *s, rpt_problems *p) {
  if (s && (*slot = strdup(s)) == NULL) p->oom = true;
  return p->oom ? RPT_ENOMEM : RPT_OK;
}

/* schema, version, team, runs */
static int parse_manifest_head(rpt_bundle *b, json_object *m, rpt_problems *p) {
  const char *schema = get_str(m, "schema"), *team = get_str(m, "team");
  json_object *v, *runs;
  if (schema == NULL || strcmp(schema, RPT_BUNDLE_SCHEMA)) {
    rpt_problems_add(p, RPT_PROBLEM_SCHEMA, MANIFEST, "schema", schema, "want \"%s\"",
                     RPT_BUNDLE_SCHEMA);
    return RPT_EFORMAT;
  }
  int64_t version = json_object_object_get_ex(m, "schema_version", &v) &&
                    json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
  b->schema_version = (int)version;
  if (version != RPT_BUNDLE_SCHEMA_VERSION) {
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)version);
    rpt_problems_add(p, RPT_PROBLEM_SCHEMA, MANIFEST, "schema_version", text, "this checker "
                     "reads version %d; pack the bundle again with this mlsysbench",
                     RPT_BUNDLE_SCHEMA_VERSION);
    return RPT_EFORMAT;
  }
  if (!rpt_team_name_valid(team)) {
    rpt_problems_add(p, RPT_PROBLEM_MALFORMED, MANIFEST, "team", team, "not a valid team name");
    return RPT_EFORMAT;
  }
  if (!json_object_object_get_ex(m, "runs", &runs) || !json_object_is_type(runs, json_type_array) ||
      json_object_array_length(runs) == 0 || json_object_array_length(runs) > RPT_BUNDLE_MAX_RUNS) {
    rpt_problems_add(p, RPT_PROBLEM_MALFORMED, MANIFEST, "runs", NULL, "want a list of 1..%d "
                     "run names", RPT_BUNDLE_MAX_RUNS);
    return RPT_EFORMAT;
  }
  for (size_t i = 0; i < json_object_array_length(runs); i++) {
    const char *name = json_object_get_string(json_object_array_get_idx(runs, i));
    if (!rpt_team_name_valid(name)) {
      rpt_problems_add(p, RPT_PROBLEM_MALFORMED, MANIFEST, "runs", name, "not a valid run name");
      return RPT_EFORMAT;
    }
    if (set_copy(&b->runs[b->n_runs++], name, p)) return RPT_ENOMEM;
  }
  if (set_copy(&b->team, team, p) || set_copy(&b->created_utc, get_str(m, "created_utc"), p) ||
      set_copy(&b->tool_version, get_str(m, "tool_version"), p))
    return RPT_ENOMEM;
  return RPT_OK;
}

/* One manifest entry against the archive; *seen marks the files listed. */
static void check_listed(const rpt_bundle *b, json_object *f, size_t idx, bool *seen,
                         rpt_problems *p) {
  const char *path = get_str(f, "path"), *sha = get_str(f, "sha256");
  json_object *v;
  int64_t bytes = json_object_object_get_ex(f, "bytes", &v) ? json_object_get_int64(v) : -1;
  char key[64], hex[RPT_SHA256_HEX], text[32];
  snprintf(key, sizeof key, "files[%zu]", idx);
  if (path == NULL || sha == NULL || bytes < 0) {
    rpt_problems_add(p, RPT_PROBLEM_MALFORMED, MANIFEST, key, NULL, "want path, bytes and sha256");
    return;
  }
  const rpt_bundle_file *file = rpt_bundle_find(b, path);
  if (file == NULL) {
    rpt_problems_add(p, RPT_PROBLEM_TAMPERED, path, NULL, NULL, "listed in the manifest but "
                     "missing from the archive");
    return;
  }
  seen[file - b->files] = true;
  if ((uint64_t)bytes != file->size) {
    snprintf(text, sizeof text, "%zu", file->size);
    rpt_problems_add(p, RPT_PROBLEM_TAMPERED, path, "bytes", text, "the manifest says %lld "
                     "bytes: the file was changed after packing", (long long)bytes);
  }
  rpt_sha256_hex(file->data, file->size, hex);
  if (strcmp(hex, sha))
    rpt_problems_add(p, RPT_PROBLEM_TAMPERED, path, "sha256", hex, "the manifest says %.64s: "
                     "the file was changed after packing", sha);
}

static int check_files(const rpt_bundle *b, json_object *m, rpt_problems *p) {
  json_object *files;
  if (!json_object_object_get_ex(m, "files", &files) ||
      !json_object_is_type(files, json_type_array)) {
    rpt_problems_add(p, RPT_PROBLEM_MALFORMED, MANIFEST, "files", NULL, "want a list of files");
    return RPT_EFORMAT;
  }
  bool *seen = calloc(b->n_files + 1, sizeof *seen);
  if (seen == NULL) return RPT_ENOMEM;
  for (size_t i = 0; i < json_object_array_length(files); i++)
    check_listed(b, json_object_array_get_idx(files, i), i, seen, p);
  for (size_t i = 0; i < b->n_files; i++)
    if (!seen[i] && strcmp(b->files[i].path, SIGNATURE))
      rpt_problems_add(p, RPT_PROBLEM_TAMPERED, b->files[i].path, NULL, NULL,
                       "in the archive but not in the manifest: added after packing");
  free(seen);
  return RPT_OK;
}

static int parse_signature(rpt_bundle *b, rpt_problems *p) {
  const rpt_bundle_file *s = rpt_bundle_find(b, SIGNATURE);
  if (s == NULL) return RPT_OK; /* reported by rpt_bundle_verify_signature */
  size_t n = strlen(SIG_PREFIX);
  if (s->size < n + 64 || strncmp((const char *)s->data, SIG_PREFIX, n)) {
    rpt_problems_add(p, RPT_PROBLEM_SIGNATURE, SIGNATURE, NULL, NULL, "want \"%s<64 hex "
                     "digits>\"", SIG_PREFIX);
    return RPT_OK;
  }
  if ((b->signature = strndup((const char *)s->data + n, 64)) == NULL) return RPT_ENOMEM;
  return RPT_OK;
}

int rpt_bundle_read_mem(const void *data, size_t size, rpt_bundle *b,
                        rpt_problems *problems) {
  memset(b, 0, sizeof *b);
  int rc = read_archive(data, size, b, problems);
  if (rc) return rc;
  if (b->manifest == NULL) {
    rpt_problems_add(problems, RPT_PROBLEM_MALFORMED, MANIFEST, NULL, NULL, "missing: not a "
                     "bundle made by `mlsysbench submit pack`");
    return RPT_EFORMAT;
  }
  rpt_sha256_hex(b->manifest, b->manifest_size, b->manifest_sha256);
  json_tokener *tok = json_tokener_new();
  if (tok == NULL) return RPT_ENOMEM;
  json_object *m = json_tokener_parse_ex(tok, (const char *)b->manifest, (int)b->manifest_size);
  if (m == NULL || !json_object_is_type(m, json_type_object)) {
    rpt_problems_add(problems, RPT_PROBLEM_MALFORMED, MANIFEST, NULL, NULL, "not a JSON "
                     "object: %s", json_tokener_error_desc(json_tokener_get_error(tok)));
    rc = RPT_EFORMAT;
  }
  if (rc == RPT_OK) rc = parse_manifest_head(b, m, problems);
  if (rc == RPT_OK) rc = check_files(b, m, problems);
  if (rc == RPT_OK) rc = parse_signature(b, problems);
  json_object_put(m);
  json_tokener_free(tok);
  return problems->oom && rc == RPT_OK ? RPT_ENOMEM : rc;
}

int rpt_bundle_read_file(const char *path, rpt_bundle *b, rpt_problems *problems) {
  memset(b, 0, sizeof *b);
  char err[600];
  FILE *f = rpt__fopen(path, "rb", err, sizeof err);
  if (f == NULL) {
    rpt_problems_add(problems, RPT_PROBLEM_MALFORMED, path, NULL, NULL, "%s", err);
    return RPT_EIO;
  }
  size_t cap = 1 << 20, n = 0, got;
  unsigned char *buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      unsigned char *nb = cap < RPT_BUNDLE_MAX_BYTES ? realloc(buf, cap *= 2) : NULL;
      if (nb == NULL) free(buf);
      buf = nb;
    }
  }
  bool bad = buf == NULL || ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    rpt_problems_add(problems, RPT_PROBLEM_MALFORMED, path, NULL, NULL, "cannot read it whole "
                     "(larger than %llu bytes, or a read error)",
                     (unsigned long long)RPT_BUNDLE_MAX_BYTES);
    return RPT_EIO;
  }
  int rc = rpt_bundle_read_mem(buf, n, b, problems);
  free(buf);
  return rc;
}

bool rpt_bundle_verify_signature(const rpt_bundle *b, const char *token,
                                 const char *token_of, rpt_problems *problems) {
  char hex[RPT_SHA256_HEX];
  if (b->signature == NULL) {
    rpt_problems_add(problems, RPT_PROBLEM_SIGNATURE, SIGNATURE, NULL, NULL,
                     "missing or unreadable: the bundle is not signed");
    return false;
  }
  if (rpt_hmac_sha256_hex(token, b->manifest, b->manifest_size, hex) != RPT_OK) {
    rpt_problems_add(problems, RPT_PROBLEM_SIGNATURE, SIGNATURE, NULL, NULL,
                     "no token to verify it with");
    return false;
  }
  if (strlen(b->signature) == 64 && CRYPTO_memcmp(hex, b->signature, 64) == 0) return true;
  rpt_problems_add(problems, RPT_PROBLEM_SIGNATURE, SIGNATURE, NULL, b->signature,
                   "does not verify with the token given (%s): the bundle names team '%s', "
                   "so it must be signed and checked with the token of team '%s'; it was "
                   "signed (re-signed) with another token, or the manifest was changed after "
                   "signing", token_of ? token_of : "whose team is not known",
                   b->team ? b->team : "?", b->team ? b->team : "?");
  return false;
}

int rpt_bundle_extract(const rpt_bundle *b, const char *dir, char *err, size_t errlen) {
  for (size_t i = 0; i < b->n_files; i++) {
    char path[PATH_MAX_LEN * 3];
    snprintf(path, sizeof path, "%s/%s", dir, b->files[i].path);
    for (char *s = path + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
      *s = '\0';
      if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return rpt__errf(err, errlen, RPT_EIO, "%s: %s", path, strerror(errno));
      *s = '/';
    }
    FILE *f = rpt__fopen(path, "wb", err, errlen);
    if (f == NULL) return RPT_EIO;
    bool ok = fwrite(b->files[i].data, 1, b->files[i].size, f) == b->files[i].size;
    int rc = rpt__fclose(f, ok, path, err, errlen);
    if (rc) return rc;
  }
  return RPT_OK;
}
