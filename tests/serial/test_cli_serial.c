/*
 * tests/serial/test_cli_serial.c - `mlsysbench run --sut serial:PTY` end to end against
 * the in-test fake DUT (fake_dut.h): exit codes, the device-timed block of results.json
 * (host and DUT latency side by side, Offline windows), accuracy.json, the wrong-model
 * message, and a DUT that hangs mid-run: exit 3, the samples so far kept in the run
 * folder marked INVALID with reason sut_failed. The CLI ($MLSB) runs as a child,
 * fork/exec'd, reaped with a timeout (proc.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "fake_dut.h"
#include "proc.h"
#include "reports/results.h"

#define CLI_TIMEOUT_MS 60000

typedef struct fixture {
  fake_dut f;
  char dir[128], out[256], log[256], text[16384];
  rpt_results r;
} fixture;

static int setup(void **state) {
  if (!getenv("MLSB")) {
    fprintf(stderr, "SKIP: MLSB is not set (run through make test)\n");
    return -1;
  }
  fixture *x = calloc(1, sizeof *x);
  if (!x) return -1;
  snprintf(x->dir, sizeof x->dir, "/tmp/mlsb-serial-cli-XXXXXX");
  if (!mkdtemp(x->dir)) return -1;
  snprintf(x->out, sizeof x->out, "%s/run", x->dir);
  snprintf(x->log, sizeof x->log, "%s/cli.log", x->dir);
  x->f.model = "kws01";
  x->f.us_per_infer = 4000;
  x->f.lap_start = 77;
  x->f.out_elems = 12;
  rpt_results_init(&x->r);
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fixture *x = *state;
  if (x->f.path[0]) fake_stop(&x->f);
  rpt_results_destroy(&x->r);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->dir);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", x->dir);
  free(x);
  return 0;
}

/* mlsysbench run --sut serial:PTY<opts> --workload kws --out DIR <args...>; the exit
 * code. The fake is started first. */
static int cli(fixture *x, const char *opts, const char *const *args) {
  assert_int_equal(fake_start(&x->f), 0);
  char spec[256];
  snprintf(spec, sizeof spec, "serial:%s%s", x->f.path, opts);
  char *argv[32] = {getenv("MLSB"), "run", "--sut", spec, "--workload", "kws",
                    "--out", x->out, "--quiet"};
  size_t n = 9;
  for (size_t i = 0; args[i] && n < 31; i++) argv[n++] = (char *)args[i];
  argv[n] = NULL;
  return proc_run(argv, x->log, CLI_TIMEOUT_MS, x->text, sizeof x->text);
}

static void load_results(fixture *x) {
  char err[512];
  if (!proc_results(x->out, &x->r, err, sizeof err)) fail_msg("%s (CLI said: %s)", err, x->text);
}

static bool has_file(const fixture *x, const char *name) {
  char path[300];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", x->out, name);
  return stat(path, &st) == 0 && st.st_size > 0;
}

static void test_single_stream(void **state) {
  fixture *x = *state;
  const char *args[] = {"--scenario", "singlestream", "--duration-ms", "100",
                        "--min-queries", "80", NULL};
  int rc = cli(x, "", args);
  if (rc != 0) fail_msg("exit %d: %s", rc, x->text);
  load_results(x);
  assert_string_equal(x->r.sut.name, "serial");
  assert_true(x->r.device.present);
  assert_string_equal(x->r.device.model, "kws01");
  assert_true(x->r.device.latency.present);
  assert_int_equal(x->r.device.latency.p90_ns, 4000000);
  assert_int_equal(x->r.device.latency.count, x->r.result.counts.samples_completed);
  assert_true(x->r.result.latency.present); /* the host round trip beside it */
  assert_true(x->r.result.latency.min_ns > 0);
  assert_true(x->r.device.recoveries.set && x->r.device.recoveries.v == 0);
}

static void test_offline_windows(void **state) {
  fixture *x = *state;
  x->f.us_per_infer = 500;
  const char *args[] = {"--scenario", "offline", "--duration-ms", "10", NULL};
  int rc = cli(x, ",window_ms=30,windows=5,warmup=0", args);
  if (rc != 0) fail_msg("exit %d: %s", rc, x->text);
  load_results(x);
  assert_int_equal(x->r.device.windows.count, 5);
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(x->r.device.windows.items[i].inferences, 60);
    assert_int_equal(x->r.device.windows.items[i].dut_us, 30000);
  }
  assert_true(x->r.device.samples_per_s.set && x->r.device.samples_per_s.v == 2000.0);
}

static void test_accuracy(void **state) {
  fixture *x = *state;
  const char *args[] = {"--mode", "accuracy", "--set", "accuracy_sample_count_override=5", NULL};
  int rc = cli(x, "", args);
  if (rc != 0) fail_msg("exit %d: %s", rc, x->text);
  load_results(x);
  assert_true(x->r.accuracy.present);
  assert_int_equal(x->r.accuracy.samples, 5);
  assert_int_equal(x->r.accuracy.missing, 0);
  assert_true(has_file(x, "accuracy.json"));
}

static void test_wrong_model(void **state) {
  fixture *x = *state;
  x->f.model = "ic01";
  const char *args[] = {NULL};
  assert_int_equal(cli(x, "", args), 1);
  assert_non_null(strstr(x->text, "runs model 'ic01', the workload needs 'kws01'"));
  assert_false(has_file(x, "results.json"));
}

static void test_hang_keeps_samples_invalid(void **state) {
  fixture *x = *state;
  x->f.fault = FAKE_HANG;
  x->f.fault_at = 2 + 66 * 5 + 1; /* the sixth sample's db load */
  const char *args[] = {"--scenario", "singlestream", "--duration-ms", "100",
                        "--min-queries", "80", NULL};
  assert_int_equal(cli(x, ",timeout_ms=1000", args), 3);
  load_results(x);
  assert_false(x->r.result.valid.v);
  bool found = false;
  for (size_t i = 0; i < x->r.result.reasons.count; i++)
    if (!strcmp(x->r.result.reasons.items[i].code, "sut_failed")) {
      found = true;
      assert_non_null(strstr(x->r.result.reasons.items[i].text, "'db load 1960': no m-ready"));
    }
  assert_true(found);
  assert_int_equal(x->r.result.counts.samples_completed, 5);
  assert_int_equal(x->r.result.counts.samples_lost, 1);
  assert_non_null(x->r.device.failure);
  assert_true(has_file(x, "samples.csv"));
  assert_true(has_file(x, "summary.txt"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_single_stream, setup, teardown),
      cmocka_unit_test_setup_teardown(test_offline_windows, setup, teardown),
      cmocka_unit_test_setup_teardown(test_accuracy, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_model, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hang_keeps_samples_invalid, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
