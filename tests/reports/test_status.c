/*
 * tests/reports/test_status.c - rpt_strerror covers every status and unknown codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reports/status.h"

static void test_every_status_has_text(void **state) {
#define CHECK_(name, value, text)                          \
  assert_int_equal(RPT_##name, value);                     \
  assert_string_equal(rpt_strerror(RPT_##name), text);
  RPT_STATUS_MAP(CHECK_)
#undef CHECK_
  assert_string_equal(rpt_strerror(RPT_OK), "success");
  assert_string_equal(rpt_strerror(-1000), "unknown status");
  assert_string_equal(rpt_strerror(5), "unknown status");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_status_has_text)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
