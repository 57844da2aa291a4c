/*
 * tests/leaderboard/test_leaderboard.c - the leaderboard server end to end: the real
 * `$MLSB leaderboard serve` on a loopback port it picks itself (--port 0, read from its
 * first line), real bundles of real run folders, the stored rows read back with
 * SQLite, the JSON and CSV pages, the HTML page in headless Chromium, every refusal
 * with its HTTP status, and a bounded load test.
 *
 * setup: three run folders (`$MLSB run --workload null`: SingleStream twice, Server;
 * and an Offline run that ends before min_duration, honestly INVALID), two teams
 * (`leaderboard add-team owls|bats`, tokens read from stdout), the server started with
 * --max-upload 1000000 and --threads 4. teardown: SIGTERM, which must end it with exit
 * 0 and "stopped" (in-flight requests finished, database closed) within 20 s.
 *
 * Tests, in order (later ones count on the rows of earlier ones):
 *  - upload: `submit pack` + `submit send` exit 0 with "HTTP 201"; the submissions and
 *    entries tables hold the submission and its 3 rows with the recomputed metrics
 *    (equal to results.json's); /api/leaderboard.json and .csv list the same rows;
 *  - refusals, each with its status and nothing stored (row counts unchanged): no token
 *    401, unknown token 401, a bundle for another team 403, a bundle re-signed with
 *    another team's token 403, oversized 413, not a bundle 400, truncated 400, schema
 *    version 2 400, a file changed after packing 422, claims that disagree with the
 *    samples 422, the same bundle again 409; also GET of an unknown page 404 and GET
 *    /submissions 405;
 *  - the page as served (no script run): the ranks are in the HTML, each 1 + the
 *    number of ranked rows with a better metric (ties share a rank); an accuracy run
 *    (kws, --mode accuracy) is in its own table with its top-1 agreement, not in the
 *    SingleStream throughput table;
 *  - the page in Chromium (skipped with a message when /usr/bin/chromium is absent):
 *    its DOM after the script ran has one table per workload and scenario, the rows
 *    sorted by the metric (better first), #sort=team:desc re-sorts by team and every
 *    row keeps its rank, VALID and INVALID and the hardware are shown, no console
 *    messages; and a screenshot;
 *  - load: 200 distinct bundles (packed with the library, same run folder, a fresh
 *    nonce each) uploaded by 8 threads, 25 each: every answer is 201 and exactly 200
 *    new submissions with their rows are stored, their equal metrics share one rank.
 *    Latency p50/p99 is printed, not asserted (the machine is shared);
 *  - the command's refusals: add-team of an existing team (exit 6) or a bad name (2),
 *    serve with a --bind that is not an IPv4 address (2), on the port the server holds
 *    (1, "cannot listen"), without --db (2); and SIGINT stops a second server with exit 0.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <sqlite3.h>

#include "harness/submit.h"
#include "reports/bundle.h"
#include "reports/results.h"
#include "tests/harness/proc.h"

#define LOAD_UPLOADS 200
#define LOAD_CLIENTS 8
#define MAX_UPLOAD "1000000"

static char tmpdir[256], db[300], url[128], owls[128], bats[128];
static pid_t server = -1;
static bool have_chromium;

/* ---- helpers --------------------------------------------------------------------------- */
static void path_of(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* $MLSB with arguments (NULL-terminated); stdout into *out, stderr into *err (either
 * may be NULL: dropped). Returns the exit status. */
static int mlsb(char **out, char **err, ...) {
  char *argv[24], o[300], e[300];
  va_list ap;
  size_t n = 0;
  argv[n++] = getenv("MLSB");
  va_start(ap, err);
  for (char *a; n < 23 && (a = va_arg(ap, char *)) != NULL;) argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  path_of(o, sizeof o, "mlsb.out");
  path_of(e, sizeof e, "mlsb.err");
  int rc = run_argv(argv, o, e);
  if (out) *out = slurp(o, NULL);
  if (err) *err = slurp(e, NULL);
  return rc;
}

/* The contents of log once it holds needle (a server's first line), or NULL after 10 s. */
static char *wait_for(const char *log, const char *needle) {
  for (int i = 0; i < 500; i++) {
    char *text = slurp(log, NULL);
    if (text && strstr(text, needle)) return text;
    free(text);
    struct timespec tick = {0, 20 * 1000000L};
    nanosleep(&tick, NULL);
  }
  return NULL;
}

/* POST a file (or raw bytes) with a token; returns the HTTP status, body in *body. */
static long post(const void *data, size_t size, const char *token, char **body) {
  long status;
  char err[512];
  if (mb_submit_upload(url, token, data, size, 60, &status, body, err, sizeof err))
    fail_msg("upload failed: %s", err);
  return status;
}

static long post_file(const char *name, const char *token, char **body) {
  char path[400], err[512];
  unsigned char *data;
  size_t size;
  path_of(path, sizeof path, name);
  if (mb_read_whole(path, &data, &size, err, sizeof err)) fail_msg("%s", err);
  long status = post(data, size, token, body);
  free(data);
  return status;
}

typedef struct buf { char *data; size_t len; } buf;
static size_t collect(char *p, size_t size, size_t n, void *ctx) {
  buf *b = ctx;
  b->data = realloc(b->data, b->len + size * n + 1);
  memcpy(b->data + b->len, p, size * n);
  b->len += size * n;
  b->data[b->len] = '\0';
  return size * n;
}

/* GET url + path; returns the status, body in *body (caller frees). */
static long get(const char *path, char **body) {
  char full[300];
  buf b = {calloc(1, 1), 0};
  long status = 0;
  snprintf(full, sizeof full, "%.*s%s", (int)strlen(url) - 1, url, path);
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, full);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  *body = b.data;
  return status;
}

static long long sql_count(const char *sql) {
  sqlite3 *d;
  sqlite3_stmt *st;
  long long n = -1;
  assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_busy_timeout(d, 10000);
  assert_int_equal(sqlite3_prepare_v2(d, sql, -1, &st, NULL), SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(d);
  return n;
}

static double results_metric(const char *run) {
  char path[400], err[512];
  rpt_results r;
  snprintf(path, sizeof path, "%s/%s/results.json", tmpdir, run);
  assert_int_equal(rpt_results_read_json(path, &r, err, sizeof err), RPT_OK);
  double v = r.result.metric.value.v;
  rpt_results_destroy(&r);
  return v;
}

static void pack(const char *name, const char *team, const char *token_file, ...) {
  char out[400], tf[400], *argv_dirs[4], dirs[4][400], *text = NULL, *err = NULL;
  va_list ap;
  size_t n = 0;
  va_start(ap, token_file);
  for (const char *r; n < 3 && (r = va_arg(ap, const char *)) != NULL; n++) {
    path_of(dirs[n], sizeof dirs[n], r);
    argv_dirs[n] = dirs[n];
  }
  va_end(ap);
  for (size_t i = n; i < 3; i++) argv_dirs[i] = NULL;
  path_of(out, sizeof out, name);
  path_of(tf, sizeof tf, token_file);
  /* run folders first, then the flags (a NULL folder ends the list early: pad) */
  int rc = n == 1 ? mlsb(&text, &err, "submit", "pack", argv_dirs[0], "--team", team,
                         "--token-file", tf, "-o", out, NULL)
                  : mlsb(&text, &err, "submit", "pack", argv_dirs[0], argv_dirs[1],
                         argv_dirs[2], "--team", team, "--token-file", tf, "-o", out, NULL);
  if (rc != 0) fail_msg("pack exited %d: %s%s", rc, text ? text : "", err ? err : "");
  free(text), free(err);
}

/* ---- tests ----------------------------------------------------------------------------- */
static void test_upload_and_rows(void **state) {
  (void)state;
  char *out = NULL, *err = NULL, path[400], tf[400];
  pack("owls1.mlsb", "owls", "owls.token", "ss", "srv", "inv", NULL);
  path_of(path, sizeof path, "owls1.mlsb");
  path_of(tf, sizeof tf, "owls.token");
  assert_int_equal(mlsb(&out, &err, "submit", "send", path, "--to", url, "--token-file", tf, NULL), 0);
  has(out, "server: HTTP 201, accepted");
  has(out, "run inv: null Offline INVALID");
  free(out), free(err);
  assert_int_equal(sql_count("SELECT count(*) FROM submissions"), 1);
  assert_int_equal(sql_count("SELECT count(*) FROM entries"), 3);
  assert_int_equal(sql_count("SELECT count(*) FROM submissions s JOIN teams t ON s.team_id = t.id"
                             " WHERE t.name = 'owls' AND length(s.bundle) = s.bytes"), 1);
  assert_int_equal(sql_count("SELECT count(*) FROM entries WHERE validity = 'INVALID' AND "
                             "reasons LIKE 'min_duration:%'"), 1);
  /* the stored metric is the recomputed one, equal to the run's own */
  sqlite3 *d;
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(d, "SELECT run, metric FROM entries", -1, &st, NULL), SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW)
    assert_true(sqlite3_column_double(st, 1) ==
                results_metric((const char *)sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(d);
  /* the API pages */
  char *body;
  assert_int_equal(get("/api/leaderboard.json", &body), 200);
  json_object *doc = json_tokener_parse(body), *entries, *v;
  assert_non_null(doc);
  assert_true(json_object_object_get_ex(doc, "entries", &entries));
  assert_int_equal(json_object_array_length(entries), 3);
  json_object *e = json_object_array_get_idx(entries, 0);
  assert_true(json_object_object_get_ex(e, "team", &v));
  assert_string_equal(json_object_get_string(v), "owls");
  json_object_put(doc);
  free(body);
  assert_int_equal(get("/api/leaderboard.csv", &body), 200);
  assert_int_equal(count(body, "\n"), 4);
  has(body, "submission_id,team,received_utc,manifest_sha256,run,workload,scenario,mode,sut,");
  has(body, "\"owls\"");
  free(body);
}

/* text begins with prefix. */
static void starts(const char *text, const char *prefix) {
  if (strncmp(text, prefix, strlen(prefix))) fail_msg("want '%s' first in:\n%s", prefix, text);
}

/* A refusal: the status, words of its message, and no row added. */
static void refused(long status, long want, char **body, const char *words) {
  if (status != want) fail_msg("HTTP %ld, want %ld: %s", status, want, *body);
  has(*body, "\"status\":\"refused\"");
  has(*body, words);
  free(*body);
}

static void test_refusals(void **state) {
  (void)state;
  char *body, path[400];
  long long subs = sql_count("SELECT count(*) FROM submissions");
  long long rows = sql_count("SELECT count(*) FROM entries");
  pack("owls2.mlsb", "owls", "owls.token", "ss2", NULL);
  refused(post_file("owls2.mlsb", "", &body), 401, &body, "unknown token");
  refused(post_file("owls2.mlsb", "mlsb_0000", &body), 401, &body, "unknown token");
  refused(post_file("owls2.mlsb", bats, &body), 403, &body,
          "the bundle is for team 'owls' but the token given is the token of team 'bats'");
  /* the same through `submit send`: the refusal comes first, the runs are not shown as
   * accepted, and the signature message names the token used (bats'), not owls' */
  char *out = NULL, *err = NULL, tf[400];
  path_of(path, sizeof path, "owls2.mlsb");
  path_of(tf, sizeof tf, "bats.token");
  assert_int_equal(mlsb(&out, &err, "submit", "send", path, "--to", url, "--token-file", tf,
                        NULL), 1);
  starts(out, "REFUSED by the server (HTTP 403, refused): the bundle is for team 'owls'");
  has(out, "NOT on the leaderboard");
  has(out, "  run ss2: null SingleStream VALID (not stored)\n");
  assert_null(strstr(out, "\nrun ss2"));
  has(out, "does not verify with the token given (team 'bats'): the bundle names team "
           "'owls', so it must be signed and checked with the token of team 'owls'");
  assert_null(strstr(out, "''s"));
  free(out), free(err);
  pack("resigned.mlsb", "owls", "bats.token", "ss2", NULL); /* bats signs in owls' name */
  refused(post_file("resigned.mlsb", owls, &body), 403, &body, "(re-signed) with another token");
  char *big = calloc(1, 1200000);
  refused(post(big, 1200000, owls, &body), 413, &body, "this leaderboard takes at most 1000000");
  free(big);
  refused(post("not a bundle", 12, owls, &body), 400, &body, "not a bundle");
  sh("cd %s && head -c 3000 owls2.mlsb > trunc.mlsb", tmpdir);
  refused(post_file("trunc.mlsb", owls, &body), 400, &body, "truncated");
  sh("cd %s && rm -rf x && mkdir x && tar xzf owls2.mlsb -C x && cd x && "
     "sed -i 's/\"schema_version\":1/\"schema_version\":2/' manifest.json && "
     "tar czf ../v2.mlsb manifest.json manifest.sig system.json runs", tmpdir);
  refused(post_file("v2.mlsb", owls, &body), 400, &body, "this checker reads version 1");
  sh("cd %s && rm -rf x && mkdir x && tar xzf owls2.mlsb -C x && cd x && "
     "sed -i '$d' runs/ss2/samples.csv && "
     "tar czf ../tampered.mlsb manifest.json manifest.sig system.json runs", tmpdir);
  refused(post_file("tampered.mlsb", owls, &body), 422, &body, "the file was changed after packing");
  path_of(path, sizeof path, "forged");
  sh("rm -rf %s && cp -r %s/ss2 %s && sed -i '/\"metric\": {/,/}/s/\"value\": [0-9.e+]*/"
     "\"value\": 17/' %s/results.json", path, tmpdir, path, path);
  pack("forged.mlsb", "owls", "owls.token", "forged", NULL);
  refused(post_file("forged.mlsb", owls, &body), 422, &body, "result.metric.value");
  /* accepted once, then replayed */
  assert_int_equal(post_file("owls2.mlsb", owls, &body), 201);
  free(body);
  refused(post_file("owls2.mlsb", owls, &body), 409, &body, "was already submitted");
  path_of(tf, sizeof tf, "owls.token");
  path_of(path, sizeof path, "owls2.mlsb");
  assert_int_equal(mlsb(&out, &err, "submit", "send", path, "--to", url, "--token-file", tf,
                        NULL), 1);
  starts(out, "REFUSED by the server (HTTP 409, refused): this bundle");
  assert_null(strstr(out, "\nrun ss2"));
  free(out), free(err);
  /* nothing half-written: exactly the one accepted submission and its row were added */
  assert_int_equal(sql_count("SELECT count(*) FROM submissions"), subs + 1);
  assert_int_equal(sql_count("SELECT count(*) FROM entries"), rows + 1);
  assert_int_equal(get("/nosuch", &body), 404);
  free(body);
  assert_int_equal(get("/submissions", &body), 405);
  free(body);
}

/* The rows of the performance table whose data-scenario is scenario, from a page. */
static char *table_of(const char *dom, const char *scenario) {
  char want[96];
  snprintf(want, sizeof want, "data-scenario=\"%s\" data-mode=\"performance\"", scenario);
  const char *t = strstr(dom, want);
  assert_non_null(t);
  const char *end = strstr(t, "</table>");
  assert_non_null(end);
  return strndup(t, (size_t)(end - t));
}

/* Every row's rank (server-side, in the HTML) is 1 + the number of ranked rows with a
 * strictly better metric: ties share a rank; unranked (INVALID) rows show none. */
static void check_ranks(const char *table, bool lower) {
  double metric[600];
  long rank[600];
  size_t n = 0;
  for (const char *p = table; (p = strstr(p, "<tr data-valid=\"")) != NULL && n < 600; p++) {
    const char *r = strstr(p, "<td class=\"num\" data-v=\"");
    assert_non_null(r);
    bool ranked = p[16] == '1';
    rank[n] = ranked ? strtol(r + 24, NULL, 10) : 0;
    if (!ranked) assert_memory_equal(r + 24, "NaN\">&mdash;</td>", 17);
    const char *m = strstr(r + 24, "data-v=\"");
    metric[n++] = strtod(m + 8, NULL);
  }
  assert_true(n >= 2);
  for (size_t i = 0; i < n; i++) {
    if (rank[i] == 0) continue;
    long better = 0;
    for (size_t j = 0; j < n; j++)
      better += rank[j] > 0 && (lower ? metric[j] < metric[i] : metric[j] > metric[i]);
    if (rank[i] != better + 1) fail_msg("row %zu: rank %ld, want %ld", i, rank[i], better + 1);
  }
}

static void test_page_without_script(void **state) {
  (void)state;
  char *body;
  pack("acc.mlsb", "bats", "bats.token", "acc", NULL);
  assert_int_equal(post_file("acc.mlsb", bats, &body), 201);
  free(body);
  assert_int_equal(get("/", &body), 200);
  /* the ranks are in the HTML as served, before any script runs */
  char *ss = table_of(body, "SingleStream");
  has(ss, "<td class=\"num\" data-v=\"1\">1</td>");
  check_ranks(ss, true);
  assert_null(strstr(ss, "<td>acc</td>")); /* the accuracy run is not a throughput row */
  free(ss);
  /* the accuracy run in its own table, with its figure from results.json */
  const char *acc = strstr(body, "data-scenario=\"SingleStream\" data-mode=\"accuracy\"");
  assert_non_null(acc);
  char *t = strndup(acc, (size_t)(strstr(acc, "</table>") - acc));
  has(t, "top-1 agreement with the fp32 reference (%, higher is better)");
  has(t, "<td class=\"num\" data-v=\"1\">1</td><td>bats</td><td class=\"num\" data-v=\"100\">100</td>");
  free(t);
  free(body);
}

static void test_page_in_chromium(void **state) {
  (void)state;
  if (!have_chromium) {
    print_message("SKIP: chromium not installed (apt-get install chromium)\n");
    return;
  }
  char *body, page[300], out[400], err[400];
  pack("bats1.mlsb", "bats", "bats.token", "ss3", NULL);
  assert_int_equal(post_file("bats1.mlsb", bats, &body), 201);
  free(body);
  /* default order: the metric, better first (ns: lower) */
  chromium_run(tmpdir, url, "--dump-dom", "dom", out, err, sizeof out);
  char *dom = slurp(out, NULL), *ss = table_of(dom, "SingleStream");
  /* SingleStream, Server, Offline, and SingleStream accuracy */
  assert_int_equal(count(dom, "<table class=\"board\""), 4);
  has(ss, "data-sorted=\"metric:asc\"");
  has(dom, ">VALID</span>");
  has(dom, ">INVALID</span>");
  has(dom, " cores)</td>"); /* the hardware: CPU model and cores */
  /* the server's ranks; the rows are in metric order */
  has(ss, "<td class=\"num\" data-v=\"1\">1</td>");
  has(ss, "<td class=\"num\" data-v=\"3\">3</td>");
  check_ranks(ss, true);
  double last = -1;
  for (const char *p = ss; (p = strstr(p, "data-v=\"")) != NULL; p = strstr(p, "</tr>")) {
    p = strstr(p + 8, "data-v=\""); /* the metric, after the rank */
    double v = strtod(p + 8, NULL);
    assert_true(v >= last);
    last = v;
  }
  free(ss), free(dom);
  chromium_no_console_messages(err);
  /* #sort=team:desc: owls rows before bats rows */
  snprintf(page, sizeof page, "%s#sort=team:desc", url);
  chromium_run(tmpdir, page, "--dump-dom", "dom2", out, err, sizeof out);
  dom = slurp(out, NULL);
  ss = table_of(dom, "SingleStream");
  has(ss, "data-sorted=\"team:desc\"");
  check_ranks(ss, true); /* re-sorting moved the rows, not their ranks */
  char *o = strstr(ss, "<td>owls</td>"), *b = strstr(ss, "<td>bats</td>");
  assert_non_null(o), assert_non_null(b);
  assert_true(o < b);
  free(ss), free(dom);
  chromium_no_console_messages(err);
  char png[400], flag[450];
  path_of(png, sizeof png, "leaderboard.png");
  snprintf(flag, sizeof flag, "--screenshot=%s", png);
  chromium_run(tmpdir, url, flag, "shot", out, err, sizeof out);
  size_t len = 0;
  char *p = slurp(png, &len);
  assert_non_null(p);
  assert_memory_equal(p, "\x89PNG\r\n\x1a\n", 8);
  print_message("screenshot: %s (%zu bytes)\n", png, len);
  free(p);
}

static void test_cli_errors(void **state) {
  (void)state;
  char *out = NULL, *err = NULL, port[16];
  assert_int_equal(mlsb(&out, &err, "leaderboard", "add-team", "owls", "--db", db, NULL), 6);
  has(err, "team 'owls' already exists");
  free(out), free(err);
  assert_int_equal(mlsb(&out, &err, "leaderboard", "add-team", "no/slash", "--db", db, NULL), 2);
  has(err, "team 'no/slash': want 1-63 letters");
  free(out), free(err);
  assert_int_equal(mlsb(&out, &err, "leaderboard", "serve", "--db", db, "--bind", "localhost",
                        NULL), 2);
  has(err, "--bind 'localhost': want an IPv4 address");
  free(out), free(err);
  /* the port the running server holds */
  snprintf(port, sizeof port, "%d", atoi(url + strlen("http://127.0.0.1:")));
  assert_int_equal(mlsb(&out, &err, "leaderboard", "serve", "--db", db, "--port", port, NULL), 1);
  has(err, "cannot listen on 127.0.0.1:");
  free(out), free(err);
  assert_int_equal(mlsb(&out, &err, "leaderboard", "serve", NULL), 2);
  has(err, "needs --db FILE");
  free(out), free(err);
  assert_int_equal(mlsb(&out, &err, "leaderboard", "--help", NULL), 0);
  has(out, "POST /submissions");
  free(out), free(err);
  /* SIGINT stops a server as cleanly as SIGTERM (exit 0), and it is listening first */
  char db2[400], log[400];
  path_of(db2, sizeof db2, "second.sqlite");
  path_of(log, sizeof log, "second.log");
  char *argv[] = {getenv("MLSB"), "leaderboard", "serve", "--db", db2, "--port", "0", NULL};
  pid_t pid = spawn_argv(argv, log, log);
  char *text = wait_for(log, "serving http://127.0.0.1:");
  assert_non_null(text);
  free(text);
  assert_int_equal(stop_pid(pid, SIGINT, 20), 0);
  text = slurp(log, NULL);
  has(text, "leaderboard: SIGINT, stopping\nleaderboard: stopped\n");
  free(text);
}

/* ---- load --------------------------------------------------------------------------------- */
typedef struct client {
  int first;                    /* its bundles: first .. first + LOAD_UPLOADS/LOAD_CLIENTS */
  int ok;
  double ms[LOAD_UPLOADS / LOAD_CLIENTS];
  char failure[512];
} client;

static void *client_main(void *arg) {
  client *c = arg;
  for (int i = 0; i < LOAD_UPLOADS / LOAD_CLIENTS; i++) {
    char path[400], err[256], *body = NULL;
    unsigned char *data;
    size_t size;
    long status = 0;
    snprintf(path, sizeof path, "%s/load/%d.mlsb", tmpdir, c->first + i);
    if (mb_read_whole(path, &data, &size, err, sizeof err)) {
      snprintf(c->failure, sizeof c->failure, "%s", err);
      return NULL;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = mb_submit_upload(url, owls, data, size, 120, &status, &body, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    c->ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    free(data);
    if (rc == 0 && status == 201) c->ok++;
    else if (!c->failure[0])
      snprintf(c->failure, sizeof c->failure, "upload %d: rc %d HTTP %ld %.150s %.200s", c->first + i,
               rc, status, err, body ? body : "");
    free(body);
  }
  return NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void test_load(void **state) {
  (void)state;
  char dir[400], sys[] = "{\"schema\":\"mlsysbench.system\",\"schema_version\":1}", err[600];
  const char *runs[1];
  char ss[400];
  path_of(ss, sizeof ss, "ss2");
  runs[0] = ss;
  path_of(dir, sizeof dir, "load");
  sh("mkdir -p %s", dir);
  for (int i = 0; i < LOAD_UPLOADS; i++) { /* distinct: each pack has its own nonce */
    char out[450];
    snprintf(out, sizeof out, "%s/%d.mlsb", dir, i);
    rpt_bundle_pack_opts o = {"owls", owls, runs, 1, sys, "test", out};
    if (rpt_bundle_pack(&o, NULL, err, sizeof err)) fail_msg("pack: %s", err);
  }
  long long subs = sql_count("SELECT count(*) FROM submissions");
  long long rows = sql_count("SELECT count(*) FROM entries");
  static client clients[LOAD_CLIENTS];
  pthread_t th[LOAD_CLIENTS];
  for (int i = 0; i < LOAD_CLIENTS; i++) {
    clients[i] = (client){.first = i * (LOAD_UPLOADS / LOAD_CLIENTS)};
    assert_int_equal(pthread_create(&th[i], NULL, client_main, &clients[i]), 0);
  }
  double all[LOAD_UPLOADS];
  int ok = 0, n = 0;
  for (int i = 0; i < LOAD_CLIENTS; i++) {
    pthread_join(th[i], NULL);
    if (clients[i].failure[0]) fail_msg("client %d: %s", i, clients[i].failure);
    ok += clients[i].ok;
    for (int k = 0; k < LOAD_UPLOADS / LOAD_CLIENTS; k++) all[n++] = clients[i].ms[k];
  }
  assert_int_equal(ok, LOAD_UPLOADS);
  assert_int_equal(sql_count("SELECT count(*) FROM submissions"), subs + LOAD_UPLOADS);
  assert_int_equal(sql_count("SELECT count(*) FROM entries"), rows + LOAD_UPLOADS);
  assert_int_equal(sql_count("SELECT count(DISTINCT manifest_sha256) FROM submissions"),
                   subs + LOAD_UPLOADS);
  qsort(all, (size_t)n, sizeof *all, cmp_double);
  struct stat st;
  char one[450];
  snprintf(one, sizeof one, "%s/0.mlsb", dir);
  stat(one, &st);
  /* 201 rows of ss2 with one metric: they share one rank, the rows after skip past it */
  char *body, *table;
  assert_int_equal(get("/", &body), 200);
  table = table_of(body, "SingleStream");
  assert_true(count(table, "<td>ss2</td>") > LOAD_UPLOADS);
  check_ranks(table, true);
  free(table), free(body);
  print_message("load: %d uploads of %lld-byte bundles from %d clients, all stored; latency "
                "p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", LOAD_UPLOADS, (long long)st.st_size,
                LOAD_CLIENTS, all[n / 2], all[(n * 99) / 100], all[n - 1]);
}

/* ---- main ---------------------------------------------------------------------------------- */
static int make_run(const char *name, const char *workload, const char *scenario,
                    const char *duration, const char *k, const char *v, bool invalid) {
  char dir[400], log[400];
  path_of(dir, sizeof dir, name);
  path_of(log, sizeof log, "run.log");
  char *argv[] = {getenv("MLSB"), "run", "--workload", (char *)workload, "--scenario", (char *)scenario,
                  "--duration-ms", (char *)duration, "--out", dir, "--quiet", (char *)k,
                  (char *)v, NULL};
  int rc = run_argv(argv, log, log);
  if (rc == 0 || (invalid && rc == 3)) return 0;
  char *text = slurp(log, NULL);
  fprintf(stderr, "mlsysbench run (%s) exited %d:\n%s\n", name, rc, text ? text : "");
  free(text);
  return -1;
}

static int add_team(const char *name, char *token, size_t len) {
  char *out = NULL, file[400];
  int rc = mlsb(&out, NULL, "leaderboard", "add-team", name, "--db", db, NULL);
  if (rc != 0 || out == NULL || strncmp(out, "mlsb_", 5)) {
    fprintf(stderr, "add-team %s exited %d: %s\n", name, rc, out ? out : "");
    free(out);
    return -1;
  }
  snprintf(token, len, "%.*s", (int)strcspn(out, "\n"), out);
  snprintf(file, sizeof file, "%s/%s.token", tmpdir, name);
  FILE *f = fopen(file, "w");
  fprintf(f, "%s\n", token);
  fclose(f);
  free(out);
  return 0;
}

/* Start the server and read its port from its first line (10 s at most). */
static int start_server(void) {
  char log[400];
  path_of(log, sizeof log, "server.log");
  char *argv[] = {getenv("MLSB"), "leaderboard", "serve", "--db", db, "--port", "0",
                  "--bind", "127.0.0.1", "--max-upload", MAX_UPLOAD, "--threads", "4", NULL};
  server = spawn_argv(argv, log, log);
  char *text = wait_for(log, "serving http://127.0.0.1:");
  if (text == NULL) {
    fprintf(stderr, "the server did not start in 10 s\n");
    return -1;
  }
  const char *p = strstr(text, "serving http://127.0.0.1:");
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", atoi(p + strlen("serving http://127.0.0.1:")));
  free(text);
  return 0;
}

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/mlsb-board-XXXXXX");
  if (!mkdtemp(tmpdir)) return -1;
  if (!getenv("MLSB")) setenv("MLSB", "build/mlsysbench", 1);
  path_of(db, sizeof db, "board.sqlite");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (make_run("ss", "null", "singlestream", "50", "--min-queries", "100", false) ||
      make_run("ss2", "null", "singlestream", "20", "--min-queries", "100", false) ||
      make_run("ss3", "null", "singlestream", "30", "--min-queries", "100", false) ||
      make_run("srv", "null", "server", "300", "--target-qps", "2000", true) ||
      make_run("inv", "null", "offline", "100", "--target-qps", "20000", true) ||
      make_run("acc", "kws", "singlestream", "100", "--mode", "accuracy", false))
    return -1;
  if (add_team("owls", owls, sizeof owls) || add_team("bats", bats, sizeof bats)) return -1;
  return start_server();
}

static int teardown(void **state) {
  (void)state;
  int rc = -1;
  if (server > 0) {
    int status = stop_pid(server, SIGTERM, 20);
    char log[400], *text;
    path_of(log, sizeof log, "server.log");
    text = slurp(log, NULL);
    if (status == 0 && text && strstr(text, "leaderboard: SIGTERM, stopping") &&
        strstr(text, "leaderboard: stopped"))
      rc = 0;
    else
      fprintf(stderr, "the server exited %d on SIGTERM:\n%s\n", status, text ? text : "");
    free(text);
  }
  curl_global_cleanup();
  return remove_tree(tmpdir) || rc;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_upload_and_rows),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_page_without_script),
      cmocka_unit_test(test_page_in_chromium),
      cmocka_unit_test(test_load),
      cmocka_unit_test(test_cli_errors),
  };
  have_chromium = access(CHROMIUM, X_OK) == 0;
  return cmocka_run_group_tests_name("leaderboard", tests, setup, teardown);
}
