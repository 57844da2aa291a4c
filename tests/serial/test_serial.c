/*
 * tests/serial/test_serial.c - the serial SUT adapter through its API (sut_open +
 * libloadgen) against the in-test fake DUT on a pty (fake_dut.h): spec errors, a missing
 * device, the wrong model, SingleStream with exact DUT-timed latency, the 32-bit counter
 * wrap, accuracy outputs, Offline windows and their median, Server arrivals queued on
 * the host, the IO-manager form, and
 * each injected fault (garbage, reset, e-[...], lost m-ready recovered by one re-sync;
 * a hang ending the run INVALID sut_failed with the samples so far kept).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_dut.h"
#include "sut/sut.h"

#define US_PER_INFER 2500u

typedef struct fixture {
  wl_model *m;
  fake_dut f;
  sut *s;
  lg_test *t;
  char spec[256];
} fixture;

static int setup(void **state) {
  fixture *x = calloc(1, sizeof *x);
  char err[256];
  if (!x || wl_open(&x->m, "kws", NULL, err, sizeof err)) return -1;
  x->f.model = "kws01";
  x->f.us_per_infer = US_PER_INFER;
  x->f.lap_start = 1000;
  x->f.out_elems = 12;
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fixture *x = *state;
  lg_test_destroy(x->t);
  sut_close(x->s);
  if (x->f.path[0]) fake_stop(&x->f);
  wl_close(x->m);
  free(x);
  return 0;
}

static int open_serial(fixture *x, const char *spec, const lg_settings *st, char *err,
                       size_t len) {
  sut_options o;
  sut_options_default(&o);
  o.spec = spec;
  o.settings = st;
  return sut_open(&x->s, &o, x->m, err, len);
}

/* Start the fake, open the adapter on it with extra options, run loadgen. */
static const lg_result *run(fixture *x, lg_scenario sc, lg_mode mode, const char *opts) {
  assert_int_equal(fake_start(&x->f), 0);
  snprintf(x->spec, sizeof x->spec, "serial:%s%s", x->f.path, opts);
  lg_settings st;
  lg_settings_default(&st, sc);
  st.mode = mode;
  st.min_duration_ms = 10;
  st.min_query_count = 20;
  st.accuracy_sample_count_override = 6;
  st.drain_timeout_ms = 5000;
  st.server_target_qps = 200; /* Server: 20 arrivals in about 0.1 s */
  char err[512] = "";
  int rc = open_serial(x, x->spec, &st, err, sizeof err);
  if (rc) fail_msg("sut_open(%s): %s: %s", x->spec, sut_strerror(rc), err);
  lg_sut_ops so;
  lg_qsl_ops qo;
  sut_lg_bind(x->s, &so, &qo);
  lg_hooks h = {0};
  h.response_bytes_max = mode == LG_MODE_ACCURACY ? 12 * sizeof(float) : 0;
  assert_int_equal(lg_test_init(&x->t, &st, &so, x->s, &qo, x->s, &h), LG_OK);
  assert_int_equal(lg_test_run(x->t), LG_OK);
  return lg_test_result(x->t);
}

static sut_info *info(fixture *x) {
  static sut_info si;
  sut_describe(x->s, &si);
  return &si;
}

static bool has_reason(const lg_result *r, lg_reason code, const char *text) {
  for (size_t i = 0; i < r->reason_count; i++)
    if (r->reasons[i] == code && (!text || strstr(r->reason_text[i], text))) return true;
  return false;
}

/* ---- opening ------------------------------------------------------------------------- */
static void test_spec_errors(void **state) {
  fixture *x = *state;
  char err[512];
  assert_int_equal(open_serial(x, "serial", NULL, err, sizeof err), SUT_EINVAL);
  assert_non_null(strstr(err, "serial:/dev/ttyACM0"));
  assert_int_equal(open_serial(x, "serial:/dev/null,speed=9", NULL, err, sizeof err), SUT_EINVAL);
  assert_non_null(strstr(err, "speed=9"));
  assert_int_equal(open_serial(x, "serial:/dev/null,baud=fast", NULL, err, sizeof err), SUT_EINVAL);
  assert_non_null(strstr(err, "baud=fast"));
  assert_int_equal(open_serial(x, "serial:/dev/null", NULL, err, sizeof err), SUT_EDEVICE);
  assert_non_null(strstr(err, "not a serial device"));
  assert_int_equal(open_serial(x, "serial:/nonexistent/ttyACM9", NULL, err, sizeof err), SUT_EDEVICE);
  assert_non_null(strstr(err, "/nonexistent/ttyACM9: cannot open"));
}

static void test_wrong_model_is_refused(void **state) {
  fixture *x = *state;
  x->f.model = "vww01";
  assert_int_equal(fake_start(&x->f), 0);
  char spec[200], err[512];
  snprintf(spec, sizeof spec, "serial:%s", x->f.path);
  assert_int_equal(open_serial(x, spec, NULL, err, sizeof err), SUT_EDEVICE);
  assert_non_null(strstr(err, "runs model 'vww01', the workload needs 'kws01'"));
}

static void test_workload_without_model(void **state) {
  fixture *x = *state;
  wl_model *gemm;
  char err[512];
  assert_int_equal(wl_open(&gemm, "gemm", NULL, err, sizeof err), WL_OK);
  sut_options o;
  sut_options_default(&o);
  o.spec = "serial:/dev/ttyACM0";
  assert_int_equal(sut_open(&x->s, &o, gemm, err, sizeof err), SUT_EINVAL);
  assert_non_null(strstr(err, "no MLPerf Tiny model"));
  wl_close(gemm);
}

/* ---- scenarios ----------------------------------------------------------------------- */
static void test_single_stream_dut_timed(void **state) {
  fixture *x = *state;
  const lg_result *r = run(x, LG_SINGLE_STREAM, LG_MODE_PERFORMANCE, "");
  assert_int_equal(r->samples_lost, 0);
  assert_true(r->samples_completed >= 20);
  const sut_device_info *d = &info(x)->device_timing;
  assert_true(d->present);
  assert_string_equal(d->model, "kws01");
  assert_string_equal(d->name, "fake");
  assert_int_equal(d->latency.count, r->samples_completed);
  assert_int_equal(d->latency.min_ns, US_PER_INFER * 1000ull);
  assert_int_equal(d->latency.max_ns, US_PER_INFER * 1000ull);
  assert_int_equal(d->counter_wraps, 0);
  assert_int_equal(d->recoveries, 0);
  assert_string_equal(d->failure, "");
}

static void test_counter_wrap(void **state) {
  fixture *x = *state;
  x->f.lap_start = UINT32_MAX - 6000; /* wraps during the third inference */
  const lg_result *r = run(x, LG_SINGLE_STREAM, LG_MODE_PERFORMANCE, "");
  assert_int_equal(r->samples_lost, 0);
  const sut_device_info *d = &info(x)->device_timing;
  assert_int_equal(d->counter_wraps, 1);
  assert_int_equal(d->latency.min_ns, US_PER_INFER * 1000ull);
  assert_int_equal(d->latency.max_ns, US_PER_INFER * 1000ull);
}

static void test_accuracy_outputs(void **state) {
  fixture *x = *state;
  const lg_result *r = run(x, LG_SINGLE_STREAM, LG_MODE_ACCURACY, "");
  assert_int_equal(r->samples_completed, 6);
  size_t n;
  const lg_record *rec = lg_test_records(x->t, &n);
  float input[490];
  for (size_t i = 0; i < n; i++) {
    size_t size;
    const float *out = lg_test_response(x->t, i, &size);
    assert_non_null(out);
    assert_int_equal(size, 12 * sizeof(float));
    wl_make_sample(x->m, rec[i].sample_index, input);
    const unsigned char *bytes = (const unsigned char *)input;
    for (size_t k = 0; k < 12; k++) assert_true(out[k] == (float)bytes[k]);
  }
}

static void test_offline_windows(void **state) {
  fixture *x = *state;
  x->f.us_per_infer = 1000;
  const lg_result *r = run(x, LG_OFFLINE, LG_MODE_PERFORMANCE, ",window_ms=20,warmup=2");
  assert_int_equal(r->samples_lost, 0);
  const sut_device_info *d = &info(x)->device_timing;
  assert_int_equal(d->windows, 5);
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(d->window[i].inferences, 20);
    assert_int_equal(d->window[i].dut_us, 20000);
  }
  for (size_t i = 1; i < 5; i++) assert_true(d->window[i].sample_index != d->window[0].sample_index);
  assert_true(d->samples_per_s == 1000.0);
  /* every command of a sample (db load, 64 db, infer, results) and the window's infer
   * timing out once, and again on the retry */
  assert_int_equal(info(x)->completion_gap_ms, 2 * (67 * 2000 + 3 * 20 * 3 + 2000));
}

/* Server: Poisson arrivals queue on the host in front of the one DUT; every sample
 * completes and the DUT timed each inference alone. */
static void test_server_queue(void **state) {
  fixture *x = *state;
  const lg_result *r = run(x, LG_SERVER, LG_MODE_PERFORMANCE, "");
  assert_int_equal(r->samples_lost, 0);
  assert_true(r->samples_completed >= 20);
  const sut_device_info *d = &info(x)->device_timing;
  assert_int_equal(d->latency.count, r->samples_completed);
  assert_int_equal(d->latency.max_ns, US_PER_INFER * 1000ull);
  /* latency counts from the scheduled arrival, so never below the issue delay */
  assert_true(r->latency.min_ns >= r->issue_delay.min_ns);
}

static void test_io_manager(void **state) {
  fixture *x = *state;
  x->f.io_manager = true;
  const lg_result *r = run(x, LG_SINGLE_STREAM, LG_MODE_PERFORMANCE, ",io-manager");
  assert_int_equal(r->samples_lost, 0);
  assert_int_equal(info(x)->device_timing.latency.min_ns, US_PER_INFER * 1000ull);
}

/* ---- faults -------------------------------------------------------------------------- */
/* The fault at command `at` (2 + 66 per sample: db load, 64 db chunks, infer); the run
 * finishes with every sample and `recoveries` re-syncs. */
static const sut_device_info *recovered(void **state, fake_fault fault, unsigned at,
                                        uint64_t recoveries) {
  fixture *x = *state;
  x->f.fault = fault;
  x->f.fault_at = at;
  const lg_result *r = run(x, LG_SINGLE_STREAM, LG_MODE_PERFORMANCE, ",timeout_ms=1000");
  assert_int_equal(r->samples_lost, 0);
  assert_false(has_reason(r, LG_REASON_SUT_FAILED, NULL));
  const sut_device_info *d = &info(x)->device_timing;
  assert_int_equal(d->recoveries, recoveries);
  assert_string_equal(d->failure, "");
  return d;
}

/* Garbage merged into m-warmup-start of an infer answer: counted, nothing lost. */
static void test_fault_garbage_harmless(void **state) {
  const sut_device_info *d = recovered(state, FAKE_GARBAGE, 200, 0);
  assert_int_equal(d->garbage_lines, 1);
}

/* Garbage merged into the m-ready of a db chunk: the answer never ends, one re-sync. */
static void test_fault_garbage_eats_ready(void **state) {
  const sut_device_info *d = recovered(state, FAKE_GARBAGE, 198, 1);
  assert_int_equal(d->garbage_lines, 1);
  assert_non_null(strstr(d->last_fault, "no m-ready within 1000 ms"));
}

static void test_fault_reset(void **state) {
  assert_non_null(strstr(recovered(state, FAKE_RESET, 150, 1)->last_fault, "boot banner"));
}

static void test_fault_error_answer(void **state) {
  const sut_device_info *d = recovered(state, FAKE_ERROR, 200, 1);
  assert_non_null(strstr(d->last_fault, "'infer 1 0': the DUT answered e-[injected error]"));
}

static void test_fault_lost_ready(void **state) {
  const sut_device_info *d = recovered(state, FAKE_NO_READY, 200, 1);
  assert_non_null(strstr(d->last_fault, "'infer 1 0': no m-ready within 1000 ms"));
}

static void test_fault_hang_ends_run(void **state) {
  fixture *x = *state;
  x->f.fault = FAKE_HANG;
  x->f.fault_at = 200;
  const lg_result *r = run(x, LG_SINGLE_STREAM, LG_MODE_PERFORMANCE, ",timeout_ms=1000");
  assert_false(r->valid);
  assert_true(has_reason(r, LG_REASON_SUT_FAILED, "no m-ready within 1000 ms"));
  assert_false(has_reason(r, LG_REASON_INTERRUPTED, NULL));
  assert_true(r->samples_completed >= 1);
  assert_int_equal(r->samples_lost, 1);
  const sut_device_info *d = &info(x)->device_timing;
  assert_non_null(strstr(d->failure, "then the re-sync failed"));
  assert_int_equal(d->recoveries, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_spec_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_model_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_workload_without_model, setup, teardown),
      cmocka_unit_test_setup_teardown(test_single_stream_dut_timed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_counter_wrap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_accuracy_outputs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_offline_windows, setup, teardown),
      cmocka_unit_test_setup_teardown(test_server_queue, setup, teardown),
      cmocka_unit_test_setup_teardown(test_io_manager, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fault_garbage_harmless, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fault_garbage_eats_ready, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fault_reset, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fault_error_answer, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fault_lost_ready, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fault_hang_ends_run, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
