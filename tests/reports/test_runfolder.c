/*
 * tests/reports/test_runfolder.c - run folders: default names, a hidden temporary
 * folder while writing, rename on commit, -2/-3 suffixes on collision (an existing
 * empty folder is not replaced), abort and destroy removing the temporary folder with
 * its files, errors that name the path and the errno text, and recognising a run set
 * (rep-01, rep-02, ... counted while consecutive) and an A/B folder of two sets.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "reports/runfolder.h"

static char parent[] = "/tmp/rpt-runfolder-XXXXXX";

static int setup(void **state) { return mkdtemp(parent) ? 0 : -1; }

static int teardown(void **state) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", parent);
  return system(cmd);
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Number of entries in parent whose name starts with prefix. */
static int count_entries(const char *prefix) {
  DIR *d = opendir(parent);
  assert_non_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
  closedir(d);
  return n;
}

static void touch(const rpt_runfolder *rf, const char *file) {
  char path[512];
  assert_int_equal(rpt_runfolder_file(rf, file, path, sizeof path), RPT_OK);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("x\n", f);
  fclose(f);
}

static void test_name(void **state) {
  char buf[64];
  assert_int_equal(rpt_runfolder_name(buf, sizeof buf, 1795594500, "kws", "Server"), RPT_OK);
  assert_string_equal(buf, "20261125-081500-kws-server");
  assert_int_equal(rpt_runfolder_name(buf, sizeof buf, 0, "My Model/v2", NULL), RPT_OK);
  assert_string_equal(buf, "19700101-000000-my-model-v2");
  assert_int_equal(rpt_runfolder_name(buf, 20, 0, "kws", "SingleStream"), RPT_EINVAL);
}

static void test_commit_renames(void **state) {
  rpt_runfolder *rf;
  char err[512] = "", final[512];
  assert_int_equal(rpt_runfolder_begin(parent, "run-a", &rf, err, sizeof err), RPT_OK);
  const char *tmp = rpt_runfolder_path(rf);
  char tmp_copy[512];
  snprintf(tmp_copy, sizeof tmp_copy, "%s", tmp);
  assert_non_null(strstr(tmp, "/.run-a.tmp-"));
  assert_true(is_dir(tmp));
  assert_int_equal(count_entries("run-a"), 0); /* invisible until commit */
  touch(rf, "summary.txt");
  assert_int_equal(rpt_runfolder_commit(rf, err, sizeof err), RPT_OK);
  snprintf(final, sizeof final, "%s/run-a", parent);
  assert_string_equal(rpt_runfolder_path(rf), final);
  assert_false(is_dir(tmp_copy));
  snprintf(final, sizeof final, "%s/run-a/summary.txt", parent);
  assert_int_equal(access(final, R_OK), 0);
  assert_int_equal(rpt_runfolder_commit(rf, err, sizeof err), RPT_EINVAL);
  assert_int_equal(rpt_runfolder_abort(rf, err, sizeof err), RPT_EINVAL);
  rpt_runfolder_destroy(rf);
  assert_int_equal(access(final, R_OK), 0); /* destroy keeps a committed folder */
}

static void test_collision_suffix(void **state) {
  char err[512] = "", want[512];
  snprintf(want, sizeof want, "%s/same-2", parent);
  assert_int_equal(mkdir(want, 0755), 0); /* an empty folder that must not be replaced */
  snprintf(want, sizeof want, "%s/same-2/keep", parent);
  for (int i = 1; i <= 3; i++) {
    rpt_runfolder *rf;
    assert_int_equal(rpt_runfolder_begin(parent, "same", &rf, err, sizeof err), RPT_OK);
    touch(rf, "results.json");
    assert_int_equal(rpt_runfolder_commit(rf, err, sizeof err), RPT_OK);
    char expect[512];
    if (i == 1) snprintf(expect, sizeof expect, "%s/same", parent);
    else snprintf(expect, sizeof expect, "%s/same-%d", parent, i + 1);
    assert_string_equal(rpt_runfolder_path(rf), expect);
    rpt_runfolder_destroy(rf);
  }
  snprintf(want, sizeof want, "%s/same-2/results.json", parent);
  assert_int_not_equal(access(want, F_OK), 0); /* same-2 was left alone */
  assert_int_equal(count_entries("same"), 4);   /* same, same-2 (ours), same-3, same-4 */
  assert_int_equal(count_entries(".same"), 0);
}

static void test_abort_and_destroy_remove(void **state) {
  rpt_runfolder *rf;
  char err[512] = "", tmp[512];
  assert_int_equal(rpt_runfolder_begin(parent, "gone", &rf, err, sizeof err), RPT_OK);
  snprintf(tmp, sizeof tmp, "%s", rpt_runfolder_path(rf));
  touch(rf, "samples.csv");
  char sub[600];
  snprintf(sub, sizeof sub, "%s/plots", tmp);
  assert_int_equal(mkdir(sub, 0755), 0);
  assert_int_equal(rpt_runfolder_abort(rf, err, sizeof err), RPT_OK);
  assert_false(is_dir(tmp));
  assert_null(rpt_runfolder_path(rf));
  assert_int_equal(rpt_runfolder_commit(rf, err, sizeof err), RPT_EINVAL);
  rpt_runfolder_destroy(rf);

  assert_int_equal(rpt_runfolder_begin(parent, "dropped", &rf, err, sizeof err), RPT_OK);
  touch(rf, "detail.log");
  rpt_runfolder_destroy(rf); /* never committed: removed */
  assert_int_equal(count_entries(".dropped"), 0);
  assert_int_equal(count_entries("dropped"), 0);
  rpt_runfolder_destroy(NULL);
}

static void test_errors(void **state) {
  rpt_runfolder *rf = (rpt_runfolder *)1;
  char err[512] = "";
  assert_int_equal(rpt_runfolder_begin("/nonexistent/runs", "x", &rf, err, sizeof err), RPT_EIO);
  assert_null(rf);
  assert_non_null(strstr(err, "/nonexistent/runs/.x.tmp-"));
  assert_non_null(strstr(err, "No such file or directory"));
  const char *bad[] = {"", ".hidden", "a/b"};
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(rpt_runfolder_begin(parent, bad[i], &rf, err, sizeof err), RPT_EINVAL);
  assert_int_equal(rpt_runfolder_begin(parent, NULL, &rf, err, sizeof err), RPT_EINVAL);
}

/* mkdir -p parent/rel and put an empty results.json there when with_results. */
static void make_dir(const char *rel, bool with_results) {
  char path[512], cmd[700];
  snprintf(path, sizeof path, "%s/%s", parent, rel);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'%s%s%s", path, with_results ? " && : > '" : "",
           with_results ? path : "", with_results ? "/results.json'" : "");
  assert_int_equal(system(cmd), 0);
}

static void test_run_sets(void **state) {
  (void)state;
  char path[512];
  make_dir("sets/run", true);              /* a run folder */
  make_dir("sets/three/rep-01", true);     /* a run set of 3; rep-05 after a gap not counted */
  make_dir("sets/three/rep-02", true);
  make_dir("sets/three/rep-03", true);
  make_dir("sets/three/rep-05", true);
  make_dir("sets/norep/rep-01", false);    /* rep-01 without results.json: not a set */
  make_dir("sets/ab/A/rep-01", true);
  make_dir("sets/ab/B/rep-01", true);
  make_dir("sets/ab/B/rep-02", true);
  make_dir("sets/aonly/A/rep-01", true);
  const struct { const char *rel; size_t reps; bool ab; } want[] = {
      {"sets/run", 0, false},   {"sets/three", 3, false}, {"sets/norep", 0, false},
      {"sets/ab", 0, true},     {"sets/ab/B", 2, false},  {"sets/aonly", 0, false},
      {"sets/nosuch", 0, false}};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    snprintf(path, sizeof path, "%s/%s", parent, want[i].rel);
    assert_int_equal(rpt_runfolder_set_reps(path), want[i].reps);
    assert_int_equal(rpt_runfolder_is_ab(path), want[i].ab);
  }
  assert_int_equal(rpt_runfolder_set_reps(NULL), 0);
  assert_false(rpt_runfolder_is_ab(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_name),
      cmocka_unit_test(test_commit_renames),
      cmocka_unit_test(test_collision_suffix),
      cmocka_unit_test(test_abort_and_destroy_remove),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_run_sets),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
