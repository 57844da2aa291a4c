/*
 * tests/firmware/test_sim.c - the simulated DUT (build/mlsb-dut-sim): the protocol over
 * a real pty, results bit for bit equal to the CPU SUT's int8 outputs for every
 * workload and both input formats, deterministic DUT timing (--us-per-infer, the 32-bit
 * wrap with --lap-start), --link, and each injected fault (--fault, --model).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fw_models.h"
#include "tests/firmware/dut_link.h"

#define SIM_TIMEOUT_MS 10000

typedef struct sim_run {
  pid_t pid;
  int fd;
  char path[256];
  char ans[DL_ANSWER_MAX];
} sim_run;

/* Start the sim with extra options (NULL-terminated); opens its pty. */
static void sim_start(sim_run *s, const char *const *extra)
{
  char sim[512];
  const char *argv[24] = {sim, "--idle-exit", "120"};
  int n = 3, out = -1;
  snprintf(sim, sizeof sim, "%s/mlsb-dut-sim", getenv("BUILD") ? getenv("BUILD") : "build");
  for (; extra && *extra && n < 22; extra++)
    argv[n++] = *extra;
  argv[n] = NULL;
  s->pid = dl_spawn((char *const *)argv, &out, 1);
  assert_true(s->pid > 0);
  assert_int_equal(dl_read_line(out, s->path, sizeof s->path, SIM_TIMEOUT_MS), 0);
  close(out);
  s->fd = dl_open_tty(s->path);
  assert_true(s->fd >= 0);
  /* the boot banner waits in the pty (the sim holds it open) */
  assert_true(dl_read_answer(s->fd, s->ans, sizeof s->ans, SIM_TIMEOUT_MS) > 0);
  assert_non_null(strstr(s->ans, "m-timestamp-mode-performance\r\n"));
}

static void sim_stop(sim_run *s)
{
  if (s->fd >= 0)
    close(s->fd);
  dl_reap(s->pid);
  s->fd = -1;
  s->pid = 0;
}

static long sim_cmd(sim_run *s, const char *cmd)
{
  return dl_cmd(s->fd, cmd, s->ans, sizeof s->ans, SIM_TIMEOUT_MS);
}

/* Load sample 0 of workload name as f32 and run `infer 1 0`; the results must equal the
 * CPU SUT's int8 outputs bit for bit. */
static void check_workload_f32(const char *name)
{
  static float in[SUT_FW_MAX_DB_BYTES / 4], ref[SUT_FW_MAX_OUT_ELEMS], got[SUT_FW_MAX_OUT_ELEMS];
  static sim_run s;
  const char *opts[] = {"--workload", name, NULL};
  int n = dl_reference(name, 0, in, sizeof in, ref, SUT_FW_MAX_OUT_ELEMS);
  assert_true(n > 0);
  sim_start(&s, opts);
  size_t bytes = 4 * (size_t)sut_fw_model_find(name)->q.in_elems;
  assert_int_equal(dl_load(s.fd, in, bytes, SIM_TIMEOUT_MS), 0);
  assert_true(sim_cmd(&s, "infer 1 0") > 0);
  assert_int_equal(dl_results(s.ans, got, SUT_FW_MAX_OUT_ELEMS), n);
  for (int k = 0; k < n; k++)
    assert_int_equal(dl_bits(got[k]), dl_bits(ref[k]));
  sim_stop(&s);
}

static void test_results_match_cpu_int8(void **state)
{
  check_workload_f32("kws");
  check_workload_f32("ic");
  check_workload_f32("ad");
  check_workload_f32("vww");
}

/* The int8 input format (already quantized) gives the same results. */
static void test_int8_input(void **state)
{
  static sim_run s;
  float in[490], ref[12], got[12];
  int8_t q[490];
  assert_int_equal(dl_reference("kws", 3, in, sizeof in, ref, 12), 12);
  wl_qk_quantize_input(&sut_fw_model_kws.q, in, q);
  sim_start(&s, NULL);
  assert_int_equal(dl_load(s.fd, q, sizeof q, SIM_TIMEOUT_MS), 0);
  assert_true(sim_cmd(&s, "infer 2 1") > 0);
  assert_int_equal(dl_results(s.ans, got, 12), 12);
  for (int k = 0; k < 12; k++)
    assert_int_equal(dl_bits(got[k]), dl_bits(ref[k]));
  assert_true(sim_cmd(&s, "results") > 0);
  assert_int_equal(dl_results(s.ans, got, 12), 12);
  assert_int_equal(dl_bits(got[11]), dl_bits(ref[11]));
  sim_stop(&s);
}

/* --us-per-infer: T1 - T0 = N x US exactly, across the 32-bit wrap too. */
static void test_timing_and_wrap(void **state)
{
  static sim_run s;
  int8_t q[490] = {0};
  uint32_t t0, t1;
  const char *opts[] = {"--us-per-infer", "1500", "--lap-start", "4294960000", NULL};
  sim_start(&s, opts);
  assert_true(sim_cmd(&s, "timestamp") > 0);
  assert_int_equal(dl_lap(s.ans, 0, &t0), 0);
  assert_int_equal(t0, 4294960000u);
  assert_int_equal(dl_load(s.fd, q, sizeof q, SIM_TIMEOUT_MS), 0);
  assert_true(sim_cmd(&s, "infer 4 2") > 0); /* 2 warm-ups, then 4 runs */
  assert_non_null(strstr(s.ans, "m-warmup-start-2\r\nm-warmup-done\r\nm-infer-start-4\r\n"));
  assert_int_equal(dl_lap(s.ans, 0, &t0), 0);
  assert_int_equal(dl_lap(s.ans, 1, &t1), 0);
  assert_int_equal(t0, 4294960000u + 3000u);
  assert_true(t1 < t0); /* wrapped */
  assert_int_equal((uint32_t)(t1 - t0), 6000u);
  sim_stop(&s);
}

static void test_protocol_lines(void **state)
{
  static sim_run s;
  char link[64];
  snprintf(link, sizeof link, "/tmp/mlsb-sim-link.%d", (int)getpid());
  const char *opts[] = {"--link", link, NULL};
  sim_start(&s, opts);
  assert_int_equal(dl_wait_path(link, SIM_TIMEOUT_MS), 0);
  int fd2 = dl_open_tty(link); /* the link reaches the same DUT */
  assert_true(fd2 >= 0);
  assert_true(dl_cmd(fd2, "name", s.ans, sizeof s.ans, SIM_TIMEOUT_MS) > 0);
  assert_string_equal(s.ans, "m-name-dut-[mlsysbench]\r\nm-ready\r\n");
  close(fd2);
  assert_true(sim_cmd(&s, "profile") > 0);
  assert_non_null(strstr(s.ans, "m-model-[kws01]\r\nm-ready\r\n"));
  assert_true(sim_cmd(&s, "bogus 1") > 0);
  assert_string_equal(s.ans, "e-[Unknown command: bogus 1]\r\nm-ready\r\n");
  sim_stop(&s);
  assert_int_equal(access(link, F_OK), -1); /* removed at exit */
}

/* ---- faults --------------------------------------------------------------------- */

static void test_fault_garbage(void **state)
{
  static sim_run s;
  const char *opts[] = {"--fault", "garbage:2", NULL};
  sim_start(&s, opts);
  assert_true(sim_cmd(&s, "name") > 0);
  assert_string_equal(s.ans, "m-name-dut-[mlsysbench]\r\nm-ready\r\n");
  assert_true(sim_cmd(&s, "name") > 0);
  assert_string_equal(s.ans, "m-resu\xfe\xff\r\nm-name-dut-[mlsysbench]\r\nm-ready\r\n");
  sim_stop(&s);
}

static void test_fault_reset(void **state)
{
  static sim_run s;
  int8_t q[490] = {0};
  const char *opts[] = {"--fault", "reset:18", NULL}; /* db load + 16 db + this */
  sim_start(&s, opts);
  assert_int_equal(dl_load(s.fd, q, sizeof q, SIM_TIMEOUT_MS), 0);
  assert_true(sim_cmd(&s, "infer 1 0") > 0);
  assert_non_null(strstr(s.ans, "m-warmup-start-0\r\nm-timestamp-mode-performance\r\n"));
  assert_non_null(strstr(s.ans, "m-init-done\r\nm-ready\r\n"));
  assert_null(strstr(s.ans, "m-results"));
  assert_true(sim_cmd(&s, "infer 1 0") > 0); /* the input was lost */
  assert_non_null(strstr(s.ans, "e-[infer: the input is not loaded"));
  sim_stop(&s);
}

static void test_fault_no_ready(void **state)
{
  static sim_run s;
  const char *opts[] = {"--fault", "no-ready:1", NULL};
  sim_start(&s, opts);
  assert_int_equal(dl_cmd(s.fd, "name", s.ans, sizeof s.ans, 500), -1);
  assert_string_equal(s.ans, "m-name-dut-[mlsysbench]\r\n");
  assert_true(sim_cmd(&s, "name") > 0);
  sim_stop(&s);
}

static void test_fault_hang(void **state)
{
  static sim_run s;
  const char *opts[] = {"--fault", "hang:2", NULL};
  sim_start(&s, opts);
  assert_true(sim_cmd(&s, "name") > 0);
  assert_int_equal(dl_cmd(s.fd, "name", s.ans, sizeof s.ans, 300), -1);
  assert_string_equal(s.ans, "");
  assert_int_equal(dl_cmd(s.fd, "profile", s.ans, sizeof s.ans, 300), -1);
  assert_string_equal(s.ans, "");
  sim_stop(&s);
}

static void test_fault_eio(void **state)
{
  static sim_run s;
  const char *opts[] = {"--fault", "eio:2", NULL};
  sim_start(&s, opts);
  assert_true(sim_cmd(&s, "name") > 0);
  assert_int_equal(dl_cmd(s.fd, "name", s.ans, sizeof s.ans, SIM_TIMEOUT_MS), -2);
  int status = dl_wait(s.pid, SIM_TIMEOUT_MS);
  assert_true(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  s.pid = 0;
  sim_stop(&s);
}

static void test_fault_error_and_model(void **state)
{
  static sim_run s;
  const char *opts[] = {"--fault", "error:1", "--model", "vww01", NULL};
  sim_start(&s, opts);
  assert_true(sim_cmd(&s, "name") > 0);
  assert_string_equal(s.ans, "e-[injected fault: error at command 1]\r\nm-ready\r\n");
  assert_true(sim_cmd(&s, "profile") > 0);
  assert_non_null(strstr(s.ans, "m-model-[vww01]\r\n"));
  sim_stop(&s);
}

static void test_bad_options(void **state)
{
  char sim[512];
  snprintf(sim, sizeof sim, "%s/mlsb-dut-sim", getenv("BUILD") ? getenv("BUILD") : "build");
  const char *bad[][4] = {{sim, "--fault", "melt:1", NULL},
                          {sim, "--fault", "hang:0", NULL},
                          {sim, "--workload", "gemm", NULL},
                          {sim, "--lap-start", "-1", NULL}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pid_t pid = dl_spawn((char *const *)bad[i], NULL, 0);
    int status = dl_wait(pid, SIM_TIMEOUT_MS);
    assert_true(status != -1 && WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_results_match_cpu_int8),
      cmocka_unit_test(test_int8_input),
      cmocka_unit_test(test_timing_and_wrap),
      cmocka_unit_test(test_protocol_lines),
      cmocka_unit_test(test_fault_garbage),
      cmocka_unit_test(test_fault_reset),
      cmocka_unit_test(test_fault_no_ready),
      cmocka_unit_test(test_fault_hang),
      cmocka_unit_test(test_fault_eio),
      cmocka_unit_test(test_fault_error_and_model),
      cmocka_unit_test(test_bad_options),
  };
  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
