/*
 * tests/serial/test_sim.c - the serial SUT against the host-side simulated DUT,
 * $(BUILD)/mlsb-dut-sim (the real firmware library compiled for the host, serving the
 * protocol on a pty), with its injected faults. Each test starts the simulator by
 * fork/exec (--link to a pty symlink in a temporary folder), tracks it by PID and always
 * reaps it, then drives `mlsysbench run --sut serial:LINK` as a second child, or the
 * adapter API directly:
 *   garbage:N   a noise line is counted, the run stays VALID
 *   reset:N     boot banner mid-answer: one re-sync and retry, VALID
 *   no-ready:N  lost m-ready: timeout, re-sync, retry, VALID
 *   error:N     e-[...] answer: re-sync, retry, VALID
 *   hang:N      exit 3, INVALID sut_failed, the samples so far kept in the run folder
 *   eio:N       the device goes away: exit 3, INVALID sut_failed "went away"
 *   --model     wrong model: exit 1 with both model names, no run folder
 *   --lap-start just below 2^32: the counter wraps, DUT latency stays exact
 *   accuracy    outputs equal the CPU SUT's precision=int8 outputs bit for bit
 *   Ctrl-C      in the middle of an Offline window: canceled at once, INVALID
 * Skipped (with the reason) when the simulator is not built.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "proc.h"
#include "reports/results.h"
#include "sut/sut.h"

#define US_PER_INFER "1000"
#define CLI_TIMEOUT_MS 60000

typedef struct fixture {
  char sim[512], dir[128], link[160], out[200], log[200], sim_log[200], text[16384];
  pid_t sim_pid;
  rpt_results r;
} fixture;

static char sim_path[512];

static int setup(void **state) {
  fixture *x = calloc(1, sizeof *x);
  if (!x) return -1;
  snprintf(x->dir, sizeof x->dir, "/tmp/mlsb-serial-sim-XXXXXX");
  if (!mkdtemp(x->dir)) return -1;
  snprintf(x->link, sizeof x->link, "%s/dut", x->dir);
  snprintf(x->out, sizeof x->out, "%s/run", x->dir);
  snprintf(x->log, sizeof x->log, "%s/cli.log", x->dir);
  snprintf(x->sim_log, sizeof x->sim_log, "%s/sim.log", x->dir);
  rpt_results_init(&x->r);
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fixture *x = *state;
  if (x->sim_pid > 0) {
    kill(x->sim_pid, SIGTERM);
    proc_wait(x->sim_pid, 3000);
  }
  rpt_results_destroy(&x->r);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->dir);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", x->dir);
  free(x);
  return 0;
}

/* Start the simulator with extra arguments (NULL-terminated); wait for its link. */
static void sim_start(fixture *x, const char *const *extra) {
  char *argv[24] = {sim_path, "--link", x->link, "--us-per-infer", US_PER_INFER,
                    "--idle-exit", "60"};
  size_t n = 7;
  for (size_t i = 0; extra[i] && n < 23; i++) argv[n++] = (char *)extra[i];
  argv[n] = NULL;
  x->sim_pid = proc_start(argv, x->sim_log);
  assert_true(x->sim_pid > 0);
  struct stat st;
  for (int i = 0; i < 500 && stat(x->link, &st); i++) proc_sleep_ms(10);
  if (stat(x->link, &st)) fail_msg("mlsb-dut-sim made no %s: %s", x->link, proc_log(x->sim_log, x->text, sizeof x->text));
}

/* mlsysbench run --sut serial:LINK<opts> --workload kws (SingleStream, 80 queries). */
static int cli(fixture *x, const char *opts) {
  char spec[300];
  snprintf(spec, sizeof spec, "serial:%s%s", x->link, opts);
  char *argv[] = {getenv("MLSB"), "run", "--sut", spec, "--workload", "kws", "--scenario",
                  "singlestream", "--duration-ms", "50", "--min-queries", "80", "--out",
                  x->out, "--quiet", NULL};
  return proc_run(argv, x->log, CLI_TIMEOUT_MS, x->text, sizeof x->text);
}

static void load(fixture *x) {
  char err[512];
  if (!proc_results(x->out, &x->r, err, sizeof err)) fail_msg("%s (CLI: %s)", err, x->text);
}

static const char *reason(const fixture *x, const char *code) {
  for (size_t i = 0; i < x->r.result.reasons.count; i++)
    if (!strcmp(x->r.result.reasons.items[i].code, code)) return x->r.result.reasons.items[i].text;
  return NULL;
}

/* A fault the adapter recovers from: VALID, `recoveries` re-syncs, last_fault says why. */
static void recovered(void **state, const char *fault, uint64_t recoveries, const char *why) {
  fixture *x = *state;
  const char *extra[] = {"--fault", fault, NULL};
  sim_start(x, extra);
  int rc = cli(x, ",timeout_ms=3000");
  if (rc != 0) fail_msg("exit %d: %s", rc, x->text);
  load(x);
  assert_true(x->r.result.valid.v);
  assert_int_equal(x->r.result.counts.samples_lost, 0);
  assert_int_equal(x->r.device.recoveries.v, recoveries);
  assert_int_equal(x->r.device.latency.p50_ns, 1000000);
  if (why && (!x->r.device.last_fault || !strstr(x->r.device.last_fault, why)))
    fail_msg("last fault '%s' lacks '%s'", x->r.device.last_fault ? x->r.device.last_fault : "", why);
}

static void test_garbage(void **state) {
  recovered(state, "garbage:150", 0, NULL);
  fixture *x = *state;
  assert_int_equal(x->r.device.garbage_lines.v, 1);
  assert_null(x->r.device.failure);
}

static void test_reset(void **state) { recovered(state, "reset:150", 1, "boot banner"); }
static void test_no_ready(void **state) { recovered(state, "no-ready:150", 1, "no m-ready within 3000 ms"); }
static void test_error(void **state) { recovered(state, "error:150", 1, "e-[injected fault: error at command 150]"); }

/* A fault that ends the run: exit 3, INVALID sut_failed, the samples so far kept. */
static void failed(void **state, const char *fault, const char *why) {
  fixture *x = *state;
  const char *extra[] = {"--fault", fault, NULL};
  sim_start(x, extra);
  assert_int_equal(cli(x, ",timeout_ms=3000"), 3);
  load(x);
  assert_false(x->r.result.valid.v);
  const char *text = reason(x, "sut_failed");
  if (!text || !strstr(text, why)) fail_msg("sut_failed reason '%s' lacks '%s'", text ? text : "(none)", why);
  assert_true(x->r.result.counts.samples_completed >= 2);
  assert_int_equal(x->r.result.counts.samples_lost, 1);
  assert_non_null(strstr(x->text, "serial DUT failed")); /* said on stderr too */
  char path[300];
  struct stat st;
  snprintf(path, sizeof path, "%s/samples.csv", x->out);
  assert_int_equal(stat(path, &st), 0);
}

static void test_hang(void **state) { failed(state, "hang:150", "no m-ready within 3000 ms"); }
static void test_eio(void **state) { failed(state, "eio:150", "went away"); }

static void test_wrong_model(void **state) {
  fixture *x = *state;
  const char *extra[] = {"--model", "vww01", NULL};
  sim_start(x, extra);
  assert_int_equal(cli(x, ""), 1);
  assert_non_null(strstr(x->text, "runs model 'vww01', the workload needs 'kws01'"));
  struct stat st;
  assert_int_not_equal(stat(x->out, &st), 0);
}

static void test_counter_wrap(void **state) {
  fixture *x = *state;
  const char *extra[] = {"--lap-start", "4294960000", NULL};
  sim_start(x, extra);
  int rc = cli(x, "");
  if (rc != 0) fail_msg("exit %d: %s", rc, x->text);
  load(x);
  assert_int_equal(x->r.device.counter_wraps.v, 1);
  assert_int_equal(x->r.device.latency.min_ns, 1000000);
  assert_int_equal(x->r.device.latency.max_ns, 1000000);
}

/* Through the adapter API: accuracy mode outputs against wl_infer of precision=int8. */
static void test_outputs_bit_exact(void **state) {
  fixture *x = *state;
  const char *extra[] = {NULL};
  sim_start(x, extra);
  wl_params p;
  wl_params_init(&p);
  wl_params_set(&p, "precision", "int8");
  wl_model *m;
  char err[512], spec[300];
  assert_int_equal(wl_open(&m, "kws", &p, err, sizeof err), WL_OK);
  lg_settings st;
  lg_settings_default(&st, LG_SINGLE_STREAM);
  st.mode = LG_MODE_ACCURACY;
  st.accuracy_sample_count_override = 4;
  sut_options o;
  sut_options_default(&o);
  snprintf(spec, sizeof spec, "serial:%s", x->link);
  o.spec = spec;
  o.settings = &st;
  sut *s;
  if (sut_open(&s, &o, m, err, sizeof err)) fail_msg("%s", err);
  lg_sut_ops so;
  lg_qsl_ops qo;
  sut_lg_bind(s, &so, &qo);
  lg_hooks h = {.response_bytes_max = 12 * sizeof(float)};
  lg_test *t;
  assert_int_equal(lg_test_init(&t, &st, &so, s, &qo, s, &h), LG_OK);
  assert_int_equal(lg_test_run(t), LG_OK);
  size_t n;
  const lg_record *rec = lg_test_records(t, &n);
  assert_int_equal(n, 4);
  float in[490], want[12];
  void *scratch = malloc(wl_scratch_bytes(m) + 1);
  wl_scratch_init(m, scratch, 0);
  for (size_t i = 0; i < n; i++) {
    size_t size;
    const float *got = lg_test_response(t, i, &size);
    assert_non_null(got);
    wl_make_sample(m, rec[i].sample_index, in);
    wl_infer(m, in, want, scratch);
    assert_memory_equal(got, want, sizeof want);
  }
  free(scratch);
  lg_test_destroy(t);
  sut_close(s);
  wl_close(m);
}

/* Ctrl-C in the middle of a 30 s Offline window: loadgen stops, unload cancels the window
 * at once (no window is recorded), the run ends INVALID interrupted, close returns. */
static void *stop_later(void *t) {
  proc_sleep_ms(300);
  lg_test_request_stop(t);
  return NULL;
}

static void test_interrupt_offline_window(void **state) {
  fixture *x = *state;
  const char *none[] = {NULL};
  sim_start(x, none);
  wl_model *m;
  char err[512], spec[300];
  assert_int_equal(wl_open(&m, "kws", NULL, err, sizeof err), WL_OK);
  lg_settings st;
  lg_settings_default(&st, LG_OFFLINE);
  st.drain_timeout_ms = 200;
  sut_options o;
  sut_options_default(&o);
  /* the sim's clock advances 1000 us per inference: 30 s of DUT time = 30,000 runs of
   * the real int8 model on this host, far longer than the test waits */
  snprintf(spec, sizeof spec, "serial:%s,window_ms=30000,warmup=0", x->link);
  o.spec = spec;
  o.settings = &st;
  sut *s;
  if (sut_open(&s, &o, m, err, sizeof err)) fail_msg("%s", err);
  lg_sut_ops so;
  lg_qsl_ops qo;
  sut_lg_bind(s, &so, &qo);
  lg_test *t;
  assert_int_equal(lg_test_init(&t, &st, &so, s, &qo, s, NULL), LG_OK);
  pthread_t stopper;
  assert_int_equal(pthread_create(&stopper, NULL, stop_later, t), 0);
  assert_int_equal(lg_test_run(t), LG_OK);
  pthread_join(stopper, NULL);
  const lg_result *r = lg_test_result(t);
  assert_false(r->valid);
  assert_int_equal(r->samples_completed, 0);
  sut_info *si = calloc(1, sizeof *si);
  sut_describe(s, si);
  assert_int_equal(si->device_timing.windows, 0);
  assert_string_equal(si->device_timing.failure, "");
  free(si);
  sut_close(s);
  lg_test_destroy(t);
  wl_close(m);
}

int main(void) {
  const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
  snprintf(sim_path, sizeof sim_path, "%s/mlsb-dut-sim", build);
  struct stat st;
  if (stat(sim_path, &st) || !getenv("MLSB")) {
    printf("SKIP: %s is not built (make %s), or MLSB is unset: the simulated-DUT tests "
           "need both\n", sim_path, sim_path);
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_ready, setup, teardown),
      cmocka_unit_test_setup_teardown(test_error, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hang, setup, teardown),
      cmocka_unit_test_setup_teardown(test_eio, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_model, setup, teardown),
      cmocka_unit_test_setup_teardown(test_counter_wrap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_outputs_bit_exact, setup, teardown),
      cmocka_unit_test_setup_teardown(test_interrupt_offline_window, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
