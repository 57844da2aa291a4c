/*
 * tests/cuda/test_cuda_cli.c - the CUDA SUT as a user meets it on the command line.
 *
 * With this build ($MLSB): `mlsysbench list` names cuda; on a machine without a usable
 * GPU `run --sut cuda` exits 4 ("not supported") with the CUDA runtime's own error and
 * writes no run folder; a bad cuda option exits 2 naming it; a workload the SUT
 * does not run exits 4 with the reason.
 * A build without nvcc: `make NVCC=/nonexistent` into $BUILD/nocuda (reusing this
 * build's C objects, so only sut/cuda/unavailable.c and the host-only parts compile), whose
 * `run --sut cuda` exits 4 with "this build has no CUDA support (nvcc was not found
 * at build time)".
 * With a GPU: a kws Offline run exits 0 and results.json has sut.accelerator with
 * the device and its batch timings.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static char tmpdir[256];

/* Run a shell command line (stderr merged) and return its exit status; out gets
 * what it printed. */
static int sh(char *out, size_t outlen, const char *fmt, ...)
{
  char cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, outlen - 1, p);
  out[n] = '\0';
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static const char *mlsb(void)
{
  const char *m = getenv("MLSB");
  return m ? m : "build/mlsysbench";
}

static bool gpu_here(char *why, size_t len)
{
  char out[4096];
  int rc = sh(out, sizeof out, "%s run --sut cuda --workload kws --scenario offline "
              "--duration-ms 100 --quiet --out %s/probe", mlsb(), tmpdir);
  snprintf(why, len, "%s", out);
  return rc == 0;
}

static void test_listed(void **state)
{
  (void)state;
  char out[65536];
  assert_int_equal(sh(out, sizeof out, "%s list", mlsb()), 0);
  assert_non_null(strstr(out, "\n  cuda "));
}

/* No GPU: exit 4, the CUDA runtime's words, no folder. */
static void test_no_gpu_exit_4(void **state)
{
  (void)state;
  char out[4096], why[4096];
  if (gpu_here(why, sizeof why)) {
    print_message("SKIP: a CUDA device is present, the no-GPU path cannot be seen\n");
    skip();
  }
  int rc = sh(out, sizeof out, "%s run --sut cuda:0 --workload gemm --scenario server "
              "--out %s/nogpu", mlsb(), tmpdir);
  print_message("%s", out);
  assert_int_equal(rc, 4);
  assert_true(strstr(out, "--sut cuda:0: cuda: cudaGetDeviceCount: ") ||
              strstr(out, "no CUDA-capable device is detected") ||
              strstr(out, "this build has no CUDA support"));
  char dir[300];
  struct stat st;
  snprintf(dir, sizeof dir, "%s/nogpu", tmpdir);
  assert_int_not_equal(stat(dir, &st), 0);
}

static void test_bad_option_exit_2(void **state)
{
  (void)state;
  char out[4096];
  int rc = sh(out, sizeof out, "%s run --sut cuda:max_batch=0 --workload kws", mlsb());
  if (strstr(out, "no CUDA support")) {
    assert_int_equal(rc, 4);
    return;
  }
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "max_batch=0: use an integer 1..4096"));
}

static void test_unsupported_workload_exit_4(void **state)
{
  (void)state;
  char out[4096];
  int rc = sh(out, sizeof out, "%s run --sut cuda --workload delay", mlsb());
  assert_int_equal(rc, 4);
  assert_true(strstr(out, "workload 'delay' is not supported") ||
              strstr(out, "no CUDA support"));
}

/* make NVCC=/nonexistent into $BUILD/nocuda, reusing this build's objects. */
static void test_build_without_nvcc(void **state)
{
  (void)state;
  const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
  const char *san = getenv("SANITIZE") ? getenv("SANITIZE") : "";
  char out[16384];
  if (access("Makefile", R_OK) != 0 || access("sut/cuda/unavailable.c", R_OK) != 0) {
    print_message("SKIP: not run from the source tree (no ./Makefile)\n");
    skip();
  }
  int rc = sh(out, sizeof out,
              "set -e; b=%s/nocuda; rm -rf $b; mkdir -p $b; cp -a %s/obj $b/obj; "
              "rm -rf $b/obj/sut/cuda; env -u MAKEFLAGS -u MFLAGS make -s --no-print-directory "
              "NVCC=/nonexistent BUILD=$b SANITIZE='%s' $b/mlsysbench",
              build, build, san);
  if (rc != 0)
    fail_msg("make NVCC=/nonexistent failed (%d):\n%s", rc, out);
  rc = sh(out, sizeof out, "%s/nocuda/mlsysbench run --sut cuda --workload kws", build);
  print_message("%s", out);
  assert_int_equal(rc, 4);
  assert_non_null(strstr(out, "--sut cuda: cuda: this build has no CUDA support (nvcc was "
                              "not found at build time)"));
  assert_int_equal(sh(out, sizeof out, "%s/nocuda/mlsysbench list", build), 0);
  assert_non_null(strstr(out, "NVIDIA GPU: unavailable, this build has no CUDA support"));
  /* the CPU SUT still runs in that build (3: too short to be VALID, still written) */
  rc = sh(out, sizeof out, "%s/nocuda/mlsysbench run --sut cpu --workload null "
          "--scenario offline --duration-ms 50 --quiet --out %s/cpu", build, tmpdir);
  assert_true(rc == 0 || rc == 3);
  assert_non_null(strstr(out, "run folder: "));
  sh(out, sizeof out, "rm -rf %s/nocuda", build);
}

static json_object *jget(json_object *j, const char *path)
{
  char buf[256], *save;
  snprintf(buf, sizeof buf, "%s", path);
  for (char *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
    if (!json_object_object_get_ex(j, k, &j))
      return NULL;
  return j;
}

/* With a GPU: results.json carries the accelerator block. */
static void test_gpu_results(void **state)
{
  (void)state;
  char why[4096], path[400];
  if (!gpu_here(why, sizeof why)) {
    print_message("SKIP: no usable CUDA device: %s", why);
    skip();
  }
  snprintf(path, sizeof path, "%s/probe/results.json", tmpdir);
  json_object *j = json_object_from_file(path);
  assert_non_null(j);
  assert_string_equal(json_object_get_string(jget(j, "sut.name")), "cuda");
  assert_string_equal(json_object_get_string(jget(j, "sut.accelerator.api")), "CUDA");
  assert_true(json_object_get_int64(jget(j, "sut.accelerator.sm_count")) > 0);
  assert_true(json_object_get_int64(jget(j, "sut.accelerator.batches")) > 0);
  assert_true(json_object_get_double(jget(j, "sut.accelerator.device_batch_ns_mean")) > 0);
  json_object_put(j);
}

static int setup(void **state)
{
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/mlsb-cuda-cli-XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  char out[256], cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  sh(out, sizeof out, "%s", cmd);
  return 0;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_listed),
      cmocka_unit_test(test_no_gpu_exit_4),
      cmocka_unit_test(test_bad_option_exit_2),
      cmocka_unit_test(test_unsupported_workload_exit_4),
      cmocka_unit_test(test_build_without_nvcc),
      cmocka_unit_test(test_gpu_results),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
