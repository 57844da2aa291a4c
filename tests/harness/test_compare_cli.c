/*
 * tests/harness/test_compare_cli.c - end-to-end tests of `mlsysbench compare`, as a CI
 * job runs it: run folders made by `mlsysbench run --workload delay`, a slower run
 * (delay_us 600 vs 200) found slower with exit 1, identical folders exit 0, runs that
 * are not comparable (workload parameter, scenario) exit 2 listing each difference, a
 * parameter set to its default is no difference,
 * --force, --json, the seed, and bad input named by file and line.
 * The binary is $MLSB (set by tests/run.sh).
 *
 * Two real runs with the same settings are not guaranteed to agree in their tails or
 * throughput on a shared machine (other processes preempt the SUT), so between them
 * only the median's verdict is checked; exact verdicts come from comparing a folder
 * with a copy of itself.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static char tmpdir[256];
static char out[65536];

/* Run $MLSB with args; stdout+stderr into out. Returns the exit status. */
static int mlsb(const char *fmt, ...) {
  char args[2048], cmd[4096], log[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  snprintf(log, sizeof log, "%s/out.log", tmpdir);
  snprintf(cmd, sizeof cmd, "exec %s %s >%s 2>&1", getenv("MLSB"), args, log);
  int status = system(cmd);
  FILE *f = fopen(log, "r");
  size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
  out[n] = '\0';
  if (f) fclose(f);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* tmpdir/name */
static const char *path(const char *name) {
  static char buf[4][400];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
  return buf[i];
}

static void sh(const char *fmt, ...) {
  char cmd[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  assert_int_equal(system(cmd), 0);
}

/* A run folder tmpdir/name; false (with the output on stderr) when the run failed. */
static bool make_run(const char *name, const char *args) {
  int rc = mlsb("run --workload delay --duration-ms 300 --min-queries 200 --out %s %s",
                path(name), args);
  if (rc != 0) fprintf(stderr, "run %s: exit %d\n%s", name, rc, out);
  return rc == 0;
}

/* The verdict of a metric's table row ("p50 latency ... slower"). */
static const char *row_verdict(const char *label) {
  static char v[64];
  const char *row = strstr(out, label);
  if (row == NULL) fail_msg("no row '%s' in:\n%s", label, out);
  const char *eol = strchr(row, '\n');
  size_t len = eol ? (size_t)(eol - row) : strlen(row);
  const char *names[] = {"no significant change", "slower", "faster", "not tested"};
  for (size_t i = 0; i < 4; i++) {
    const char *hit = strstr(row, names[i]);
    if (hit && hit < row + len) return snprintf(v, sizeof v, "%s", names[i]), v;
  }
  fail_msg("row '%.*s' has no verdict", (int)len, row);
  return NULL;
}

static void expect(int rc, int want) {
  if (rc != want) fail_msg("exit %d, wanted %d:\n%s", rc, want, out);
}

static void expect_text(const char *want) {
  if (!strstr(out, want)) fail_msg("output lacks '%s':\n%s", want, out);
}

static void test_identical_folders_no_change(void **state) {
  sh("cp -r %s %s", path("a"), path("a-copy"));
  expect(mlsb("compare %s %s", path("a"), path("a-copy")), 0);
  const char *rows[] = {"throughput", "p50 latency", "p90 latency", "p99 latency"};
  for (size_t i = 0; i < 4; i++) assert_string_equal(row_verdict(rows[i]), "no significant change");
  expect_text("verdict: no significant change");
  expect_text("99% CI");
}

/* Two separate runs with the same settings are comparable and get a verdict per metric.
 * Whether they differ is the shared machine's business (identical runs on a loaded VM
 * differ by tens of percent), so only the identical-folder test above pins the verdict. */
static void test_same_settings_comparable(void **state) {
  int rc = mlsb("compare --threshold 10%% %s %s", path("a"), path("b"));
  if (rc != 0 && rc != 1) fail_msg("exit %d:\n%s", rc, out);
  const char *v = row_verdict("p50 latency");
  assert_true(!strcmp(v, "no significant change") || !strcmp(v, "faster") || !strcmp(v, "slower"));
  expect_text("Mann-Whitney U");
}

static void test_slower_run_refused_then_forced(void **state) {
  expect(mlsb("compare %s %s", path("a"), path("slow")), 2);
  expect_text("workload param delay_us: baseline 200, new 600");
  expect_text("--force");
  expect(mlsb("compare %s %s --force --json %s", path("a"), path("slow"), path("c.json")), 1);
  assert_string_equal(row_verdict("p50 latency"), "slower");
  expect_text("verdict: regression");
  json_object *j = json_object_from_file(path("c.json")), *v, *m;
  assert_non_null(j);
  assert_true(json_object_object_get_ex(j, "verdict", &v));
  assert_string_equal(json_object_get_string(v), "regression");
  assert_true(json_object_object_get_ex(j, "differences", &v));
  assert_int_equal(json_object_array_length(v), 1);
  assert_true(json_object_object_get_ex(json_object_array_get_idx(v, 0), "key", &v));
  assert_string_equal(json_object_get_string(v), "workload param delay_us");
  assert_true(json_object_object_get_ex(j, "metrics", &m));
  assert_true(json_object_object_get_ex(json_object_array_get_idx(m, 1), "verdict", &v));
  assert_string_equal(json_object_get_string(v), "slower");
  assert_true(json_object_object_get_ex(json_object_array_get_idx(m, 1), "change", &v));
  assert_true(json_object_get_double(v) > 0.5); /* ~ +200 %; more than +50 % even under sanitizers */
  json_object_put(j);
  mlsb("compare %s %s --force", path("slow"), path("a")); /* the other way round */
  assert_string_equal(row_verdict("p50 latency"), "faster");
}

/* delay_dist=fixed is the default: naming it does not make runs incomparable. */
static void test_explicit_default_parameter_comparable(void **state) {
  int rc = mlsb("compare %s %s", path("a"), path("fixed"));
  if (rc != 0 && rc != 1) fail_msg("exit %d:\n%s", rc, out);
  assert_null(strstr(out, "delay_dist"));
  expect_text("p50 latency");
}

static void test_scenario_mismatch(void **state) {
  expect(mlsb("compare %s %s", path("server"), path("a")), 2);
  expect_text("scenario: baseline Server, new SingleStream");
  expect_text("not comparable");
  assert_null(strstr(out, "p50 latency"));
}

static char *slurp(const char *p) {
  FILE *f = fopen(p, "r");
  assert_non_null(f);
  char *buf = calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void test_seed_reproducible(void **state) {
  mlsb("compare %s %s --seed 7 --json %s", path("a"), path("b"), path("s1.json"));
  mlsb("compare %s %s --seed 7 --json %s", path("a"), path("b"), path("s2.json"));
  char *x = slurp(path("s1.json")), *y = slurp(path("s2.json"));
  assert_string_equal(x, y);
  assert_non_null(strstr(x, "\"seed\": 7"));
  free(x);
  free(y);
}

static void test_bad_input(void **state) {
  expect(mlsb("compare %s %s", path("a"), path("nosuch")), 2);
  expect_text(path("nosuch"));
  expect_text("cannot open run folder");
  sh("cp -r %s %s && printf '{\\n  \"schema\": 3\\n' > %s/results.json", path("a"), path("broken"),
     path("broken"));
  expect(mlsb("compare %s %s", path("broken"), path("a")), 2);
  expect_text("broken/results.json");
  sh("cp -r %s %s && sed -i '3s/.*/2,1,x,5,6,7,8/' %s/samples.csv", path("a"), path("badcsv"),
     path("badcsv"));
  expect(mlsb("compare %s %s", path("a"), path("badcsv")), 2);
  expect_text("badcsv/samples.csv:3");
  /* an A/B folder of `run --repeat --ab`: say which two sets to compare */
  char ab[400], a[400];
  snprintf(ab, sizeof ab, "%s", path("ab"));
  snprintf(a, sizeof a, "%s", path("a"));
  sh("rm -rf %s && mkdir -p %s/A %s/B && cp -r %s %s/A/rep-01 && cp -r %s %s/B/rep-01", ab, ab,
     ab, a, ab, a, ab);
  expect(mlsb("compare %s %s", ab, a), 2);
  expect_text("ab holds two run sets, A and B: compare ");
  expect_text("ab/A ");
  expect(mlsb("compare %s", path("a")), 2);
  expect_text("needs two run folders");
  expect(mlsb("compare %s %s --threshold lots", path("a"), path("b")), 2);
  expect_text("--threshold 'lots'");
  expect(mlsb("compare %s %s --json %s/no/such/dir.json", path("a"), path("a-copy"), tmpdir), 2);
  expect_text("no/such/dir.json");
  expect(mlsb("compare --help"), 0);
  expect_text("EXIT STATUS");
}

static int setup(void **state) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/mlsb-compare-XXXXXX");
  if (!mkdtemp(tmpdir)) return -1;
  if (!getenv("MLSB")) setenv("MLSB", "build/mlsysbench", 1);
  bool ok = make_run("a", "--set delay_us=200 --scenario singlestream") &&
            make_run("b", "--set delay_us=200 --scenario singlestream") &&
            make_run("fixed", "--set delay_us=200 --set delay_dist=fixed --scenario singlestream") &&
            make_run("slow", "--set delay_us=600 --scenario singlestream") &&
            make_run("server", "--set delay_us=200 --scenario server --target-qps 500 --set early_stopping=0 "
                     "--set target_latency=10000"); /* VALID on a busy machine too */
  return ok ? 0 : -1;
}

static int teardown(void **state) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_identical_folders_no_change),
      cmocka_unit_test(test_same_settings_comparable),
      cmocka_unit_test(test_slower_run_refused_then_forced),
      cmocka_unit_test(test_explicit_default_parameter_comparable),
      cmocka_unit_test(test_scenario_mismatch),
      cmocka_unit_test(test_seed_reproducible),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
