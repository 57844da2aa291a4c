/*
 * tests/harness/test_report_browser.c - `mlsysbench report` end to end, and the page
 * in a real browser. The binary is $MLSB (set by tests/run.sh).
 *
 * Without a browser (always run):
 *  - a real Server run folder (`run --workload delay ... --out DIR`), then
 *    `report DIR`: exit 0, "report: DIR/report.html" on stdout, the file written with
 *    no temporary file left beside it; `report DIR DIR -o FILE` writes a run set with
 *    the overlaid CDF; a run set (DIR/rep-NN) and an A/B folder (DIR/A, DIR/B) give one
 *    row per repetition, the A/B ones labelled "A rep-01" ...;
 *  - bad input exits 2 and names what is wrong: no folders, a missing folder, a
 *    folder without results.json, a results.json that is not JSON (file:line), a
 *    samples.csv with a bad row (file:line); nothing is written then.
 *
 * In headless Chromium (/usr/bin/chromium; flags --headless --no-sandbox --disable-gpu
 * --disable-quic --no-first-run --disable-background-networking
 * --disable-component-update --disable-sync, a fresh --user-data-dir per launch), the
 * report is loaded from file:// twice:
 *  - --screenshot --window-size=1280,2400: a PNG comes out (PNG signature, IHDR says
 *    1280 x 2400, more than 10 kB: a blank page compresses to about 5 kB);
 *  - --dump-dom: the DOM as the browser built it holds the five plots of a Server run
 *    (svg elements with data-plot histogram, cdf, latency-time, issue-delay-time,
 *    throughput-time), the summary table and heading, and VALID or INVALID.
 * Both launches run with --enable-logging=stderr --v=0, which makes Chromium log every
 * console message of the page to stderr as a line containing ":CONSOLE" (script
 * errors "Uncaught ...", Content-Security-Policy violations such as a blocked fetch or
 * inline script, console.* calls; INFO:CONSOLE or ERROR:CONSOLE depending on the
 * version). The page has no scripts and loads nothing, so the test asserts that
 * stderr has no line containing ":CONSOLE" and none containing "Uncaught". Chromium's
 * own ERROR lines (dbus, GPU in a container) are not about the page and are ignored.
 *
 * When /usr/bin/chromium is missing, the tests without a browser still run, then the
 * program prints "SKIP: chromium not installed (apt-get install chromium)" and exits
 * 77 (tests/run.sh counts it skipped) unless one of them failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/harness/proc.h"

static char tmpdir[256];
static char run_dir[300];

/* ---- helpers ------------------------------------------------------------------------ */
/* $MLSB with up to 15 arguments (NULL-terminated); stdout+stderr into *text (caller
 * frees). Returns the exit status. */
static int mlsb(char **text, ...) {
  char *argv[18], out[300];
  va_list ap;
  size_t n = 0;
  argv[n++] = getenv("MLSB");
  va_start(ap, text);
  for (char *a; n < 17 && (a = va_arg(ap, char *)) != NULL;) argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  snprintf(out, sizeof out, "%s/mlsb.log", tmpdir);
  int rc = run_argv(argv, out, out);
  *text = slurp(out, NULL);
  assert_non_null(*text);
  return rc;
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* ---- the run folder (made once, by setup) ------------------------------------------- */
static int make_run(void) {
  char *out = NULL;
  snprintf(run_dir, sizeof run_dir, "%s/server", tmpdir);
  char *argv[] = {getenv("MLSB"), "run", "--workload", "delay", "--set", "delay_us=100",
                  "--scenario", "server", "--target-qps", "500", "--duration-ms", "500",
                  "--out", run_dir, NULL};
  char log[300];
  snprintf(log, sizeof log, "%s/run.log", tmpdir);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1), dup2(fd, 2);
    execv(argv[0], argv);
    _exit(127);
  }
  int status;
  waitpid(pid, &status, 0);
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc != 0 && rc != 3) { /* VALID or INVALID both leave a complete folder */
    out = slurp(log, NULL);
    fprintf(stderr, "mlsysbench run exited %d:\n%s\n", rc, out ? out : "");
    free(out);
    return -1;
  }
  return 0;
}

/* ---- tests without a browser -------------------------------------------------------- */
static void test_report_writes_page(void **state) {
  (void)state;
  char *out, path[400], want[450];
  assert_int_equal(mlsb(&out, "report", run_dir, NULL), 0);
  snprintf(path, sizeof path, "%s/report.html", run_dir);
  snprintf(want, sizeof want, "report: %s\n", path);
  has(out, want);
  free(out);
  size_t len;
  char *page = slurp(path, &len);
  assert_non_null(page);
  assert_true(len > 10000);
  has(page, "<!DOCTYPE html>");
  assert_int_equal(count(page, "<svg"), 5);
  assert_int_equal(count(page, "http://") + count(page, "https://"), 0);
  free(page);
  /* no temporary file left in the folder */
  snprintf(path, sizeof path, "ls -a %s | grep -c tmp- >/dev/null", run_dir);
  assert_int_not_equal(system(path), 0);

  /* a run set (the same folder twice, with a trailing slash) */
  char set[400], dir_slash[310];
  snprintf(set, sizeof set, "%s/set.html", tmpdir);
  snprintf(dir_slash, sizeof dir_slash, "%s/", run_dir);
  assert_int_equal(mlsb(&out, "report", run_dir, dir_slash, "-o", set, NULL), 0);
  free(out);
  page = slurp(set, NULL);
  assert_non_null(page);
  assert_int_equal(count(page, "data-plot=\"cdf-overlay\""), 1);
  assert_int_equal(count(page, "<tr><td><a href=\"#run-"), 2);
  free(page);
}

/* A run set as `run --repeat 2` lays it out (DIR/rep-01, DIR/rep-02), and an A/B folder
 * as `run --repeat 2 --ab` does (DIR/A/rep-NN, DIR/B/rep-NN), made from the run folder. */
static void test_report_run_sets(void **state) {
  (void)state;
  char *out, set[400], ab[400], path[450], want[500];
  snprintf(set, sizeof set, "%s/set", tmpdir);
  snprintf(ab, sizeof ab, "%s/ab", tmpdir);
  sh("rm -rf %s %s && mkdir -p %s %s/A %s/B && for d in %s/rep-01 %s/rep-02 %s/A/rep-01 "
     "%s/A/rep-02 %s/B/rep-01 %s/B/rep-02; do cp -r %s $d && rm -f $d/report.html; done",
     set, ab, set, ab, ab, set, set, ab, ab, ab, ab, run_dir);
  assert_int_equal(mlsb(&out, "report", set, NULL), 0);
  snprintf(path, sizeof path, "%s/report.html", set);
  snprintf(want, sizeof want, "report: %s\n", path);
  has(out, want);
  free(out);
  char *page = slurp(path, NULL);
  assert_non_null(page);
  assert_int_equal(count(page, "<tr><td><a href=\"#run-"), 2); /* one row per repetition */
  has(page, "set/rep-01");
  has(page, "set/rep-02");
  free(page);
  assert_int_equal(mlsb(&out, "report", ab, NULL), 0);
  free(out);
  snprintf(path, sizeof path, "%s/report.html", ab);
  page = slurp(path, NULL);
  assert_non_null(page);
  assert_int_equal(count(page, "<tr><td><a href=\"#run-"), 4);
  has(page, "A rep-01");
  has(page, "A rep-02");
  has(page, "B rep-01");
  has(page, "B rep-02");
  free(page);
}

static void test_report_bad_input(void **state) {
  (void)state;
  char *out, dir[400], path[450], cmd[1400];
  assert_int_equal(mlsb(&out, "report", NULL), 2);
  has(out, "needs at least one run folder");
  free(out);
  assert_int_equal(mlsb(&out, "report", "--bogus", run_dir, NULL), 2);
  free(out);
  snprintf(dir, sizeof dir, "%s/nosuch", tmpdir);
  assert_int_equal(mlsb(&out, "report", dir, NULL), 2);
  has(out, dir);
  has(out, "No such file or directory");
  free(out);

  /* a folder without results.json */
  snprintf(dir, sizeof dir, "%s/empty", tmpdir);
  mkdir(dir, 0755);
  assert_int_equal(mlsb(&out, "report", dir, NULL), 2);
  snprintf(path, sizeof path, "%s/results.json", dir);
  has(out, path);
  free(out);

  /* results.json that is not JSON: file and line */
  snprintf(dir, sizeof dir, "%s/badjson", tmpdir);
  snprintf(cmd, sizeof cmd, "cp -r %s %s && rm -f %s/report.html", run_dir, dir, dir);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof path, "%s/results.json", dir);
  write_file(path, "{\n  \"schema\": \"mlsysbench.results\",\n  oops\n}\n");
  assert_int_equal(mlsb(&out, "report", dir, NULL), 2);
  snprintf(cmd, sizeof cmd, "%s/results.json:3:", dir);
  has(out, cmd);
  free(out);
  snprintf(path, sizeof path, "%s/report.html", dir);
  assert_false(exists(path));

  /* samples.csv with a bad row: file and line */
  snprintf(dir, sizeof dir, "%s/badcsv", tmpdir);
  snprintf(cmd, sizeof cmd, "cp -r %s %s && rm -f %s/report.html", run_dir, dir, dir);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof path, "%s/samples.csv", dir);
  write_file(path, "index,sample_index,scheduled_ns,issued_ns,completed_ns,latency_ns,"
                   "issue_delay_ns\n0,1,100,150,300,200,50\n1,2,x,150,300,200,50\n");
  assert_int_equal(mlsb(&out, "report", dir, NULL), 2);
  snprintf(cmd, sizeof cmd, "%s/samples.csv:3:", dir);
  has(out, cmd);
  free(out);
  snprintf(path, sizeof path, "%s/report.html", dir);
  assert_false(exists(path));

  /* an output that cannot be written: exit 1, naming it */
  snprintf(path, sizeof path, "%s/nosuch/r.html", tmpdir);
  assert_int_equal(mlsb(&out, "report", run_dir, "-o", path, NULL), 1);
  has(out, path);
  free(out);
  assert_int_equal(mlsb(&out, "report", "--help", NULL), 0);
  has(out, "SYNOPSIS");
  free(out);
}

/* ---- in Chromium ------------------------------------------------------------------ */
/* Chromium on the report with one extra mode flag (tests/harness/proc.h). */
static void chromium(const char *mode_flag, const char *tag, char *out, char *err, size_t len) {
  char url[400];
  snprintf(url, sizeof url, "file://%s/report.html", run_dir);
  chromium_run(tmpdir, url, mode_flag, tag, out, err, len);
}

static void test_screenshot(void **state) {
  (void)state;
  char png[400], flag[450], out[400], err[400];
  snprintf(png, sizeof png, "%s/report.png", tmpdir);
  snprintf(flag, sizeof flag, "--screenshot=%s", png);
  chromium(flag, "shot", out, err, sizeof out);
  size_t len = 0;
  unsigned char *p = (unsigned char *)slurp(png, &len);
  if (p == NULL) fail_msg("no screenshot at %s", png);
  assert_true(len > 10 * 1024);
  assert_memory_equal(p, "\x89PNG\r\n\x1a\n", 8);
  assert_memory_equal(p + 12, "IHDR", 4);
  uint32_t w = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 | p[19];
  uint32_t h = (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23];
  assert_int_equal(w, 1280);
  assert_int_equal(h, 2400);
  print_message("screenshot: %s (%zu bytes)\n", png, len);
  free(p);
  chromium_no_console_messages(err);
}

static void test_dom(void **state) {
  (void)state;
  char out[400], err[400];
  chromium("--dump-dom", "dom", out, err, sizeof out);
  char *dom = slurp(out, NULL);
  assert_non_null(dom);
  const char *plots[] = {"histogram", "cdf", "latency-time", "issue-delay-time",
                         "throughput-time"};
  for (size_t i = 0; i < 5; i++) {
    char a[64];
    snprintf(a, sizeof a, "<svg class=\"plot\" data-plot=\"%s\"", plots[i]);
    assert_int_equal(count(dom, a), 1);
  }
  assert_int_equal(count(dom, "<svg"), 5);
  assert_true(count(dom, "<path class=\"dots\"") == 2); /* the two scatters */
  has(dom, "<h2 id=\"summary\">Summary</h2>");
  has(dom, "<table class=\"summary\">");
  has(dom, "delay");
  has(dom, "Server");
  assert_true(strstr(dom, ">VALID</span>") || strstr(dom, ">INVALID</span>"));
  free(dom);
  chromium_no_console_messages(err);
}

/* ---- main ------------------------------------------------------------------------- */
static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/mlsb-report-XXXXXX");
  if (!mkdtemp(tmpdir)) return -1;
  if (!getenv("MLSB")) setenv("MLSB", "build/mlsysbench", 1);
  return make_run();
}

static int teardown(void **state) {
  (void)state;
  return remove_tree(tmpdir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_report_writes_page), /* also writes the page the browser loads */
      cmocka_unit_test(test_report_bad_input),
      cmocka_unit_test(test_report_run_sets),
      cmocka_unit_test(test_screenshot),
      cmocka_unit_test(test_dom),
  };
  const struct CMUnitTest without_browser[] = {
      cmocka_unit_test(test_report_writes_page),
      cmocka_unit_test(test_report_bad_input),
      cmocka_unit_test(test_report_run_sets),
  };
  if (access(CHROMIUM, X_OK) != 0) {
    int failed = cmocka_run_group_tests_name("report_cli", without_browser, setup, teardown);
    printf("SKIP: chromium not installed (apt-get install chromium)\n");
    return failed ? 1 : 77;
  }
  return cmocka_run_group_tests_name("report_browser", tests, setup, teardown);
}
