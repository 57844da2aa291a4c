/*
 * tests/reports/test_samples.c - samples.csv: exact text of rows (a lost sample has
 * empty completed_ns and latency_ns), the read-back equals what was written, malformed
 * rows are rejected with file:line, and 1,000,000 rows go out in well under a second.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "reports/samples.h"

static char dir[] = "/tmp/rpt-samples-XXXXXX";

static int setup(void **state) { return mkdtemp(dir) ? 0 : -1; }

static int teardown(void **state) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd);
}

static void path_of(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "%s/%s", dir, name);
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static const rpt_sample rows[] = {
    {.scheduled_ns = 0, .issued_ns = 15, .completed_ns = 1000, .sample_index = 7},
    {.scheduled_ns = 500, .issued_ns = 520, .completed_ns = 0, .sample_index = 3, .lost = true},
    {.scheduled_ns = 18446744073709551000u, .issued_ns = 18446744073709551001u,
     .completed_ns = 18446744073709551615u, .sample_index = 4294967295u},
    {.scheduled_ns = 900, .issued_ns = 890, .completed_ns = 2000, .sample_index = 0}, /* early */
};
#define NROWS (sizeof rows / sizeof rows[0])

static void test_text_of_rows(void **state) {
  char path[256], err[256] = "";
  path_of(path, sizeof path, "rows.csv");
  assert_int_equal(rpt_samples_write_array(path, rows, NROWS, err, sizeof err), RPT_OK);
  assert_string_equal(read_all(path),
                      "index,sample_index,scheduled_ns,issued_ns,completed_ns,latency_ns,"
                      "issue_delay_ns\n"
                      "0,7,0,15,1000,1000,15\n"
                      "1,3,500,520,,,20\n"
                      "2,4294967295,18446744073709551000,18446744073709551001,"
                      "18446744073709551615,615,1\n"
                      "3,0,900,890,2000,1100,-10\n");
}

static void test_read_back(void **state) {
  char path[256], err[256] = "";
  rpt_sample *back = NULL;
  size_t n = 0;
  path_of(path, sizeof path, "back.csv");
  assert_int_equal(rpt_samples_write_array(path, rows, NROWS, err, sizeof err), RPT_OK);
  assert_int_equal(rpt_samples_read(path, &back, &n, err, sizeof err), RPT_OK);
  assert_int_equal(n, NROWS);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(back[i].scheduled_ns, rows[i].scheduled_ns);
    assert_int_equal(back[i].issued_ns, rows[i].issued_ns);
    assert_int_equal(back[i].sample_index, rows[i].sample_index);
    assert_int_equal(back[i].lost, rows[i].lost);
    assert_int_equal(back[i].completed_ns, rows[i].lost ? 0 : rows[i].completed_ns);
  }
  free(back);
}

static void test_empty_run(void **state) {
  char path[256], err[256] = "";
  rpt_sample *back = (rpt_sample *)1;
  size_t n = 99;
  path_of(path, sizeof path, "empty.csv");
  assert_int_equal(rpt_samples_write_array(path, NULL, 0, err, sizeof err), RPT_OK);
  assert_int_equal(rpt_samples_read(path, &back, &n, err, sizeof err), RPT_OK);
  assert_int_equal(n, 0);
  assert_null(back);
}

/* Write `body` after the header (when with_header) and expect status with needles. */
static void expect_bad(const char *name, bool with_header, const char *body, ...) {
  char path[256], err[512] = "", where[300];
  path_of(path, sizeof path, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  if (with_header) fprintf(f, "%s\n", rpt_samples_header);
  fputs(body, f);
  fclose(f);
  rpt_sample *back = (rpt_sample *)1;
  size_t n = 99;
  assert_int_equal(rpt_samples_read(path, &back, &n, err, sizeof err), RPT_EFORMAT);
  assert_null(back);
  assert_int_equal(n, 0);
  va_list ap;
  va_start(ap, body);
  int line = va_arg(ap, int);
  if (line > 0)
    snprintf(where, sizeof where, "%s:%d: ", path, line);
  else
    snprintf(where, sizeof where, "%s: ", path);
  if (strstr(err, where) == NULL) fail_msg("'%s' not in message: %s", where, err);
  for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;)
    if (strstr(err, needle) == NULL) fail_msg("'%s' not in message: %s", needle, err);
  va_end(ap);
}

static void test_malformed_rows(void **state) {
  expect_bad("letters.csv", true, "0,7,0,15,1000,1000,15\n1,3,5x0,520,,,20\n", 3,
             "scheduled_ns", "5x0", NULL);
  expect_bad("short.csv", true, "0,7,0,15,1000,1000,15\n0,7,0,15\n", 3, "expected 7 fields",
             "found 4", NULL);
  expect_bad("latency.csv", true, "0,7,0,15,1000,999,15\n", 2, "latency_ns", "999", NULL);
  expect_bad("half.csv", true, "0,7,0,15,1000,,15\n", 2, "completed_ns", NULL);
  expect_bad("order.csv", true, "0,7,0,15,1000,1000,15\n5,7,0,15,1000,1000,15\n", 3, "index",
             NULL);
  expect_bad("neg.csv", true, "0,7,-1,15,1000,1001,16\n", 2, "scheduled_ns", NULL);
  expect_bad("header.csv", false, "index,sample,scheduled_ns,issued_ns,completed_ns,"
             "latency_ns,issue_delay_ns\n", 1, "header", "sample", NULL);
  expect_bad("blank.csv", false, "", 0, "empty file", NULL);
  expect_bad("quote.csv", true, "0,7,0,15,1000,\"10\"00,15\n", 2, NULL);
}

static void from_rows(void *ctx, size_t i, rpt_sample *out) {
  *out = ((const rpt_sample *)ctx)[i];
}

/* Token columns: first token, TTFT, tokens and TPOT, empty where undefined; read back
 * with the derived columns checked. */
static void test_token_columns(void **state) {
  static const rpt_sample tok[] = {
      {.scheduled_ns = 100, .issued_ns = 110, .completed_ns = 9100, .sample_index = 1,
       .first_token_ns = 1100, .n_tokens = 5},
      {.scheduled_ns = 200, .issued_ns = 210, .completed_ns = 700, .sample_index = 2,
       .first_token_ns = 700, .n_tokens = 1},
      {.scheduled_ns = 300, .issued_ns = 310, .completed_ns = 0, .sample_index = 3, .lost = true},
      {.scheduled_ns = 400, .issued_ns = 410, .completed_ns = 900, .sample_index = 4,
       .n_tokens = 3},
  };
  char path[256], err[256] = "";
  path_of(path, sizeof path, "tokens.csv");
  assert_int_equal(rpt_samples_write_tokens(path, 4, from_rows, (void *)tok, err, sizeof err),
                   RPT_OK);
  assert_string_equal(read_all(path),
                      "index,sample_index,scheduled_ns,issued_ns,completed_ns,latency_ns,"
                      "issue_delay_ns,first_token_ns,ttft_ns,tokens,tpot_ns\n"
                      "0,1,100,110,9100,9000,10,1100,1000,5,2000\n"
                      "1,2,200,210,700,500,10,700,500,1,\n"
                      "2,3,300,310,,,10,,,,\n"
                      "3,4,400,410,900,500,10,,,3,\n");
  rpt_sample *back;
  size_t n;
  assert_int_equal(rpt_samples_read(path, &back, &n, err, sizeof err), RPT_OK);
  assert_int_equal(n, 4);
  assert_int_equal(back[0].first_token_ns, 1100);
  assert_int_equal(back[0].n_tokens, 5);
  assert_int_equal(back[3].first_token_ns, 0);
  assert_int_equal(back[3].n_tokens, 3);
  free(back);
  expect_bad("tpot.csv", false, "index,sample_index,scheduled_ns,issued_ns,completed_ns,"
             "latency_ns,issue_delay_ns,first_token_ns,ttft_ns,tokens,tpot_ns\n"
             "0,1,100,110,9100,9000,10,1100,1000,5,2001\n", 2, "tpot_ns", "2001", NULL);
  expect_bad("ttft.csv", false, "index,sample_index,scheduled_ns,issued_ns,completed_ns,"
             "latency_ns,issue_delay_ns,first_token_ns,ttft_ns,tokens,tpot_ns\n"
             "0,1,100,110,9100,9000,10,,1000,5,\n", 2, "ttft_ns", NULL);
}

static void test_missing_file(void **state) {
  char err[256] = "";
  rpt_sample *back;
  size_t n;
  assert_int_equal(rpt_samples_read("/nonexistent/samples.csv", &back, &n, err, sizeof err),
                   RPT_EIO);
  assert_non_null(strstr(err, "/nonexistent/samples.csv"));
  assert_int_equal(rpt_samples_write_array("/nonexistent/s.csv", rows, 1, err, sizeof err),
                   RPT_EIO);
  assert_non_null(strstr(err, "/nonexistent/s.csv"));
}

/* Stream rows like the harness does from loadgen's records. */
static void synth(void *ctx, size_t i, rpt_sample *out) {
  uint64_t t = 1000 * (uint64_t)i;
  *out = (rpt_sample){t, t + 50 + i % 7, t + 123456 + i % 1000, (uint32_t)(i % 3000),
                      i % 10007 == 0, 0, 0};
}

static void test_million_rows(void **state) {
  enum { N = 1000000 };
  char path[256], err[256] = "";
  path_of(path, sizeof path, "million.csv");
  assert_int_equal(rpt_samples_write(path, N, synth, NULL, err, sizeof err), RPT_OK);
  rpt_sample *back = NULL;
  size_t n = 0;
  assert_int_equal(rpt_samples_read(path, &back, &n, err, sizeof err), RPT_OK);
  assert_int_equal(n, N);
  size_t lost = 0;
  for (size_t i = 0; i < n; i++) {
    rpt_sample want;
    synth(NULL, i, &want);
    lost += back[i].lost;
    if (back[i].issued_ns != want.issued_ns || back[i].lost != want.lost ||
        (!want.lost && back[i].completed_ns != want.completed_ns))
      fail_msg("row %zu differs", i);
  }
  assert_int_equal(lost, (N + 10006) / 10007);
  free(back);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_of_rows),  cmocka_unit_test(test_read_back),
      cmocka_unit_test(test_empty_run),     cmocka_unit_test(test_malformed_rows),
      cmocka_unit_test(test_token_columns), cmocka_unit_test(test_missing_file),  cmocka_unit_test(test_million_rows),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
