/*
 * tests/serial/test_line.c - the serial line parser (sut/serial/line.c): every line
 * kind of the protocol, the [dut] prefix, merged and cut lines, the 32-bit counter
 * bound, m-results numbers read back bit for bit, bytes split across reads, and the
 * replay of the fuzzing corpus tests/serial/corpus/ through the same code the libFuzzer
 * target runs (line_exercise.h).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "line_exercise.h"
#include "sut/serial/line.h"

#define CORPUS "tests/serial/corpus"

static sut_serial_line parse(const char *s) {
  sut_serial_line l;
  sut_serial_line_parse(s, strlen(s), &l);
  return l;
}

static void expect_text(const char *s, sut_serial_line_kind kind, const char *text) {
  sut_serial_line l = parse(s);
  if (l.kind != kind)
    fail_msg("'%s': kind %s, want %s", s, sut_serial_line_kind_name(l.kind),
             sut_serial_line_kind_name(kind));
  if (text && (l.text_len != strlen(text) || memcmp(l.text, text, l.text_len)))
    fail_msg("'%s': text '%.*s', want '%s'", s, (int)l.text_len, l.text, text);
}

static void test_kinds(void **state) {
  (void)state;
  expect_text("m-ready", SUT_SERIAL_LINE_READY, NULL);
  expect_text("m-ready\r", SUT_SERIAL_LINE_READY, NULL);
  expect_text("m-name-dut-[ST NUCLEO]", SUT_SERIAL_LINE_NAME, "ST NUCLEO");
  expect_text("m-name-[old firmware]", SUT_SERIAL_LINE_NAME, "old firmware");
  expect_text("m-profile-[ulp-mlperf]", SUT_SERIAL_LINE_PROFILE, "ulp-mlperf");
  expect_text("m-model-[kws01]", SUT_SERIAL_LINE_MODEL, "kws01");
  expect_text("m-results-[1,2]", SUT_SERIAL_LINE_RESULTS, "1,2");
  expect_text("e-[Unknown command: x]", SUT_SERIAL_LINE_ERROR, "Unknown command: x");
  expect_text("m-load-done", SUT_SERIAL_LINE_LOAD_DONE, NULL);
  expect_text("m-infer-done", SUT_SERIAL_LINE_INFER_DONE, NULL);
  expect_text("m-init-done", SUT_SERIAL_LINE_BANNER, NULL);
  expect_text("m-timestamp-mode-performance", SUT_SERIAL_LINE_BANNER, NULL);
  expect_text("m-dut-passthrough(infer 1 0)", SUT_SERIAL_LINE_PASSTHROUGH, "infer 1 0");
  expect_text("m-warmup-start-10", SUT_SERIAL_LINE_MESSAGE, "warmup-start-10");
  expect_text("", SUT_SERIAL_LINE_EMPTY, NULL);
  expect_text("hello", SUT_SERIAL_LINE_GARBAGE, "hello");
  expect_text("m-", SUT_SERIAL_LINE_GARBAGE, NULL);
  expect_text("\x01m-ready", SUT_SERIAL_LINE_GARBAGE, NULL);
  expect_text("garbm-ready", SUT_SERIAL_LINE_GARBAGE, NULL);
  expect_text("m-model-[kws01", SUT_SERIAL_LINE_MESSAGE, NULL);
}

static void test_numbers(void **state) {
  (void)state;
  sut_serial_line l = parse("m-lap-us-4294967295");
  assert_int_equal(l.kind, SUT_SERIAL_LINE_LAP_US);
  assert_int_equal(l.value, 4294967295u);
  assert_int_equal(parse("m-lap-us-4294967296").kind, SUT_SERIAL_LINE_GARBAGE);
  assert_int_equal(parse("m-lap-us-12m-ready").kind, SUT_SERIAL_LINE_GARBAGE);
  assert_int_equal(parse("m-lap-us--1").kind, SUT_SERIAL_LINE_GARBAGE);
  l = parse("m-[Expecting 1960 bytes]");
  assert_int_equal(l.kind, SUT_SERIAL_LINE_EXPECTING);
  assert_int_equal(l.value, 1960);
  assert_int_equal(parse("m-[Expecting x bytes]").kind, SUT_SERIAL_LINE_GARBAGE);
}

static void test_dut_prefix(void **state) {
  (void)state;
  sut_serial_line l = parse("[dut]: m-lap-us-7");
  assert_true(l.from_dut);
  assert_int_equal(l.kind, SUT_SERIAL_LINE_LAP_US);
  assert_int_equal(l.value, 7);
  l = parse("m-ready");
  assert_false(l.from_dut);
}

static void test_results(void **state) {
  (void)state;
  float v[4];
  const char *t = "0.100000001, -2,3.40282347e+38,1e-45";
  assert_int_equal(sut_serial_results_parse(t, strlen(t), v, 4), 4);
  assert_true(v[0] == 0.1f); /* the 9-digit decimal reads back as the same binary32 */
  assert_true(v[1] == -2.0f);
  assert_true(v[2] == 3.40282347e+38f);
  assert_true(v[3] > 0);
  assert_int_equal(sut_serial_results_parse("", 0, v, 4), 0);
  assert_int_equal(sut_serial_results_parse("1,2,3,4,5,6", 11, v, 4), 6);
  assert_int_equal(sut_serial_results_parse("1,,2", 4, v, 4), -1);
  assert_int_equal(sut_serial_results_parse("nan", 3, v, 4), -1);
  assert_int_equal(sut_serial_results_parse("inf", 3, v, 4), -1);
  assert_int_equal(sut_serial_results_parse("0x10", 4, v, 4), -1);
  assert_int_equal(sut_serial_results_parse("1e39", 4, v, 4), -1);
  assert_int_equal(sut_serial_results_parse("1,", 2, v, 4), -1);
}

static void test_assembler(void **state) {
  (void)state;
  static sut_serial_assembler a;
  sut_serial_assembler_init(&a);
  const char *d = "m-re", *line;
  size_t n = 4, len;
  bool cut;
  assert_false(sut_serial_assembler_next(&a, &d, &n, &line, &len, &cut));
  assert_int_equal(sut_serial_assembler_pending(&a), 4);
  d = "ad\0y\r\nm-";
  n = 8;
  assert_true(sut_serial_assembler_next(&a, &d, &n, &line, &len, &cut));
  assert_string_equal(line, "m-ready");
  assert_false(cut);
  assert_int_equal(n, 2);
  /* an overlong line is cut and flagged, and the next line is whole again */
  static char big[SUT_SERIAL_LINE_MAX + 100];
  memset(big, 'x', sizeof big);
  big[sizeof big - 1] = '\n';
  sut_serial_assembler_init(&a);
  d = big, n = sizeof big;
  assert_true(sut_serial_assembler_next(&a, &d, &n, &line, &len, &cut));
  assert_true(cut);
  assert_int_equal(len, SUT_SERIAL_LINE_MAX);
  d = "m-ready\n", n = 8;
  assert_true(sut_serial_assembler_next(&a, &d, &n, &line, &len, &cut));
  assert_false(cut);
}

/* Every corpus file through the fuzzer's code; the seeds' line counts are known. */
static void test_corpus_replay(void **state) {
  (void)state;
  DIR *dir = opendir(CORPUS);
  if (!dir) fail_msg("%s: cannot open the fuzzing corpus (run from the repository root)", CORPUS);
  size_t files = 0;
  struct dirent *e;
  static uint8_t buf[1 << 20];
  while ((e = readdir(dir))) {
    if (e->d_name[0] == '.') continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CORPUS, e->d_name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    size_t lines = line_exercise(buf, n);
    if (!strcmp(e->d_name, "infer_wrap")) assert_int_equal(lines, 8);
    if (!strcmp(e->d_name, "name_answer")) assert_int_equal(lines, 2);
    if (!strcmp(e->d_name, "partial_results")) assert_int_equal(lines, 0);
    files++;
  }
  closedir(dir);
  assert_true(files >= 7);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kinds),     cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_dut_prefix), cmocka_unit_test(test_results),
      cmocka_unit_test(test_assembler), cmocka_unit_test(test_corpus_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
