/*
 * tests/workloads/test_workload.c - the registry and shared parts of
 * workloads/workload.c: wl_list, wl_open errors and messages, wl_params, status text,
 * dtype and tensor helpers, and the accuracy math on hand-made vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "workloads/workload.h"

static void test_list(void **state)
{
  size_t n = 0;
  const wl_desc *d = wl_list(&n);
  static const char *const names[] = {"kws", "ic", "vww", "ad", "gemm", "null", "delay",
                                      "decoder"};
  assert_int_equal(n, 8);
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(d[i].name, names[i]);
    assert_true(strlen(d[i].description) > 10);
    assert_non_null(d[i].params);
    for (const wl_param_info *p = d[i].params; p->key; p++) {
      assert_non_null(p->default_value);
      assert_non_null(p->help);
    }
  }
  assert_string_equal(d[6].params[0].key, "delay_us");
  assert_string_equal(d[6].params[0].default_value, "100");
  assert_string_equal(d[6].params[1].key, "delay_dist");
  assert_null(d[5].params[0].key);
  for (size_t i = 0; i < 4; i++) /* the models share their keys */
    assert_string_equal(d[i].params[1].key, "sample_seed");
  assert_ptr_equal(wl_list(NULL), d);
}

/* Every listed workload opens with its defaults and describes itself consistently. */
static void test_open_every_workload(void **state)
{
  size_t n;
  const wl_desc *d = wl_list(&n);
  for (size_t i = 0; i < n; i++) {
    wl_model *m = NULL;
    assert_int_equal(wl_open(&m, d[i].name, NULL, NULL, 0), WL_OK);
    const wl_info *info = wl_model_info(m);
    assert_string_equal(info->name, d[i].name);
    assert_ptr_equal(info->description, d[i].description);
    assert_true(info->performance_sample_count <= info->total_sample_count);
    assert_true(wl_tensor_bytes(&info->input) > 0);
    wl_close(m);
  }
  wl_close(NULL);
}

static void test_open_unknown(void **state)
{
  wl_model *m = (wl_model *)&m;
  char err[256];
  assert_int_equal(wl_open(&m, "resnet", NULL, err, sizeof err), WL_EUNKNOWN);
  assert_null(m);
  assert_non_null(strstr(err, "'resnet'"));
  assert_non_null(strstr(err, "kws, ic, vww, ad, gemm, null, delay"));
  assert_int_equal(wl_open(&m, "resnet", NULL, NULL, 0), WL_EUNKNOWN);
  assert_int_equal(wl_open(NULL, "kws", NULL, err, sizeof err), WL_EINVAL);
  assert_int_equal(wl_open(&m, NULL, NULL, err, sizeof err), WL_EINVAL);
}

static void test_open_unknown_key(void **state)
{
  wl_params p;
  wl_model *m = NULL;
  char err[256];
  wl_params_init(&p);
  wl_params_set(&p, "weight_seed", "3");
  wl_params_set(&p, "seed", "3");
  assert_int_equal(wl_open(&m, "kws", &p, err, sizeof err), WL_EPARAM);
  assert_null(m);
  assert_non_null(strstr(err, "'seed'"));
  assert_non_null(strstr(err, "weight_seed, sample_seed"));
}

static void test_seed_values(void **state)
{
  wl_params p;
  wl_model *m = NULL;
  char err[256];
  wl_params_init(&p);
  wl_params_set(&p, "weight_seed", "0x10");
  wl_params_set(&p, "sample_seed", "18446744073709551615");
  assert_int_equal(wl_open(&m, "kws", &p, err, sizeof err), WL_OK);
  assert_int_equal(wl_model_info(m)->weight_seed, 16);
  assert_int_equal(wl_model_info(m)->sample_seed, UINT64_MAX);
  wl_close(m);
  static const char *const bad[] = {"-1", " -1", "12abc", "", "18446744073709551616", " "};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    wl_params_set(&p, "sample_seed", bad[i]);
    assert_int_equal(wl_open(&m, "kws", &p, err, sizeof err), WL_EPARAM);
    assert_non_null(strstr(err, "sample_seed="));
    assert_non_null(strstr(err, bad[i]));
    assert_non_null(strstr(err, "unsigned 64-bit integer"));
  }
}

static void test_params(void **state)
{
  wl_params p;
  char key[40];
  wl_params_init(&p);
  assert_int_equal(p.count, 0);
  assert_int_equal(wl_params_set(&p, "a", "1"), WL_OK);
  assert_int_equal(wl_params_set(&p, "a", "2"), WL_OK); /* replaces */
  assert_int_equal(p.count, 1);
  assert_string_equal(p.items[0].value, "2");
  memset(key, 'k', sizeof key);
  key[sizeof key - 1] = '\0';
  assert_int_equal(wl_params_set(&p, key, "1"), WL_EINVAL);          /* key too long */
  assert_int_equal(wl_params_set(&p, "b", key), WL_OK); /* 39 chars fit a value */
  char value[80];
  memset(value, 'v', sizeof value);
  value[sizeof value - 1] = '\0';
  assert_int_equal(wl_params_set(&p, "c", value), WL_EINVAL);        /* value too long */
  assert_int_equal(wl_params_set(&p, "", "1"), WL_EINVAL);
  assert_int_equal(wl_params_set(&p, NULL, "1"), WL_EINVAL);
  assert_int_equal(wl_params_set(&p, "d", NULL), WL_EINVAL);
  assert_int_equal(wl_params_set(NULL, "d", "1"), WL_EINVAL);
  for (size_t i = p.count; i < WL_MAX_PARAMS; i++) {
    char k[32];
    snprintf(k, sizeof k, "k%zu", i);
    assert_int_equal(wl_params_set(&p, k, "x"), WL_OK);
  }
  assert_int_equal(wl_params_set(&p, "full", "x"), WL_ENOMEM);
  assert_int_equal(wl_params_set(&p, "a", "3"), WL_OK); /* replacing still works */
  assert_int_equal(p.count, WL_MAX_PARAMS);
}

static void test_strerror(void **state)
{
#define CHECK_(name, value, text) assert_string_equal(wl_strerror(value), text);
  WL_STATUS_MAP(CHECK_)
#undef CHECK_
  assert_string_equal(wl_strerror(-99), "unknown status");
}

static void test_dtypes_and_tensors(void **state)
{
  assert_string_equal(wl_dtype_name(WL_F32), "f32");
  assert_string_equal(wl_dtype_name(WL_I8), "i8");
  assert_string_equal(wl_dtype_name(WL_U8), "u8");
  assert_string_equal(wl_dtype_name(WL_I32), "i32");
  assert_int_equal(wl_dtype_size(WL_F32), 4);
  assert_int_equal(wl_dtype_size(WL_I8), 1);
  assert_int_equal(wl_dtype_size(WL_U8), 1);
  assert_int_equal(wl_dtype_size(WL_I32), 4);
  wl_tensor t = {WL_I32, 3, {2, 3, 4, 0}};
  char buf[32];
  assert_int_equal(wl_tensor_elems(&t), 24);
  assert_int_equal(wl_tensor_bytes(&t), 96);
  assert_string_equal(wl_tensor_format(&t, buf, sizeof buf), "2x3x4 i32");
  assert_string_equal(wl_tensor_format(&t, buf, 4), "2x3");
  assert_string_equal(wl_tensor_format(&t, buf, 1), "");
  wl_tensor scalar = {WL_U8, 0, {0, 0, 0, 0}};
  assert_int_equal(wl_tensor_elems(&scalar), 1);
  assert_string_equal(wl_tensor_format(&scalar, buf, sizeof buf), "u8");
}

/* f32 accuracy on hand-made 12-class vectors through the kws model's output shape. */
static void test_accuracy_f32(void **state)
{
  wl_model *m = NULL;
  assert_int_equal(wl_open(&m, "kws", NULL, NULL, 0), WL_OK);
  float ref[12] = {0}, agree[12] = {0}, disagree[12] = {0}, tie[12] = {0}, nan[12] = {0};
  ref[3] = 1.0f;       /* class 3 */
  agree[3] = 0.75f;    /* still class 3; error 0.25 */
  agree[5] = 0.125f;   /* error 0.125 */
  disagree[3] = 0.5f;  /* error 0.5 */
  disagree[7] = 0.625f; /* class 7; error 0.625 */
  tie[3] = 1.0f;       /* tie between 3 and 9: the first wins, so it agrees */
  tie[9] = 1.0f;       /* error 1.0 */
  nan[0] = NAN;
  nan[3] = 1.0f;       /* argmax still 3, but the error is infinite */
  wl_accuracy a;
  wl_accuracy_init(&a);
  wl_accuracy_add(m, &a, agree, ref);
  assert_int_equal(a.top1_agree, 1);
  assert_true(a.max_abs_error == 0.25);
  wl_accuracy_add(m, &a, disagree, ref);
  assert_int_equal(a.top1_agree, 1);
  assert_true(a.max_abs_error == 0.625);
  wl_accuracy_add(m, &a, tie, ref);
  assert_int_equal(a.top1_agree, 2);
  assert_true(a.max_abs_error == 1.0);
  wl_accuracy_add(m, &a, NULL, ref);
  assert_int_equal(a.missing, 1);
  assert_int_equal(a.samples, 4);
  wl_accuracy_add(m, &a, nan, ref);
  assert_int_equal(a.top1_agree, 3);
  assert_true(isinf(a.max_abs_error));
  assert_int_equal(a.samples, 5);
  wl_close(m);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_list),
      cmocka_unit_test(test_open_every_workload),
      cmocka_unit_test(test_open_unknown),
      cmocka_unit_test(test_open_unknown_key),
      cmocka_unit_test(test_seed_values),
      cmocka_unit_test(test_params),
      cmocka_unit_test(test_strerror),
      cmocka_unit_test(test_dtypes_and_tensors),
      cmocka_unit_test(test_accuracy_f32),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
