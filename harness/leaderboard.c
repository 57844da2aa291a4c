/*
 * harness/leaderboard.c - the leaderboard's SQLite store (teams, submissions, entries),
 * its pages (self-contained HTML with a sortable table per workload and scenario, JSON,
 * CSV), and `mlsysbench leaderboard add-team|serve`. See harness/leaderboard.h.
 */
#include "harness/leaderboard.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <csv.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "harness/harness.h"

struct mb_lb {
  sqlite3 *db;
  char path[512];
};

const char *mb_lb_strerror(int status) {
#define MB_LB_TEXT_(name, value, text) if (status == (value)) return text;
  MB_LB_STATUS_MAP(MB_LB_TEXT_)
#undef MB_LB_TEXT_
  return "unknown status";
}

static const char mb_lb_schema[] =
    "CREATE TABLE IF NOT EXISTS teams("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, salt TEXT NOT NULL,"
    " token_sha256 TEXT NOT NULL, created_utc TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS submissions("
    " id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams(id),"
    " manifest_sha256 TEXT NOT NULL UNIQUE, received_utc TEXT NOT NULL,"
    " bytes INTEGER NOT NULL, bundle BLOB NOT NULL, verdict TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS entries("
    " id INTEGER PRIMARY KEY, submission_id INTEGER NOT NULL REFERENCES submissions(id),"
    " run TEXT, workload TEXT, scenario TEXT, mode TEXT, sut TEXT, hardware TEXT,"
    " hardware_profile TEXT, metric_name TEXT, unit TEXT, metric REAL, validity TEXT,"
    " reasons TEXT);"
    "PRAGMA user_version = 1;";

static int mb_lb_fail(mb_lb *lb, char *err, size_t errlen, const char *what) {
  if (err) snprintf(err, errlen, "%s: %s: %s", lb->path, what, sqlite3_errmsg(lb->db));
  return MB_LB_EDB;
}

int mb_lb_open(const char *path, mb_lb **out, char *err, size_t errlen) {
  *out = NULL;
  mb_lb *lb = calloc(1, sizeof *lb);
  if (lb == NULL) return MB_LB_ENOMEM;
  snprintf(lb->path, sizeof lb->path, "%s", path);
  int rc = sqlite3_open_v2(path, &lb->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                              SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(lb->db, 10000);
    rc = sqlite3_exec(lb->db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", NULL, NULL, NULL);
  }
  if (rc == SQLITE_OK) rc = sqlite3_exec(lb->db, mb_lb_schema, NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    rc = mb_lb_fail(lb, err, errlen, "cannot open the leaderboard database");
    mb_lb_close(lb);
    return rc;
  }
  *out = lb;
  return MB_LB_OK;
}

void mb_lb_close(mb_lb *lb) {
  if (lb == NULL) return;
  sqlite3_close(lb->db);
  free(lb);
}

static void mb_utc_now(char *buf, size_t len) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void mb_hex(const unsigned char *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

/* SHA-256 hex of salt || token. */
static void mb_token_hash(const char *salt, const char *token, char hex[RPT_SHA256_HEX]) {
  char buf[256];
  int n = snprintf(buf, sizeof buf, "%s%s", salt, token);
  rpt_sha256_hex(buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, hex);
  OPENSSL_cleanse(buf, sizeof buf);
}

int mb_lb_add_team(mb_lb *lb, const char *name, char *token, size_t len, char *err,
                   size_t errlen) {
  unsigned char raw[32], salt_raw[16];
  char salt[33], hash[RPT_SHA256_HEX], now[32];
  if (!rpt_team_name_valid(name) || len < MB_LB_TOKEN_CHARS + 1) {
    snprintf(err, errlen, "team '%s': want 1-63 letters, digits, '.', '_' or '-', starting "
             "with a letter or digit", name ? name : "");
    return MB_LB_EINVAL;
  }
  if (RAND_bytes(raw, sizeof raw) != 1 || RAND_bytes(salt_raw, sizeof salt_raw) != 1) {
    snprintf(err, errlen, "no random bytes for a token (OpenSSL RAND_bytes failed)");
    return MB_LB_EDB;
  }
  memcpy(token, "mlsb_", 5);
  mb_hex(raw, sizeof raw, token + 5);
  mb_hex(salt_raw, sizeof salt_raw, salt);
  mb_token_hash(salt, token, hash);
  mb_utc_now(now, sizeof now);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(lb->db, "INSERT INTO teams(name, salt, token_sha256, created_utc)"
                              " VALUES(?, ?, ?, ?)", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, salt, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return MB_LB_OK;
  OPENSSL_cleanse(token, len);
  if (rc == SQLITE_CONSTRAINT) {
    snprintf(err, errlen, "team '%s' already exists in %s", name, lb->path);
    return MB_LB_EEXIST;
  }
  return mb_lb_fail(lb, err, errlen, "cannot add the team");
}

int mb_lb_team_of_token(mb_lb *lb, const char *token, long long *team_id, char *name,
                        size_t len) {
  sqlite3_stmt *st = NULL;
  int found = MB_LB_ENOTFOUND;
  if (token == NULL || !*token || strlen(token) > 128) return MB_LB_ENOTFOUND;
  if (sqlite3_prepare_v2(lb->db, "SELECT id, name, salt, token_sha256 FROM teams", -1, &st,
                         NULL) != SQLITE_OK)
    return MB_LB_EDB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    char hash[RPT_SHA256_HEX];
    const char *salt = (const char *)sqlite3_column_text(st, 2);
    const char *want = (const char *)sqlite3_column_text(st, 3);
    mb_token_hash(salt ? salt : "", token, hash);
    if (want && strlen(want) == 64 && CRYPTO_memcmp(hash, want, 64) == 0 && found) {
      *team_id = sqlite3_column_int64(st, 0);
      snprintf(name, len, "%s", (const char *)sqlite3_column_text(st, 1));
      found = MB_LB_OK; /* keep going: the time does not depend on which team matched */
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? found : MB_LB_EDB;
}

bool mb_lb_has_submission(mb_lb *lb, const char *manifest_sha256) {
  sqlite3_stmt *st = NULL;
  bool has = false;
  if (sqlite3_prepare_v2(lb->db, "SELECT 1 FROM submissions WHERE manifest_sha256 = ?", -1,
                         &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, manifest_sha256, -1, SQLITE_STATIC);
    has = sqlite3_step(st) == SQLITE_ROW;
  }
  sqlite3_finalize(st);
  return has;
}

static int mb_lb_insert_entry(mb_lb *lb, sqlite3_stmt *st, long long sub, const mb_entry *e) {
  const char *text[] = {e->run, e->workload, e->scenario, e->mode, e->sut, e->hardware,
                        e->hardware_profile, e->metric_name, e->unit};
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, sub);
  for (int i = 0; i < 9; i++) sqlite3_bind_text(st, 2 + i, text[i], -1, SQLITE_STATIC);
  if (isfinite(e->metric)) sqlite3_bind_double(st, 11, e->metric);
  else sqlite3_bind_null(st, 11);
  sqlite3_bind_text(st, 12, e->validity, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 13, e->reasons, -1, SQLITE_STATIC);
  (void)lb;
  return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
}

int mb_lb_store(mb_lb *lb, long long team_id, const mb_verdict *v, const void *bundle,
                size_t size, const char *verdict_json, long long *submission_id, char *err,
                size_t errlen) {
  sqlite3_stmt *sub = NULL, *ent = NULL;
  char now[32];
  mb_utc_now(now, sizeof now);
  if (sqlite3_exec(lb->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return mb_lb_fail(lb, err, errlen, "cannot begin a transaction");
  int rc = sqlite3_prepare_v2(lb->db, "INSERT INTO submissions(team_id, manifest_sha256,"
                              " received_utc, bytes, bundle, verdict) VALUES(?,?,?,?,?,?)",
                              -1, &sub, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(sub, 1, team_id);
    sqlite3_bind_text(sub, 2, v->bundle.manifest_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(sub, 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(sub, 4, (sqlite3_int64)size);
    sqlite3_bind_blob64(sub, 5, bundle, size, SQLITE_STATIC);
    sqlite3_bind_text(sub, 6, verdict_json, -1, SQLITE_STATIC);
    rc = sqlite3_step(sub);
  }
  bool replay = rc == SQLITE_CONSTRAINT;
  if (rc == SQLITE_DONE) {
    *submission_id = sqlite3_last_insert_rowid(lb->db);
    rc = sqlite3_prepare_v2(lb->db, "INSERT INTO entries(submission_id, run, workload, scenario,"
                            " mode, sut, hardware, hardware_profile, metric_name, unit, metric,"
                            " validity, reasons) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &ent, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < v->n_entries; i++)
      rc = mb_lb_insert_entry(lb, ent, *submission_id, &v->entries[i]);
  }
  if (rc == SQLITE_OK && sqlite3_exec(lb->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) rc = MB_LB_OK;
  else if (replay) rc = MB_LB_EEXIST;
  else rc = mb_lb_fail(lb, err, errlen, "cannot store the submission");
  sqlite3_finalize(sub);
  sqlite3_finalize(ent);
  if (rc != MB_LB_OK) sqlite3_exec(lb->db, "ROLLBACK", NULL, NULL, NULL);
  if (rc == MB_LB_EEXIST) snprintf(err, errlen, "this bundle (manifest sha256 %s) was already "
                                   "submitted", v->bundle.manifest_sha256);
  return rc;
}

/* ---- reading the board ---------------------------------------------------------------- */
enum { C_SUB, C_TEAM, C_RECEIVED, C_SHA, C_RUN, C_WORKLOAD, C_SCENARIO, C_MODE, C_SUT, C_HW,
       C_PROFILE, C_METRIC_NAME, C_UNIT, C_METRIC, C_VALIDITY, C_REASONS, C_COUNT };
static const char *const mb_lb_cols[C_COUNT] = {
    "submission_id", "team", "received_utc", "manifest_sha256", "run", "workload", "scenario",
    "mode", "sut", "hardware", "hardware_profile", "metric_name", "unit", "metric", "validity",
    "reasons"};

typedef struct mb_row {
  const char *text[C_COUNT];     /* every column as text ("" when null) */
  long long submission_id;
  double metric;                 /* NaN when null */
  long long rank;                /* by the metric within its table, ties share; 0: none */
} mb_row;

typedef void (*mb_row_fn)(void *ctx, const mb_row *row, bool first_of_group);

/* Every entry, grouped by workload, scenario and mode (one table each), ranked rows
 * first in rank order, then the rest oldest first. Ranked are VALID runs and accuracy
 * runs with a figure: RANK() by the metric (lower is better for ns, else higher), so
 * equal metrics share a rank. */
static int mb_lb_each(mb_lb *lb, mb_row_fn fn, void *ctx) {
  sqlite3_stmt *st = NULL;
  const char *sql =
      "SELECT s.id, t.name, s.received_utc, s.manifest_sha256, e.run, e.workload, e.scenario,"
      " e.mode, e.sut, e.hardware, e.hardware_profile, e.metric_name, e.unit, e.metric,"
      " e.validity, e.reasons, CASE WHEN e.ok THEN RANK() OVER (PARTITION BY e.workload,"
      " e.scenario, e.mode, e.ok ORDER BY CASE WHEN e.unit = 'ns' THEN e.metric ELSE -e.metric"
      " END) END AS lb_rank FROM (SELECT *, metric IS NOT NULL AND validity IN ('VALID',"
      " 'accuracy') AS ok FROM entries) e JOIN submissions s ON e.submission_id = s.id"
      " JOIN teams t ON s.team_id = t.id"
      " ORDER BY e.workload, e.scenario, e.mode, e.ok DESC, lb_rank, s.id, e.id";
  if (sqlite3_prepare_v2(lb->db, sql, -1, &st, NULL) != SQLITE_OK) return MB_LB_EDB;
  int rc;
  char last[160] = "";
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    mb_row row;
    for (int i = 0; i < C_COUNT; i++) {
      const char *t = (const char *)sqlite3_column_text(st, i);
      row.text[i] = t ? t : "";
    }
    row.submission_id = sqlite3_column_int64(st, C_SUB);
    row.metric = sqlite3_column_type(st, C_METRIC) == SQLITE_NULL ? NAN
                                                                 : sqlite3_column_double(st, C_METRIC);
    row.rank = sqlite3_column_int64(st, C_COUNT); /* NULL reads as 0 */
    char group[160];
    snprintf(group, sizeof group, "%s\n%s\n%s", row.text[C_WORKLOAD], row.text[C_SCENARIO],
             row.text[C_MODE]);
    fn(ctx, &row, strcmp(group, last) != 0);
    snprintf(last, sizeof last, "%s", group);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? MB_LB_OK : MB_LB_EDB;
}

/* JSON */
static void mb_json_row(void *ctx, const mb_row *row, bool first) {
  (void)first;
  json_object *o = json_object_new_object();
  for (int i = 0; i < C_COUNT; i++) {
    json_object *v = i == C_SUB      ? json_object_new_int64(row->submission_id)
                     : i == C_METRIC ? (isfinite(row->metric) ? json_object_new_double(row->metric) : NULL)
                                     : json_object_new_string(row->text[i]);
    json_object_object_add(o, mb_lb_cols[i], v);
  }
  json_object_array_add(ctx, o);
}

int mb_lb_write_json(mb_lb *lb, FILE *f) {
  json_object *doc = json_object_new_object(), *entries = json_object_new_array();
  char now[32];
  mb_utc_now(now, sizeof now);
  int rc = doc && entries ? mb_lb_each(lb, mb_json_row, entries) : MB_LB_ENOMEM;
  if (rc == MB_LB_OK) {
    json_object_object_add(doc, "schema", json_object_new_string("mlsysbench.leaderboard"));
    json_object_object_add(doc, "schema_version", json_object_new_int(MB_LB_SCHEMA_VERSION));
    json_object_object_add(doc, "generated_utc", json_object_new_string(now));
    json_object_object_add(doc, "entries", json_object_get(entries));
    fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), f);
    fputc('\n', f);
  }
  json_object_put(entries);
  json_object_put(doc);
  return rc;
}

/* CSV (libcsv quoting) */
static void mb_csv_row(void *ctx, const mb_row *row, bool first) {
  FILE *f = ctx;
  (void)first;
  for (int i = 0; i < C_COUNT; i++) {
    if (i) fputc(',', f);
    if (i == C_SUB) fprintf(f, "%lld", row->submission_id);
    else if (i == C_METRIC) { if (isfinite(row->metric)) fprintf(f, "%.17g", row->metric); }
    else csv_fwrite(f, row->text[i], strlen(row->text[i]));
  }
  fputc('\n', f);
}

int mb_lb_write_csv(mb_lb *lb, FILE *f) {
  for (int i = 0; i < C_COUNT; i++) fprintf(f, "%s%s", i ? "," : "", mb_lb_cols[i]);
  fputc('\n', f);
  return mb_lb_each(lb, mb_csv_row, f);
}

/* HTML */
static void mb_html_text(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
      case '<': fputs("&lt;", f); break;
      case '>': fputs("&gt;", f); break;
      case '&': fputs("&amp;", f); break;
      case '"': fputs("&quot;", f); break;
      case '\'': fputs("&#39;", f); break;
      default: fputc(*s, f);
    }
  }
}

static const char mb_lb_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
    "<title>mlsysbench leaderboard</title>\n<style>\n"
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\n"
    "table{border-collapse:collapse;margin:0 0 2em}th,td{padding:4px 8px;border-bottom:1px solid #ddd;white-space:nowrap;"
    "text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "th{cursor:pointer;background:#f3f3f3;user-select:none}th[aria-sort=ascending]::after{content:' \\25B2'}"
    "th[aria-sort=descending]::after{content:' \\25BC'}\n"
    ".VALID{color:#06623b;font-weight:600}.INVALID{color:#a31515;font-weight:600}"
    ".accuracy{color:#555}tr.invalid td{color:#777}\n"
    "</style></head><body>\n<h1>mlsysbench leaderboard</h1>\n";

/* Sort a table by a column: numbers by data-v, text otherwise; ranked rows first when
 * sorting by the metric. The ranks come from the server and stay with their rows.
 * #sort=COLUMN[:asc|desc] in the URL picks the first sort. */
static const char mb_lb_script[] =
    "<script>\n"
    "(function(){\n"
    "function key(td,num){return num?parseFloat(td.getAttribute('data-v')):td.textContent;}\n"
    "function sortTable(t,col,dir){\n"
    " var th=t.tHead.rows[0].cells,num=th[col].getAttribute('data-type')==='num';\n"
    " var metric=th[col].getAttribute('data-col')==='metric';\n"
    " var rows=Array.prototype.slice.call(t.tBodies[0].rows);\n"
    " rows.sort(function(a,b){\n"
    "  if(metric){var va=a.getAttribute('data-valid'),vb=b.getAttribute('data-valid');if(va!==vb)return vb-va;}\n"
    "  var x=key(a.cells[col],num),y=key(b.cells[col],num);\n"
    "  if(num){if(isNaN(x))return 1;if(isNaN(y))return -1;}\n"
    "  var c=x<y?-1:x>y?1:0;return dir==='asc'?c:-c;});\n"
    " rows.forEach(function(r){t.tBodies[0].appendChild(r);});\n"
    " for(var i=0;i<th.length;i++)th[i].removeAttribute('aria-sort');\n"
    " th[col].setAttribute('aria-sort',dir==='asc'?'ascending':'descending');\n"
    " t.setAttribute('data-sorted',th[col].getAttribute('data-col')+':'+dir);}\n"
    "function colOf(t,name){var th=t.tHead.rows[0].cells;for(var i=0;i<th.length;i++)"
    "if(th[i].getAttribute('data-col')===name)return i;return -1;}\n"
    "var m=/sort=([a-z_]+)(?::(asc|desc))?/.exec(location.hash);\n"
    "Array.prototype.forEach.call(document.querySelectorAll('table.board'),function(t){\n"
    " var better=t.getAttribute('data-better')==='lower'?'asc':'desc';\n"
    " var c=m?colOf(t,m[1]):-1;\n"
    " if(c>=0)sortTable(t,c,m[2]||(m[1]==='metric'?better:'asc'));else sortTable(t,colOf(t,'metric'),better);\n"
    " Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){th.addEventListener('click',function(){\n"
    "  var cur=th.getAttribute('aria-sort');sortTable(t,i,cur==='ascending'?'desc':'asc');});});\n"
    "});\n"
    "})();\n"
    "</script>\n";

typedef struct mb_html_ctx {
  FILE *f;
  bool open;
  size_t groups, rows;
} mb_html_ctx;

static void mb_html_group(mb_html_ctx *c, const mb_row *row) {
  FILE *f = c->f;
  bool lower = !strcmp(row->text[C_UNIT], "ns");
  if (c->open) fputs("</tbody></table></section>\n", f);
  c->open = true, c->groups++;
  fputs("<section><h2>", f);
  mb_html_text(f, row->text[C_WORKLOAD]);
  fputs(" &middot; ", f);
  mb_html_text(f, row->text[C_SCENARIO]);
  if (strcmp(row->text[C_MODE], "performance")) {
    fputs(" &middot; ", f);
    mb_html_text(f, row->text[C_MODE]);
  }
  fprintf(f, "</h2>\n<table class=\"board\" data-workload=\"");
  mb_html_text(f, row->text[C_WORKLOAD]);
  fprintf(f, "\" data-scenario=\"");
  mb_html_text(f, row->text[C_SCENARIO]);
  fprintf(f, "\" data-mode=\"");
  mb_html_text(f, row->text[C_MODE]);
  fprintf(f, "\" data-better=\"%s\"><thead><tr><th data-col=\"rank\" data-type=\"num\">#</th>"
          "<th data-col=\"team\">Team</th><th data-col=\"metric\" data-type=\"num\">",
          lower ? "lower" : "higher");
  mb_html_text(f, row->text[C_METRIC_NAME]);
  fputs(" (", f);
  mb_html_text(f, row->text[C_UNIT]);
  fprintf(f, ", %s is better)</th><th data-col=\"validity\">Validity</th>"
          "<th data-col=\"hardware\">Hardware</th><th data-col=\"profile\">Hardware profile</th>"
          "<th data-col=\"sut\">SUT</th><th data-col=\"run\">Run</th>"
          "<th data-col=\"submitted\">Submitted (UTC)</th>"
          "<th data-col=\"submission\" data-type=\"num\">Submission</th></tr></thead><tbody>\n",
          lower ? "lower" : "higher");
}

static void mb_html_cell(FILE *f, const char *text) {
  fputs("<td>", f);
  mb_html_text(f, text);
  fputs("</td>", f);
}

static void mb_html_row(void *ctx, const mb_row *row, bool first) {
  mb_html_ctx *c = ctx;
  FILE *f = c->f;
  if (first) mb_html_group(c, row);
  c->rows++;
  bool ranked = row->rank > 0;
  fprintf(f, "<tr data-valid=\"%d\"%s>", ranked, ranked ? "" : " class=\"invalid\"");
  if (ranked) fprintf(f, "<td class=\"num\" data-v=\"%lld\">%lld</td>", row->rank, row->rank);
  else fputs("<td class=\"num\" data-v=\"NaN\">&mdash;</td>", f);
  mb_html_cell(f, row->text[C_TEAM]);
  if (isfinite(row->metric))
    fprintf(f, "<td class=\"num\" data-v=\"%.17g\">%.6g</td>", row->metric, row->metric);
  else
    fputs("<td class=\"num\" data-v=\"NaN\">&mdash;</td>", f);
  fputs("<td><span class=\"", f);
  mb_html_text(f, row->text[C_VALIDITY]);
  fputs("\" title=\"", f);
  mb_html_text(f, row->text[C_REASONS]);
  fputs("\">", f);
  mb_html_text(f, row->text[C_VALIDITY]);
  fputs("</span></td>", f);
  mb_html_cell(f, row->text[C_HW]);
  mb_html_cell(f, row->text[C_PROFILE]);
  mb_html_cell(f, row->text[C_SUT]);
  mb_html_cell(f, row->text[C_RUN]);
  mb_html_cell(f, row->text[C_RECEIVED]);
  fprintf(f, "<td class=\"num\" data-v=\"%lld\">%lld</td></tr>\n", row->submission_id,
          row->submission_id);
}

int mb_lb_write_html(mb_lb *lb, FILE *f) {
  mb_html_ctx c = {f, false, 0, 0};
  char now[32];
  mb_utc_now(now, sizeof now);
  fputs(mb_lb_head, f);
  fprintf(f, "<p>Generated %s. Every entry was checked on upload: its metrics recomputed "
          "from its samples, its signature verified. Click a column to sort; "
          "<a href=\"/api/leaderboard.json\">JSON</a>, "
          "<a href=\"/api/leaderboard.csv\">CSV</a>.</p>\n", now);
  int rc = mb_lb_each(lb, mb_html_row, &c);
  if (c.open) fputs("</tbody></table></section>\n", f);
  if (c.rows == 0) fputs("<p id=\"empty\">No submissions yet.</p>\n", f);
  fprintf(f, "<p id=\"totals\" data-entries=\"%zu\" data-groups=\"%zu\">%zu entries in %zu "
          "tables.</p>\n", c.rows, c.groups, c.rows, c.groups);
  fputs(mb_lb_script, f);
  fputs("</body></html>\n", f);
  return rc;
}

/* ---- the command ------------------------------------------------------------------------ */
void mb_print_leaderboard_help(FILE *f) {
  fputs(
      "NAME\n"
      "    mlsysbench leaderboard - a course leaderboard server (SQLite + HTTP)\n"
      "\n"
      "SYNOPSIS\n"
      "    mlsysbench leaderboard add-team NAME --db FILE\n"
      "    mlsysbench leaderboard serve --db FILE [--port 8080] [--bind 127.0.0.1]\n"
      "                                 [--max-upload BYTES] [--threads N]\n"
      "\n"
      "DESCRIPTION\n"
      "    add-team  adds a team and prints its token on stdout, once: keep it (the\n"
      "              database keeps only a salted SHA-256 of it). Teams use it with\n"
      "              `mlsysbench submit pack|send` (--token-file or MLSB_TEAM_TOKEN).\n"
      "    serve     serves the leaderboard until SIGINT or SIGTERM, then finishes the\n"
      "              requests in flight and closes the database:\n"
      "      POST /submissions          a bundle (body), \"Authorization: Bearer TOKEN\";\n"
      "                                 runs `submit check` on it with the team's token and\n"
      "                                 stores it with one row per run in one transaction;\n"
      "                                 answers the verdict as JSON: 201 accepted, 400\n"
      "                                 malformed (not a bundle, truncated, wrong schema\n"
      "                                 version), 401 no or unknown token, 403 a bundle for\n"
      "                                 another team or a signature that does not verify,\n"
      "                                 409 the same bundle again, 413 larger than\n"
      "                                 --max-upload, 422 figures that disagree with the\n"
      "                                 samples or files changed after packing\n"
      "      GET /                      the leaderboard: one sortable table per workload and\n"
      "                                 scenario with validity and hardware; self-contained\n"
      "      GET /api/leaderboard.json  every entry as JSON (schema mlsysbench.leaderboard)\n"
      "      GET /api/leaderboard.csv   the same as CSV\n"
      "\n"
      "OPTIONS\n"
      "    --db FILE          the SQLite database (created when absent)\n"
      "    --port N           TCP port (default 8080; 0 picks a free one, printed)\n"
      "    --bind ADDR        IPv4 address to listen on (default 127.0.0.1)\n"
      "    --max-upload B     largest bundle accepted, bytes (default 67108864)\n"
      "    --threads N        request threads (default 4)\n"
      "    -h, --help         this page\n"
      "\n"
      "EXIT STATUS\n"
      "    0 done (serve: stopped by a signal), 1 the database or the port cannot be used,\n"
      "    2 bad usage, 6 add-team: the team exists\n"
      "\n"
      "EXAMPLES\n"
      "    mlsysbench leaderboard add-team owls --db board.sqlite > owls.token\n"
      "    mlsysbench leaderboard serve --db board.sqlite --port 8080 --bind 0.0.0.0\n",
      f);
}

#define MB_LB_EXIT_EXISTS 6

typedef struct mb_lb_opts {
  const char *db;
  mb_lb_serve_opts serve;
  int n_args;
  char **args;
} mb_lb_opts;

static bool mb_lb_number(const char *flag, const char *text, unsigned long long max,
                         unsigned long long *out) {
  char *end;
  errno = 0;
  *out = strtoull(text, &end, 10);
  if (*end || end == text || errno || *out > max || text[0] == '-') {
    fprintf(stderr, "mlsysbench leaderboard: %s '%s': want a whole number up to %llu\n", flag,
            text, max);
    return false;
  }
  return true;
}

static int mb_lb_parse(int argc, char **argv, mb_lb_opts *o, bool *help) {
  static const struct option opts[] = {
      {"db", 1, 0, 'd'},         {"port", 1, 0, 'p'}, {"bind", 1, 0, 'b'},
      {"max-upload", 1, 0, 'm'}, {"threads", 1, 0, 't'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  unsigned long long v;
  o->serve = (mb_lb_serve_opts){"127.0.0.1", 8080, 64u << 20, 4};
  optind = 1;
  opterr = 1;
  for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
    switch (c) {
      case 'd': o->db = optarg; break;
      case 'b': o->serve.bind = optarg; break;
      case 'p':
        if (!mb_lb_number("--port", optarg, 65535, &v)) return MB_EXIT_USAGE;
        o->serve.port = (unsigned)v;
        break;
      case 'm':
        if (!mb_lb_number("--max-upload", optarg, RPT_BUNDLE_MAX_BYTES, &v) || v < 1024) {
          if (v < 1024) fprintf(stderr, "mlsysbench leaderboard: --max-upload: at least 1024\n");
          return MB_EXIT_USAGE;
        }
        o->serve.max_upload = (size_t)v;
        break;
      case 't':
        if (!mb_lb_number("--threads", optarg, 64, &v) || v < 1) return MB_EXIT_USAGE;
        o->serve.threads = (unsigned)v;
        break;
      case 'h': *help = true; return MB_EXIT_OK;
      default:
        fprintf(stderr, "mlsysbench leaderboard: see `mlsysbench leaderboard --help`\n");
        return MB_EXIT_USAGE;
    }
  }
  o->n_args = argc - optind;
  o->args = argv + optind;
  if (o->db == NULL) {
    fprintf(stderr, "mlsysbench leaderboard: needs --db FILE\n");
    return MB_EXIT_USAGE;
  }
  return MB_EXIT_OK;
}

static int mb_lb_cmd_add_team(mb_lb *lb, const mb_lb_opts *o) {
  char token[MB_LB_TOKEN_CHARS + 1], err[700];
  if (o->n_args != 1) {
    fprintf(stderr, "mlsysbench leaderboard add-team: needs one team NAME\n");
    return MB_EXIT_USAGE;
  }
  int rc = mb_lb_add_team(lb, o->args[0], token, sizeof token, err, sizeof err);
  if (rc != MB_LB_OK) {
    fprintf(stderr, "mlsysbench leaderboard add-team: %s\n", err);
    return rc == MB_LB_EINVAL ? MB_EXIT_USAGE : rc == MB_LB_EEXIST ? MB_LB_EXIT_EXISTS : MB_EXIT_ERROR;
  }
  fprintf(stderr, "team %s added to %s; its token follows on stdout, shown only now\n",
          o->args[0], o->db);
  printf("%s\n", token);
  OPENSSL_cleanse(token, sizeof token);
  return MB_EXIT_OK;
}

int mb_cmd_leaderboard(int argc, char **argv) {
  const char *sub = argc > 1 ? argv[1] : "";
  mb_lb_opts o = {0};
  bool help = false;
  if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
    mb_print_leaderboard_help(stdout);
    return MB_EXIT_OK;
  }
  if (strcmp(sub, "add-team") && strcmp(sub, "serve")) {
    fprintf(stderr, "mlsysbench leaderboard: '%s': use add-team or serve (see `mlsysbench "
            "leaderboard --help`)\n", sub);
    return MB_EXIT_USAGE;
  }
  int rc = mb_lb_parse(argc - 1, argv + 1, &o, &help);
  if (help) mb_print_leaderboard_help(stdout);
  if (rc || help) return rc;
  if (!strcmp(sub, "serve") && o.n_args) {
    fprintf(stderr, "mlsysbench leaderboard serve: unexpected argument '%s'\n", o.args[0]);
    return MB_EXIT_USAGE;
  }
  mb_lb *lb;
  char err[700];
  if (mb_lb_open(o.db, &lb, err, sizeof err) != MB_LB_OK) {
    fprintf(stderr, "mlsysbench leaderboard: %s\n", err);
    return MB_EXIT_ERROR;
  }
  rc = !strcmp(sub, "serve") ? mb_lb_serve(lb, &o.serve) : mb_lb_cmd_add_team(lb, &o);
  mb_lb_close(lb);
  return rc;
}
