/*
 * tests/firmware/test_fmt.c - the device-side number formatting (sut/firmware/fmt.h):
 * binary32 values print exactly as glibc's "%.9g" (correctly rounded) and read back
 * bit for bit with strtof; decimal, hex and the command-number parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sut/firmware/fmt.h"
#include "workloads/rng.h"

/* v through sut_fw_fmt_f32 equals "%.9g" and reads back to the same bits. */
static void check_f32(float v)
{
  char got[SUT_FW_F32_CHARS], want[64];
  size_t n = sut_fw_fmt_f32(got, v);
  snprintf(want, sizeof want, "%.9g", (double)v);
  assert_int_equal(n, strlen(got));
  assert_true(n < SUT_FW_F32_CHARS);
  if (isnan(v)) {
    assert_string_equal(got, "nan");
    return;
  }
  assert_string_equal(got, want);
  float back = strtof(got, NULL);
  assert_memory_equal(&back, &v, sizeof v);
}

static void test_f32_edges(void **state)
{
  const float edges[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.1f, 1e-5f, 1e-4f, 9.99999999e-5f,
                         123456789.0f, 999999999.0f, 1e9f, 3.4028235e38f, -3.4028235e38f,
                         1.17549435e-38f, 1.4e-45f, -1.4e-45f, 16777216.0f, 0.5f,
                         2.5f, 100.0f, 1e10f, 0.3333333433f, INFINITY, -INFINITY};
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
    check_f32(edges[i]);
  char buf[SUT_FW_F32_CHARS];
  sut_fw_fmt_f32(buf, NAN);
  assert_string_equal(buf, "nan");
  sut_fw_fmt_f32(buf, -INFINITY);
  assert_string_equal(buf, "-inf");
}

/* Every exponent, random mantissas: 300,000 bit patterns. */
static void test_f32_random_bits(void **state)
{
  wl_rng r;
  wl_rng_seed(&r, 12345);
  for (int i = 0; i < 300000; i++) {
    uint32_t bits = (uint32_t)(wl_rng_next(&r) >> 32);
    float v;
    memcpy(&v, &bits, sizeof v);
    check_f32(v);
  }
}

/* Values like logits and the ties of 9-digit rounding: integers and halves. */
static void test_f32_typical(void **state)
{
  for (int i = -2000; i <= 2000; i++) {
    check_f32((float)i / 64.0f);
    check_f32((float)i * 0.01f);
    check_f32((float)i * 1234567.0f);
  }
}

static void test_u32_hex_parse(void **state)
{
  char buf[16];
  assert_int_equal(sut_fw_fmt_u32(buf, 0), 1);
  assert_string_equal(buf, "0");
  assert_int_equal(sut_fw_fmt_u32(buf, 4294967295u), 10);
  assert_string_equal(buf, "4294967295");
  sut_fw_fmt_hex8(buf, 0xA5);
  assert_memory_equal(buf, "a5", 2);
  assert_int_equal(sut_fw_hex_digit('F'), 15);
  assert_int_equal(sut_fw_hex_digit('g'), -1);
  uint32_t v = 7;
  assert_int_equal(sut_fw_parse_u32("1960", &v), 0);
  assert_int_equal(v, 1960);
  assert_int_equal(sut_fw_parse_u32("999999999", &v), 0);
  assert_int_equal(v, 999999999u);
  assert_int_equal(sut_fw_parse_u32("1000000000", &v), -1); /* 10 digits */
  assert_int_equal(sut_fw_parse_u32("", &v), -1);
  assert_int_equal(sut_fw_parse_u32("12a", &v), -1);
  assert_int_equal(sut_fw_parse_u32("-1", &v), -1);
  assert_int_equal(sut_fw_parse_u32(" 1", &v), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_f32_edges),
      cmocka_unit_test(test_f32_random_bits),
      cmocka_unit_test(test_f32_typical),
      cmocka_unit_test(test_u32_hex_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
