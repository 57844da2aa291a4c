/*
 * tests/firmware/test_qemu.c - the Cortex-M firmware images
 * (build/firmware/<workload>-<machine>.elf) end to end under QEMU: qemu-system-arm
 * -M mps2-an385 / mps2-an386 -icount shift=3 with UART0 on a unix socket, socat giving
 * it a pty (as ../shared/SERIAL_PROTOCOL.md describes), both started by fork/exec,
 * tracked by pid and always reaped. Raw protocol: banner, name, profile, db load / db /
 * db print, infer, results; the results equal the CPU SUT's precision=int8 outputs bit
 * for bit (the workload library in-process is the reference), and the DUT-timed latency
 * (m-lap-us difference) repeats exactly across two fresh QEMU runs. Through the CLI:
 * `mlsysbench run --sut serial:PTY --workload kws` in SingleStream, Offline and
 * accuracy mode, the accuracy entries identical to the CPU SUT's int8 run. SKIP when
 * qemu-system-arm, socat or the images are missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fw_models.h"
#include "reports/results.h"
#include "tests/firmware/dut_link.h"

#define QEMU_TIMEOUT_MS 20000   /* one command, inference included */
#define QEMU_START_MS 10000     /* socket, pty link, banner */
#define QEMU_ICOUNT "shift=3"   /* 8 ns of guest time per instruction */

typedef struct qemu_dut {
  pid_t qemu, socat;
  int fd;
  char dir[64], sock[96], tty[96];
  char ans[DL_ANSWER_MAX];
} qemu_dut;

/* The DUT of the running test; the teardown reaps it even after a failed assertion. */
static qemu_dut g_dut;

/* Is prog on PATH? */
static int have(const char *prog)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
  return system(cmd) == 0;
}

static void image_path(char *buf, size_t len, const char *workload, const char *machine)
{
  snprintf(buf, len, "%s/firmware/%s-%s.elf", getenv("BUILD") ? getenv("BUILD") : "build",
           workload, machine);
}

static void qemu_stop(qemu_dut *q)
{
  if (q->fd > 0)
    close(q->fd);
  q->fd = -1;
  dl_reap(q->socat);
  dl_reap(q->qemu);
  q->socat = q->qemu = 0;
  unlink(q->sock);
  unlink(q->tty);
  rmdir(q->dir);
}

/* Boot image on machine behind socat; reads the banner into q->ans. */
static void qemu_start(qemu_dut *q, const char *workload, const char *machine)
{
  char elf[512], chardev[160], pty[160], unix_end[160];
  memset(q, 0, sizeof *q);
  q->fd = -1;
  image_path(elf, sizeof elf, workload, machine);
  snprintf(q->dir, sizeof q->dir, "/tmp/mlsb-qemu.XXXXXX");
  assert_non_null(mkdtemp(q->dir));
  snprintf(q->sock, sizeof q->sock, "%s/uart0.sock", q->dir);
  snprintf(q->tty, sizeof q->tty, "%s/tty", q->dir);
  snprintf(chardev, sizeof chardev, "socket,id=uart0,path=%s,server=on,wait=on", q->sock);
  const char *qargv[] = {"qemu-system-arm", "-M", machine, "-nographic", "-monitor", "none",
                         "-icount", QEMU_ICOUNT, "-kernel", elf, "-chardev", chardev,
                         "-serial", "chardev:uart0", NULL};
  q->qemu = dl_spawn((char *const *)qargv, NULL, 0);
  assert_true(q->qemu > 0);
  if (dl_wait_path(q->sock, QEMU_START_MS) != 0) {
    qemu_stop(q);
    fail_msg("qemu-system-arm -M %s did not open %s", machine, q->sock);
  }
  snprintf(pty, sizeof pty, "PTY,link=%s,raw,echo=0", q->tty);
  snprintf(unix_end, sizeof unix_end, "UNIX-CONNECT:%s", q->sock);
  const char *sargv[] = {"socat", pty, unix_end, NULL};
  q->socat = dl_spawn((char *const *)sargv, NULL, 0);
  assert_true(q->socat > 0);
  if (dl_wait_path(q->tty, QEMU_START_MS) != 0 || (q->fd = dl_open_tty(q->tty)) < 0) {
    qemu_stop(q);
    fail_msg("socat did not make %s", q->tty);
  }
  long n = dl_read_answer(q->fd, q->ans, sizeof q->ans, QEMU_START_MS);
  if (n < 0 || !strstr(q->ans, "m-timestamp-mode-performance\r\nm-lap-us-")) {
    qemu_stop(q);
    fail_msg("no boot banner from %s on %s (got '%s')", elf, machine, q->ans);
  }
}

static const char *qemu_cmd(qemu_dut *q, const char *cmd)
{
  long n = dl_cmd(q->fd, cmd, q->ans, sizeof q->ans, QEMU_TIMEOUT_MS);
  if (n < 0)
    fail_msg("'%s': no answer ending m-ready within %d ms (got '%s')", cmd, QEMU_TIMEOUT_MS,
             q->ans);
  return q->ans;
}

/* Load sample `index` of workload (f32, or the quantized int8 form), `infer 1 0`, and
 * compare the results with the CPU SUT's int8 outputs bit for bit. Returns T1 - T0. */
static uint32_t infer_and_compare(qemu_dut *q, const char *workload, const char *machine,
                                  uint64_t index, int int8_input)
{
  static float in[SUT_FW_MAX_DB_BYTES / 4], ref[SUT_FW_MAX_OUT_ELEMS], got[SUT_FW_MAX_OUT_ELEMS];
  static int8_t x[SUT_FW_MAX_DB_BYTES / 4];
  const sut_fw_model *m = sut_fw_model_find(workload);
  int n = dl_reference(workload, index, in, sizeof in, ref, SUT_FW_MAX_OUT_ELEMS);
  assert_int_equal(n, (int)m->q.out_elems);
  if (int8_input)
    wl_qk_quantize_input(&m->q, in, x);
  size_t bytes = int8_input ? m->q.in_elems : 4 * (size_t)m->q.in_elems;
  if (dl_load(q->fd, int8_input ? (void *)x : (void *)in, bytes, QEMU_TIMEOUT_MS) != 0)
    fail_msg("%s: db load %zu did not end with m-load-done", workload, bytes);
  const char *a = qemu_cmd(q, "infer 1 0");
  uint32_t t0 = 0, t1 = 0;
  assert_int_equal(dl_lap(a, 0, &t0), 0);
  assert_int_equal(dl_lap(a, 1, &t1), 0);
  assert_int_equal(dl_results(a, got, SUT_FW_MAX_OUT_ELEMS), n);
  for (int k = 0; k < n; k++)
    if (dl_bits(got[k]) != dl_bits(ref[k]))
      fail_msg("%s sample %llu output %d: DUT %.9g (0x%08x), CPU SUT int8 %.9g (0x%08x)",
               workload, (unsigned long long)index, k, (double)got[k], dl_bits(got[k]),
               (double)ref[k], dl_bits(ref[k]));
  uint32_t us = t1 - t0;
  printf("# %s on %s: %lu us of guest time per inference (-icount %s)\n", workload,
         machine, (unsigned long)us, QEMU_ICOUNT);
  return us;
}

static int qemu_setup(void **state)
{
  char elf[512];
  const char *missing = !have("qemu-system-arm") ? "qemu-system-arm"
                        : !have("socat")         ? "socat"
                                                 : NULL;
  image_path(elf, sizeof elf, "kws", "mps2-an385");
  if (!missing && access(elf, R_OK) != 0)
    missing = "the firmware images (make firmware needs arm-none-eabi-gcc)";
  if (missing) {
    printf("SKIP: %s not found (sh harness/deps.sh firmware)\n", missing);
    exit(77);
  }
  return 0;
}

/* The raw protocol on the Cortex-M3 image, and the same DUT time in a second fresh run. */
static int qemu_teardown(void **state)
{
  qemu_stop(&g_dut);
  return 0;
}

static void test_kws_an385_protocol_and_repeatable_time(void **state)
{
  qemu_dut *q = &g_dut;
  static float in[490];
  float ref[12];
  uint32_t us[2];
  assert_int_equal(dl_reference("kws", 0, in, sizeof in, ref, 12), 12);
  for (int run = 0; run < 2; run++) {
    qemu_start(q, "kws", "mps2-an385");
    assert_string_equal(qemu_cmd(q, "name"), "m-name-dut-[mlsysbench]\r\nm-ready\r\n");
    assert_non_null(strstr(qemu_cmd(q, "profile"), "\r\nm-model-[kws01]\r\nm-ready\r\n"));
    assert_string_equal(qemu_cmd(q, "bogus"), "e-[Unknown command: bogus]\r\nm-ready\r\n");
    us[run] = infer_and_compare(q, "kws", "mps2-an385", 0, 0);
    const uint8_t *b = (const uint8_t *)in;
    char line[64];
    snprintf(line, sizeof line, "m-buffer-%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x\r\n", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
    assert_memory_equal(qemu_cmd(q, "db print"), line, strlen(line));
    assert_non_null(strstr(qemu_cmd(q, "results"), "m-results-["));
    qemu_stop(q);
  }
  assert_true(us[0] > 0);
  assert_int_equal(us[0], us[1]);
}

/* Every workload on the Cortex-M4F image (hard float), one of them from int8 input. */
static void test_workloads_an386_match_cpu_int8(void **state)
{
  qemu_dut *q = &g_dut;
  static const char *const workloads[] = {"kws", "ic", "ad", "vww"};
  for (size_t i = 0; i < sizeof workloads / sizeof *workloads; i++) {
    qemu_start(q, workloads[i], "mps2-an386");
    char want[32];
    snprintf(want, sizeof want, "m-model-[%s]", sut_fw_model_find(workloads[i])->mlperf);
    assert_non_null(strstr(qemu_cmd(q, "profile"), want));
    infer_and_compare(q, workloads[i], "mps2-an386", 1, strcmp(workloads[i], "vww") == 0);
    qemu_stop(q);
  }
}

/* ---- through the CLI: mlsysbench run --sut serial:PTY ------------------------------ */

#define CLI_TIMEOUT_MS 120000

/* Run `mlsysbench run <args>` with --out dir/name --quiet; its exit code (-1 timeout),
 * its output in dir/name.log. */
static int cli_run(const char *dir, const char *name, const char *const *args)
{
  char out[256], log[256];
  const char *argv[40] = {getenv("MLSB") ? getenv("MLSB") : "build/mlsysbench", "run"};
  int n = 2;
  snprintf(out, sizeof out, "%s/%s", dir, name);
  snprintf(log, sizeof log, "%s/%s.log", dir, name);
  for (; *args && n < 36; args++)
    argv[n++] = *args;
  argv[n++] = "--out";
  argv[n++] = out;
  argv[n++] = "--quiet";
  argv[n] = NULL;
  pid_t pid = dl_spawn_log((char *const *)argv, log);
  assert_true(pid > 0);
  int status = dl_wait(pid, CLI_TIMEOUT_MS);
  if (status == -1) {
    dl_reap(pid);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Contents of dir/name/file (NUL-terminated, caller frees), or fail. */
static char *slurp(const char *dir, const char *name, const char *file)
{
  char path[320];
  snprintf(path, sizeof path, "%s/%s/%s", dir, name, file);
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot read %s", path);
  char *text = calloc(1, 1 << 20);
  assert_non_null(text);
  size_t n = fread(text, 1, (1 << 20) - 1, f);
  fclose(f);
  text[n] = '\0';
  return text;
}

static void load_results(const char *dir, const char *name, rpt_results *r)
{
  char path[320], err[512];
  snprintf(path, sizeof path, "%s/%s/results.json", dir, name);
  if (rpt_results_read_json(path, r, err, sizeof err) != 0)
    fail_msg("%s", err);
}

/* The run's exit code must be 0; else fail with its log. */
static void expect_ok(const char *dir, const char *name, int rc)
{
  if (rc != 0) {
    char *log = slurp(dir, "", name);
    fail_msg("mlsysbench run (%s) exit %d: %s", name, rc, log);
  }
}

static void test_cli_kws_an385(void **state)
{
  qemu_dut *q = &g_dut;
  char dir[] = "/tmp/mlsb-qemu-cli.XXXXXX", spec[256];
  assert_non_null(mkdtemp(dir));
  qemu_start(q, "kws", "mps2-an385"); /* q->fd stays open: socat keeps the pty */
  snprintf(spec, sizeof spec, "serial:%.96s,timeout_ms=20000", q->tty);
  const char *single[] = {"--sut", spec, "--workload", "kws", "--set", "precision=int8",
                          "--scenario", "singlestream", "--duration-ms", "10",
                          "--min-queries", "4", "--set", "early_stopping=0", NULL};
  expect_ok(dir, "single.log", cli_run(dir, "single", single));
  rpt_results r;
  rpt_results_init(&r);
  load_results(dir, "single", &r);
  assert_true(r.device.present);
  assert_string_equal(r.device.model, "kws01");
  assert_true(r.device.latency.present);
  assert_int_equal(r.device.latency.count, r.result.counts.samples_completed);
  assert_true(r.device.latency.min_ns > 0);
  assert_true(r.device.recoveries.set && r.device.recoveries.v == 0);
  rpt_results_destroy(&r);

  snprintf(spec, sizeof spec, "serial:%.96s,timeout_ms=20000,window_ms=400,windows=3,warmup=1",
           q->tty);
  const char *offline[] = {"--sut", spec, "--workload", "kws", "--set", "precision=int8",
                           "--scenario", "offline", "--duration-ms", "10", NULL};
  expect_ok(dir, "offline.log", cli_run(dir, "offline", offline));
  rpt_results_init(&r);
  load_results(dir, "offline", &r);
  assert_int_equal(r.device.windows.count, 3);
  for (size_t i = 0; i < 3; i++) {
    assert_true(r.device.windows.items[i].dut_us >= 400000);
    assert_int_equal(r.device.windows.items[i].inferences, r.device.windows.items[0].inferences);
  }
  assert_true(r.device.samples_per_s.set && r.device.samples_per_s.v > 0.0);
  rpt_results_destroy(&r);

  snprintf(spec, sizeof spec, "serial:%.96s,timeout_ms=20000", q->tty);
  const char *acc[] = {"--sut", spec, "--workload", "kws", "--set", "precision=int8",
                       "--mode", "accuracy", "--set", "accuracy_sample_count_override=6",
                       NULL};
  expect_ok(dir, "acc.log", cli_run(dir, "acc", acc));
  const char *cpu[] = {"--sut", "cpu", "--workload", "kws", "--set", "precision=int8",
                       "--mode", "accuracy", "--set", "accuracy_sample_count_override=6",
                       NULL};
  expect_ok(dir, "cpu.log", cli_run(dir, "cpu", cpu));
  char *dut_json = slurp(dir, "acc", "accuracy.json"), *cpu_json = slurp(dir, "cpu", "accuracy.json");
  /* the same outputs give the same entries: top-1 and the error against the same
   * fp32 reference, printed to 17 digits */
  assert_non_null(strstr(dut_json, "\"samples\": ["));
  assert_string_equal(strstr(dut_json, "\"samples\": ["), strstr(cpu_json, "\"samples\": ["));
  free(dut_json);
  free(cpu_json);
  qemu_stop(q);
  char rm[64];
  snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
  assert_int_equal(system(rm), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_kws_an385_protocol_and_repeatable_time, qemu_teardown),
      cmocka_unit_test_teardown(test_workloads_an386_match_cpu_int8, qemu_teardown),
      cmocka_unit_test_teardown(test_cli_kws_an385, qemu_teardown),
  };
  signal(SIGPIPE, SIG_IGN);
  qemu_setup(NULL);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
