/*
 * tests/reports/test_detail.c - detail.log: every line parses back as a JSON object
 * with time_ms (non-decreasing), key and value; strings with quotes and newlines
 * survive; settings are objects; lines from several threads never interleave.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "reports/detail.h"

static char path[] = "/tmp/rpt-detail-XXXXXX";

static int setup(void **state) {
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

static int teardown(void **state) { return unlink(path); }

/* Parse every line of the log; returns the count, lines[] owned by the caller. */
static size_t read_lines(json_object **lines, size_t max) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char *line = NULL;
  size_t cap = 0, n = 0;
  double last_ms = 0;
  while (getline(&line, &cap, f) > 0) {
    assert_true(n < max);
    json_object *o = json_tokener_parse(line), *v;
    if (o == NULL) fail_msg("line %zu is not JSON: %s", n + 1, line);
    assert_true(json_object_is_type(o, json_type_object));
    assert_true(json_object_object_get_ex(o, "time_ms", &v));
    assert_true(json_object_is_type(v, json_type_double));
    assert_true(json_object_get_double(v) >= last_ms);
    last_ms = json_object_get_double(v);
    assert_true(json_object_object_get_ex(o, "key", &v));
    assert_true(json_object_is_type(v, json_type_string));
    assert_true(json_object_object_get_ex(o, "value", &v));
    lines[n++] = o;
  }
  free(line);
  fclose(f);
  return n;
}

static const char *key_of(json_object *o) {
  json_object *v;
  json_object_object_get_ex(o, "key", &v);
  return json_object_get_string(v);
}

static json_object *value_of(json_object *o) {
  json_object *v;
  json_object_object_get_ex(o, "value", &v);
  return v;
}

static void test_lines_parse_back(void **state) {
  rpt_detail *d;
  char err[256] = "";
  assert_int_equal(rpt_detail_open(&d, path, err, sizeof err), RPT_OK);
  assert_string_equal(rpt_detail_path(d), path);
  assert_int_equal(rpt_detail_log(d, "event", "run \"started\"\nsecond line\t/ok"), RPT_OK);
  assert_int_equal(rpt_detail_logf(d, "error", "sut %s failed: %d", "cpu", -3), RPT_OK);
  assert_int_equal(rpt_detail_log_setting(d, "min_duration_ms", "600000", "user.conf:7"), RPT_OK);
  assert_int_equal(rpt_detail_log_setting(d, "ignored_key", NULL, NULL), RPT_OK);
  json_object *n = json_object_new_uint64(18446744073709551615u);
  assert_int_equal(rpt_detail_log_json(d, "samples_issued", n), RPT_OK);
  json_object_put(n); /* borrowed: still ours */
  assert_int_equal(rpt_detail_log(d, "nothing", NULL), RPT_OK);
  assert_int_equal(rpt_detail_log(d, NULL, "x"), RPT_EINVAL);
  assert_int_equal(rpt_detail_close(d), RPT_OK);

  json_object *lines[16];
  size_t count = read_lines(lines, 16);
  assert_int_equal(count, 7);
  assert_string_equal(key_of(lines[0]), "log_start");
  assert_int_equal(strlen(json_object_get_string(value_of(lines[0]))), 20); /* ISO-8601 UTC */
  assert_string_equal(json_object_get_string(value_of(lines[1])),
                      "run \"started\"\nsecond line\t/ok");
  assert_string_equal(key_of(lines[2]), "error");
  assert_string_equal(json_object_get_string(value_of(lines[2])), "sut cpu failed: -3");
  json_object *s = value_of(lines[3]), *v;
  assert_string_equal(key_of(lines[3]), "setting");
  json_object_object_get_ex(s, "key", &v);
  assert_string_equal(json_object_get_string(v), "min_duration_ms");
  json_object_object_get_ex(s, "source", &v);
  assert_string_equal(json_object_get_string(v), "user.conf:7");
  json_object_object_get_ex(value_of(lines[4]), "value", &v);
  assert_null(v);
  assert_true(json_object_get_uint64(value_of(lines[5])) == 18446744073709551615u);
  assert_null(value_of(lines[6]));
  for (size_t i = 0; i < count; i++) json_object_put(lines[i]);
}

enum { THREADS = 4, PER_THREAD = 500 };

static void *logger(void *arg) {
  for (int i = 0; i < PER_THREAD; i++) rpt_detail_logf(arg, "progress", "line %d of a thread", i);
  return NULL;
}

static void test_threads(void **state) {
  rpt_detail *d;
  assert_int_equal(rpt_detail_open(&d, path, NULL, 0), RPT_OK);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, logger, d);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  assert_int_equal(rpt_detail_close(d), RPT_OK);
  static json_object *lines[THREADS * PER_THREAD + 1];
  size_t count = read_lines(lines, THREADS * PER_THREAD + 1);
  assert_int_equal(count, THREADS * PER_THREAD + 1);
  for (size_t i = 0; i < count; i++) json_object_put(lines[i]);
}

static void test_open_errors(void **state) {
  rpt_detail *d = (rpt_detail *)1;
  char err[256] = "";
  assert_int_equal(rpt_detail_open(&d, "/nonexistent/detail.log", err, sizeof err), RPT_EIO);
  assert_null(d);
  assert_non_null(strstr(err, "/nonexistent/detail.log"));
  assert_non_null(strstr(err, "No such file"));
  assert_int_equal(rpt_detail_close(NULL), RPT_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines_parse_back),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_open_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
