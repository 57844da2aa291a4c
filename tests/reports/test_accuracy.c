/*
 * tests/reports/test_accuracy.c - the accuracy block computed from entries (missing
 * outputs never agree, no top-1 for non-classifiers) and accuracy.json read back with
 * json-c: schema, block, and per-sample entries with nulls where a value does not apply.
 */
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

#include "reports/accuracy.h"

static const rpt_accuracy_sample entries[] = {
    {.sample_index = 10, .has_top1 = true, .sut_top1 = 3, .ref_top1 = 3, .max_abs_error = 1e-6},
    {.sample_index = 11, .has_top1 = true, .sut_top1 = 4, .ref_top1 = 5, .max_abs_error = 0.25},
    {.sample_index = 12, .missing = true, .has_top1 = true, .ref_top1 = 7},
    {.sample_index = 13, .has_top1 = true, .sut_top1 = 1, .ref_top1 = 1, .max_abs_error = 0.5},
};

static void get(void *ctx, size_t i, rpt_accuracy_sample *out) {
  *out = ((const rpt_accuracy_sample *)ctx)[i];
}

static void test_summarize(void **state) {
  rpt_accuracy a;
  assert_int_equal(rpt_accuracy_summarize(4, get, (void *)entries, &a), RPT_OK);
  assert_true(a.present);
  assert_int_equal(a.samples, 4);
  assert_int_equal(a.missing, 1);
  assert_true(a.top1_agreement.set);
  assert_true(a.top1_agreement.v == 0.5); /* 2 of 4: the missing one does not agree */
  assert_true(a.max_abs_error.set && a.max_abs_error.v == 0.5);

  rpt_accuracy_sample plain[2] = {{.sample_index = 0, .max_abs_error = 0.1},
                                  {.sample_index = 1, .missing = true}};
  assert_int_equal(rpt_accuracy_summarize(2, get, plain, &a), RPT_OK);
  assert_false(a.top1_agreement.set); /* not a classifier: unset, not 0 */
  assert_true(a.max_abs_error.v == 0.1);
  assert_int_equal(rpt_accuracy_summarize(0, NULL, NULL, &a), RPT_OK);
  assert_false(a.max_abs_error.set);
  assert_int_equal(a.samples, 0);
  assert_false(a.token_agreement.set);

  /* token generators: tokens before the divergence over all generated tokens */
  rpt_accuracy_sample gen[3] = {
      {.sample_index = 0, .has_top1 = true, .sut_top1 = 5, .ref_top1 = 5, .tokens = 8,
       .tokens_agree = 8},
      {.sample_index = 1, .has_top1 = true, .sut_top1 = 5, .ref_top1 = 5, .tokens = 8,
       .tokens_agree = 3, .max_abs_error = 1},
      {.sample_index = 2, .missing = true, .has_top1 = true, .ref_top1 = 9}};
  assert_int_equal(rpt_accuracy_summarize(3, get, gen, &a), RPT_OK);
  assert_true(a.token_agreement.set && a.token_agreement.v == 11.0 / 16.0);
  assert_true(a.top1_agreement.v == 2.0 / 3.0);
  assert_true(a.max_abs_error.v == 1.0);
}

static json_object *field(json_object *o, const char *key) {
  json_object *v = NULL;
  if (!json_object_object_get_ex(o, key, &v)) fail_msg("no field '%s'", key);
  return v;
}

static void test_write(void **state) {
  char path[] = "/tmp/rpt-accuracy-XXXXXX", err[256] = "";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  rpt_accuracy a;
  rpt_accuracy_summarize(4, get, (void *)entries, &a);
  assert_int_equal(rpt_accuracy_write(path, &a, 4, get, (void *)entries, err, sizeof err), RPT_OK);
  json_object *doc = json_object_from_file(path);
  unlink(path);
  assert_non_null(doc);
  assert_string_equal(json_object_get_string(field(doc, "schema")), "mlsysbench.accuracy");
  assert_int_equal(json_object_get_int(field(doc, "schema_version")), 1);
  json_object *block = field(doc, "accuracy");
  assert_int_equal(json_object_get_int(field(block, "samples")), 4);
  assert_true(json_object_get_double(field(block, "top1_agreement")) == 0.5);
  assert_int_equal(json_object_get_int(field(block, "missing")), 1);
  json_object *list = field(doc, "samples");
  assert_int_equal(json_object_array_length(list), 4);
  json_object *e1 = json_object_array_get_idx(list, 1);
  assert_int_equal(json_object_get_int(field(e1, "sample_index")), 11);
  assert_int_equal(json_object_get_int(field(e1, "sut_top1")), 4);
  assert_int_equal(json_object_get_int(field(e1, "ref_top1")), 5);
  assert_false(json_object_get_boolean(field(e1, "agree")));
  assert_true(json_object_get_double(field(e1, "max_abs_error")) == 0.25);
  json_object *e2 = json_object_array_get_idx(list, 2); /* missing output */
  assert_true(json_object_get_boolean(field(e2, "missing")));
  assert_null(field(e2, "sut_top1"));
  assert_null(field(e2, "agree"));
  assert_null(field(e2, "max_abs_error"));
  assert_int_equal(json_object_get_int(field(e2, "ref_top1")), 7);
  assert_true(json_object_get_boolean(field(json_object_array_get_idx(list, 0), "agree")));
  json_object_put(doc);
}

static void test_write_errors(void **state) {
  char err[256] = "";
  rpt_accuracy a = {0};
  assert_int_equal(rpt_accuracy_write("/nonexistent/accuracy.json", &a, 0, NULL, NULL, err,
                                      sizeof err), RPT_EIO);
  assert_non_null(strstr(err, "/nonexistent/accuracy.json"));
  assert_int_equal(rpt_accuracy_write("/tmp/x.json", NULL, 0, NULL, NULL, err, sizeof err),
                   RPT_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_summarize),
      cmocka_unit_test(test_write),
      cmocka_unit_test(test_write_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
