/*
 * tests/workloads/test_synthetic.c - the `null` and `delay` calibration workloads:
 * shapes and counts, the echo, service-time draws (fixed and exponential, measured on
 * the drawn values), per-worker streams, parameter errors and byte-wise accuracy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workloads/rng.h"
#include "workloads/wl_private.h"
#include "workloads/workload.h"

/* Open `name` with up to two key=value pairs; returns the status, message in err. */
static int open_with(wl_model **m, const char *name, const char *k1, const char *v1,
                     const char *k2, const char *v2, char *err, size_t errlen)
{
  wl_params p;
  wl_params_init(&p);
  if (k1)
    assert_int_equal(wl_params_set(&p, k1, v1), WL_OK);
  if (k2)
    assert_int_equal(wl_params_set(&p, k2, v2), WL_OK);
  return wl_open(m, name, &p, err, errlen);
}

static wl_model *open_ok(const char *name, const char *k1, const char *v1, const char *k2,
                         const char *v2)
{
  wl_model *m = NULL;
  char err[256];
  assert_int_equal(open_with(&m, name, k1, v1, k2, v2, err, sizeof err), WL_OK);
  return m;
}

static uint64_t mono_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_null(void **state)
{
  wl_model *m = open_ok("null", NULL, NULL, NULL, NULL);
  const wl_info *i = wl_model_info(m);
  assert_true(i->compute_free);
  assert_int_equal(i->flops, 0);
  assert_int_equal(i->macs, 0);
  assert_int_equal(i->params, 0);
  assert_int_equal(wl_tensor_bytes(&i->input), 1);
  assert_int_equal(wl_tensor_bytes(&i->output), 1);
  assert_int_equal(i->output.dtype, WL_U8);
  assert_int_equal(i->total_sample_count, 1024);
  assert_int_equal(wl_scratch_bytes(m), 0);
  wl_scratch_init(m, NULL, 0);
  uint8_t in = 0, out = 0;
  wl_make_sample(m, 300, &in);
  assert_int_equal(in, 300 & 0xFF);
  wl_infer(m, &in, &out, NULL);
  assert_int_equal(out, in);
  wl_close(m);
}

static void test_delay_defaults_fixed(void **state)
{
  wl_model *m = open_ok("delay", NULL, NULL, NULL, NULL);
  const wl_info *i = wl_model_info(m);
  assert_false(i->compute_free);
  assert_int_equal(i->flops, 0);
  assert_int_equal(wl_scratch_bytes(m), sizeof(wl_rng));
  wl_rng scratch;
  wl_scratch_init(m, &scratch, 0);
  for (int k = 0; k < 10; k++)
    assert_int_equal(wl_delay_next_ns(m, &scratch), 100000);
  wl_close(m);
}

/* The wall time is a lower bound only: a busy machine may stretch it. */
static void test_delay_busy_waits(void **state)
{
  wl_model *m = open_ok("delay", "delay_us", "300", NULL, NULL);
  wl_rng scratch;
  uint8_t in = 7, out = 0;
  wl_scratch_init(m, &scratch, 0);
  uint64_t t0 = mono_ns();
  wl_infer(m, &in, &out, &scratch);
  assert_true(mono_ns() - t0 >= 300000);
  assert_int_equal(out, 7);
  wl_close(m);
}

static void test_delay_zero(void **state)
{
  wl_model *m = open_ok("delay", "delay_us", "0", "delay_dist", "exponential");
  wl_rng scratch;
  wl_scratch_init(m, &scratch, 0);
  assert_int_equal(wl_delay_next_ns(m, &scratch), 0);
  wl_close(m);
}

/* 2000 drawn exponential service times: mean within 10% of delay_us, spread like an
 * exponential (standard deviation close to the mean), never negative. */
static void test_delay_exponential_mean(void **state)
{
  wl_model *m = open_ok("delay", "delay_us", "100", "delay_dist", "exponential");
  wl_rng scratch;
  wl_scratch_init(m, &scratch, 3);
  double sum = 0, sq = 0;
  for (int k = 0; k < 2000; k++) {
    double us = (double)wl_delay_next_ns(m, &scratch) / 1000.0;
    sum += us;
    sq += us * us;
  }
  double mean = sum / 2000, sd = sqrt(sq / 2000 - mean * mean);
  assert_true(fabs(mean - 100.0) < 10.0);
  assert_true(sd > 80.0 && sd < 120.0);
  wl_close(m);
}

/* Each worker has its own stream; the same worker always gets the same one. */
static void test_delay_worker_streams(void **state)
{
  wl_model *m = open_ok("delay", "delay_dist", "exponential", NULL, NULL);
  wl_rng a, b, c;
  wl_scratch_init(m, &a, 0);
  wl_scratch_init(m, &b, 0);
  wl_scratch_init(m, &c, 1);
  uint64_t xa = wl_delay_next_ns(m, &a);
  assert_int_equal(xa, wl_delay_next_ns(m, &b));
  assert_int_not_equal(xa, wl_delay_next_ns(m, &c));
  wl_close(m);
}

/* Bad values: WL_EPARAM, and the message names the key, the value and what works. */
static void expect_param_error(const char *key, const char *value, const char *hint)
{
  wl_model *m = (wl_model *)&m; /* must come back NULL */
  char err[256] = "";
  assert_int_equal(open_with(&m, "delay", key, value, NULL, NULL, err, sizeof err),
                   WL_EPARAM);
  assert_null(m);
  assert_non_null(strstr(err, key));
  assert_non_null(strstr(err, value));
  assert_non_null(strstr(err, hint));
}

static void test_delay_param_errors(void **state)
{
  expect_param_error("delay_us", "abc", "number >= 0");
  expect_param_error("delay_us", "-5", "number >= 0");
  expect_param_error("delay_us", "100us", "number >= 0");
  expect_param_error("delay_us", "nan", "number >= 0");
  expect_param_error("delay_us", "1e999", "number >= 0");
  expect_param_error("delay_us", "", "number >= 0");
  expect_param_error("delay_dist", "uniform", "fixed, exponential");
  expect_param_error("delay_dist", "Fixed", "fixed, exponential");
}

static void test_delay_unknown_key(void **state)
{
  wl_model *m = NULL;
  char err[256];
  assert_int_equal(open_with(&m, "delay", "delay_ms", "5", NULL, NULL, err, sizeof err),
                   WL_EPARAM);
  assert_non_null(strstr(err, "'delay_ms'"));
  assert_non_null(strstr(err, "delay_us, delay_dist"));
}

static void test_null_takes_no_params(void **state)
{
  wl_model *m = NULL;
  char err[256];
  assert_int_equal(open_with(&m, "null", "delay_us", "5", NULL, NULL, err, sizeof err),
                   WL_EPARAM);
  assert_non_null(strstr(err, "delay_us"));
  assert_non_null(strstr(err, "no parameters"));
}

static void test_bytewise_accuracy(void **state)
{
  wl_model *m = open_ok("delay", NULL, NULL, NULL, NULL);
  wl_accuracy a;
  uint8_t ref = 40, same = 40, off = 43;
  wl_accuracy_init(&a);
  wl_accuracy_add(m, &a, &same, &ref);
  assert_int_equal(a.top1_agree, 1);
  assert_true(a.max_abs_error == 0.0);
  wl_accuracy_add(m, &a, &off, &ref);
  wl_accuracy_add(m, &a, NULL, &ref);
  assert_int_equal(a.samples, 3);
  assert_int_equal(a.top1_agree, 1);
  assert_int_equal(a.missing, 1);
  assert_true(a.max_abs_error == 3.0);
  wl_close(m);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_null),
      cmocka_unit_test(test_delay_defaults_fixed),
      cmocka_unit_test(test_delay_busy_waits),
      cmocka_unit_test(test_delay_zero),
      cmocka_unit_test(test_delay_exponential_mean),
      cmocka_unit_test(test_delay_worker_streams),
      cmocka_unit_test(test_delay_param_errors),
      cmocka_unit_test(test_delay_unknown_key),
      cmocka_unit_test(test_null_takes_no_params),
      cmocka_unit_test(test_bytewise_accuracy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
