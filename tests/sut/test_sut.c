/*
 * tests/sut/test_sut.c - the SUT wrapper (sut/sut.c): phases, spec parsing and its
 * error messages, status texts, the backend list, option defaults and the libloadgen
 * bridge. The CPU adapter's own behaviour under load is in test_cpu.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sut/sut.h"

/* A model every test here can use: `null` (1-byte samples, 1024 of them). */
static int setup_model(void **state)
{
  wl_model *m = NULL;
  char err[256];
  if (wl_open(&m, "null", NULL, err, sizeof err) != WL_OK) {
    fprintf(stderr, "wl_open(null): %s\n", err);
    return -1;
  }
  *state = m;
  return 0;
}

static int teardown_model(void **state)
{
  wl_close(*state);
  return 0;
}

/* Open "cpu" with the given threads on the null model; fails the test on error. */
static sut *open_cpu(const wl_model *m, int threads)
{
  sut_options o;
  sut_options_default(&o);
  o.threads = threads;
  sut *s = NULL;
  char err[256] = "";
  int rc = sut_open(&s, &o, m, err, sizeof err);
  if (rc != SUT_OK)
    fail_msg("sut_open: %s: %s", sut_strerror(rc), err);
  return s;
}

static void test_strerror_from_table(void **state)
{
  (void)state;
  assert_string_equal(sut_strerror(SUT_OK), "success");
  assert_string_equal(sut_strerror(SUT_EPHASE), "call not allowed in this phase");
  assert_string_equal(sut_strerror(SUT_ESAMPLE), "sample index out of range");
  assert_string_equal(sut_strerror(12345), "unknown status");
}

static void test_options_default(void **state)
{
  (void)state;
  sut_options o;
  memset(&o, 0x5a, sizeof o);
  sut_options_default(&o);
  assert_string_equal(o.spec, "cpu");
  assert_int_equal(o.threads, SUT_THREADS_AUTO);
  assert_int_equal(o.batch, 0);
  assert_null(o.cpus); /* every CPU */
  assert_null(o.pin);  /* "core" */
}

static void test_backends_list_cpu(void **state)
{
  (void)state;
  size_t n = 0;
  const sut_backend *const *b = sut_backends(&n);
  assert_true(n >= 1);
  assert_string_equal(b[0]->name, "cpu");
  for (size_t i = 0; i < n; i++) {
    assert_non_null(b[i]->help);
    assert_non_null(b[i]->open);
    assert_non_null(b[i]->close);
  }
}

static void test_unknown_spec_lists_known(void **state)
{
  sut_options o;
  sut_options_default(&o);
  o.spec = "tpu:0";
  sut *s = (sut *)&o; /* must be reset to NULL */
  char err[256] = "";
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_EUNKNOWN);
  assert_null(s);
  assert_non_null(strstr(err, "'tpu'"));
  assert_non_null(strstr(err, "known: cpu"));
  o.spec = "";
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_EUNKNOWN);
  o.spec = "cpux"; /* a prefix match is not a match */
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_EUNKNOWN);
}

static void test_bad_arguments(void **state)
{
  sut *s = NULL;
  char err[256] = "";
  assert_int_equal(sut_open(&s, NULL, NULL, err, sizeof err), SUT_EINVAL);
  sut_options o;
  sut_options_default(&o);
  o.threads = -3;
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_EINVAL);
  assert_non_null(strstr(err, "threads"));
  o.threads = SUT_MAX_WORKERS + 1;
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_EINVAL);
  sut_options_default(&o);
  o.batch = -1;
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_EINVAL);
  assert_non_null(strstr(err, "batch"));
  sut_options_default(&o);
  o.spec = "cpu:turbo=1";
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_EINVAL);
  assert_non_null(strstr(err, "unknown option 'turbo'"));
  o.spec = "cpu:pin=sideways";
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_EINVAL);
  assert_non_null(strstr(err, "sideways"));
  o.spec = "cpu:pus=0";
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_EINVAL);
  assert_null(s);
  /* NULL err is allowed */
  assert_int_equal(sut_open(&s, &o, *state, NULL, 0), SUT_EINVAL);
}

/* A CPU this machine lacks is "not supported", with the reason (the placement
 * tests in test_placement.c check the messages in detail). The spec's former
 * cores= option points at --cpus. */
static void test_missing_cpu_is_enotsup(void **state)
{
  sut_options o;
  sut_options_default(&o);
  o.cpus = "0,4000";
  o.threads = 0;
  sut *s = NULL;
  char err[256] = "";
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_ENOTSUP);
  assert_null(s);
  /* "--cpus 0,4000: this machine has CPUs 0-N (no 4000)", or without hwloc why
   * nothing can be bound */
  assert_non_null(strstr(err, "--cpus 0,4000: "));
  sut_options_default(&o);
  o.spec = "cpu:cores=0";
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_EINVAL);
  assert_non_null(strstr(err, "--cpus"));
}

static void test_spec_options_accepted(void **state)
{
  sut_options o;
  sut_options_default(&o);
  o.spec = "cpu:pin=none,spin_us=5";
  o.threads = 2;
  sut *s = NULL;
  char err[256] = "";
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_OK);
  sut_info info;
  sut_describe(s, &info);
  assert_int_equal(info.threads, 2);
  assert_int_equal(strncmp(info.pinning, "none (", 6), 0);
  sut_close(s);
}

static void test_phases(void **state)
{
  const uint64_t idx[3] = {0, 1, 2};
  lg_sample smp[1] = {{0, 0}};
  lg_test *fake = (lg_test *)&smp; /* never dereferenced: every issue is refused */

  /* before open: no sut at all */
  assert_int_equal(sut_load(NULL, idx, 3), SUT_EPHASE);
  assert_int_equal(sut_unload(NULL, idx, 3), SUT_EPHASE);
  sut_issue(NULL, fake, smp, 1);
  sut_flush(NULL);

  sut *s = open_cpu(*state, SUT_THREADS_AUTO);
  assert_int_equal(sut_unload(s, idx, 3), SUT_EPHASE); /* unload before load */
  sut_issue(s, fake, smp, 1);                            /* issue before load */
  sut_flush(s);
  sut_info info;
  sut_describe(s, &info);
  assert_int_equal(info.samples_refused, 1);

  assert_int_equal(sut_load(s, idx, 3), SUT_OK);
  assert_int_equal(sut_unload(s, idx, 3), SUT_OK);
  assert_int_equal(sut_unload(s, idx, 3), SUT_EPHASE); /* twice */
  sut_issue(s, fake, smp, 1);                            /* after unload */
  sut_describe(s, &info);
  assert_int_equal(info.samples_refused, 2);

  /* two loaded sets: issue stays allowed until both are unloaded */
  assert_int_equal(sut_load(s, idx, 1), SUT_OK);
  assert_int_equal(sut_load(s, idx + 1, 2), SUT_OK);
  assert_int_equal(sut_unload(s, idx, 1), SUT_OK);
  assert_int_equal(sut_unload(s, idx + 1, 2), SUT_OK);
  assert_int_equal(sut_unload(s, idx, 1), SUT_EPHASE);
  sut_close(s);
}

static void test_load_out_of_range(void **state)
{
  const wl_info *info = wl_model_info(*state);
  sut *s = open_cpu(*state, SUT_THREADS_AUTO);
  uint64_t bad[2] = {0, info->total_sample_count};
  assert_int_equal(sut_load(s, bad, 2), SUT_ESAMPLE);
  /* a failed load loads nothing and leaves the phase alone */
  assert_int_equal(sut_unload(s, bad, 1), SUT_EPHASE);
  assert_int_equal(sut_load(s, NULL, 3), SUT_EINVAL);
  assert_int_equal(sut_load(s, bad, 1), SUT_OK);
  assert_int_equal(sut_unload(s, bad, 2), SUT_ESAMPLE);
  assert_int_equal(sut_unload(s, bad, 1), SUT_OK);
  sut_close(s);
}

/* close is allowed in every phase and accepts NULL. */
static void test_close_any_phase(void **state)
{
  const uint64_t idx[2] = {5, 6};
  sut_close(NULL);
  sut_close(open_cpu(*state, SUT_THREADS_AUTO)); /* right after open */
  sut *s = open_cpu(*state, 0);                  /* with workers, still loaded */
  assert_int_equal(sut_load(s, idx, 2), SUT_OK);
  sut_close(s);
}

static void test_lg_bind(void **state)
{
  const wl_info *info = wl_model_info(*state);
  sut *s = open_cpu(*state, SUT_THREADS_AUTO);
  lg_sut_ops so;
  lg_qsl_ops qo;
  memset(&so, 0, sizeof so);
  memset(&qo, 0, sizeof qo);
  sut_lg_bind(s, &so, &qo);
  assert_string_equal(so.name, "cpu");
  assert_non_null(so.issue);
  assert_non_null(so.flush);
  assert_string_equal(qo.name, "null");
  assert_int_equal(qo.total_sample_count, info->total_sample_count);
  assert_int_equal(qo.performance_sample_count, info->performance_sample_count);
  const uint64_t idx[1] = {0};
  assert_int_equal(qo.load(s, idx, 1), 0);
  assert_int_equal(qo.unload(s, idx, 1), 0);
  assert_int_not_equal(qo.unload(s, idx, 1), 0); /* wrong phase aborts the test */
  sut_close(s);
}

/* A sample source (a dataset): its count becomes the QSL's, its bytes reach the SUT, and
 * a load failure stops the test before the timed region. */
static int source_load(void *ctx, uint64_t index, void *input, char *err, size_t errlen)
{
  if (index == 7 && ctx) {
    snprintf(err, errlen, "sample 7 unreadable");
    return -1;
  }
  *(uint8_t *)input = (uint8_t)(200 + index);
  return 0;
}

static void test_sample_source(void **state)
{
  sut_samples src = {10, source_load, NULL};
  sut_options o;
  sut_options_default(&o);
  o.samples = &src;
  sut *s = NULL;
  char err[256];
  assert_int_equal(sut_open(&s, &o, *state, err, sizeof err), SUT_OK);
  lg_sut_ops so;
  lg_qsl_ops qo;
  sut_lg_bind(s, &so, &qo);
  assert_int_equal(qo.total_sample_count, 10);
  lg_settings set;
  lg_settings_default(&set, LG_OFFLINE);
  set.mode = LG_MODE_ACCURACY;
  lg_hooks h = {.response_bytes_max = 1};
  lg_test *t;
  assert_int_equal(lg_test_init(&t, &set, &so, s, &qo, s, &h), LG_OK);
  assert_int_equal(lg_test_run(t), LG_OK);
  size_t n, size;
  const lg_record *rec = lg_test_records(t, &n);
  assert_int_equal(n, 10);
  for (size_t i = 0; i < n; i++) /* the null workload echoes the dataset's byte */
    assert_int_equal(*(const uint8_t *)lg_test_response(t, i, &size), 200 + rec[i].sample_index);
  lg_test_destroy(t);
  src.ctx = &src; /* now sample 7 fails to load */
  assert_int_equal(lg_test_init(&t, &set, &so, s, &qo, s, &h), LG_OK);
  assert_int_equal(lg_test_run(t), LG_EQSL);
  lg_test_destroy(t);
  sut_close(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strerror_from_table),
      cmocka_unit_test(test_options_default),
      cmocka_unit_test(test_backends_list_cpu),
      cmocka_unit_test(test_unknown_spec_lists_known),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_missing_cpu_is_enotsup),
      cmocka_unit_test(test_spec_options_accepted),
      cmocka_unit_test(test_phases),
      cmocka_unit_test(test_load_out_of_range),
      cmocka_unit_test(test_close_any_phase),
      cmocka_unit_test(test_lg_bind),
      cmocka_unit_test(test_sample_source),
  };
  return cmocka_run_group_tests_name("sut", tests, setup_model, teardown_model);
}
