/*
 * tests/cuda/test_cuda.c - the CUDA SUT (sut/cuda) through the SUT API.
 *
 * Everywhere: "cuda" is in the backend table; a machine without a usable GPU gets
 * SUT_ENOTSUP with the CUDA runtime's own words (or, in a build without nvcc, the
 * no-CUDA sentence), never a crash; bad spec options are SUT_EINVAL and workloads the
 * adapter does not run are SUT_ENOTSUP with the reason, both decided before the
 * device is touched.
 * With a GPU (else each reports SKIP with the reason): outputs of kws, ic, vww, ad
 * and gemm (fp32, tf32, fp16, bf16) against the CPU fp32 reference within
 * sut_cuda_tolerance, through real libloadgen accuracy runs in every scenario;
 * dynamic batching (Server batches fill up to max_batch, never beyond; max_delay_us=0
 * does not wait); the device description and CUDA-event timings; unload drops what
 * is queued.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sut/cuda/engine.h"
#include "sut/sut.h"

/* ---- what this build and machine can do -------------------------------------------- */
static const sut_backend *cuda_backend(void)
{
  size_t n;
  const sut_backend *const *b = sut_backends(&n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(b[i]->name, "cuda") == 0)
      return b[i];
  return NULL;
}

static bool built_with_cuda(void)
{
  const sut_backend *b = cuda_backend();
  return b && !strstr(b->help, "unavailable");
}

/* Open spec on workload name (one optional key=value); returns the status, err. */
static int try_open(sut **s, wl_model **m, const char *name, const char *key,
                    const char *value, const char *spec, const lg_settings *settings, char *err,
                    size_t errlen)
{
  wl_params p;
  wl_params_init(&p);
  if (key)
    assert_int_equal(wl_params_set(&p, key, value), WL_OK);
  *s = NULL;
  if (wl_open(m, name, &p, err, errlen) != WL_OK)
    fail_msg("wl_open(%s): %s", name, err);
  sut_options o;
  sut_options_default(&o);
  o.spec = spec;
  o.settings = settings; /* the scenario picks the batching defaults */
  return sut_open(s, &o, *m, err, errlen);
}

/* Empty when a GPU runs kws here, else why not (for the SKIP lines). */
static char no_gpu[512];

static int probe_gpu(void **state)
{
  (void)state;
  sut *s;
  wl_model *m;
  int rc = try_open(&s, &m, "kws", NULL, NULL, "cuda", NULL, no_gpu,
                    sizeof no_gpu);
  if (rc == SUT_OK)
    no_gpu[0] = '\0';
  sut_close(s);
  wl_close(m);
  return 0;
}

#define NEED_GPU()                                              \
  do {                                                          \
    if (no_gpu[0]) {                                            \
      print_message("SKIP: no usable CUDA device: %s\n", no_gpu); \
      skip();                                                   \
    }                                                           \
  } while (0)

/* ---- everywhere ------------------------------------------------------------------- */
static void test_listed(void **state)
{
  (void)state;
  const sut_backend *b = cuda_backend();
  assert_non_null(b);
  assert_non_null(strstr(b->help, "NVIDIA GPU"));
}

/* No GPU: SUT_ENOTSUP with the runtime's words or the no-CUDA sentence. */
static void test_no_gpu_is_not_supported(void **state)
{
  (void)state;
  if (!no_gpu[0]) {
    print_message("SKIP: a CUDA device is present, the no-GPU path cannot be seen\n");
    skip();
  }
  sut *s;
  wl_model *m;
  char err[512];
  lg_settings offline;
  lg_settings_default(&offline, LG_OFFLINE);
  int rc = try_open(&s, &m, "kws", NULL, NULL, "cuda:0", &offline, err, sizeof err);
  assert_int_equal(rc, SUT_ENOTSUP);
  assert_null(s);
  print_message("cuda on this machine: %s\n", err);
  if (!built_with_cuda())
    assert_non_null(strstr(err, "this build has no CUDA support (nvcc was not found at "
                                "build time)"));
  else
    assert_true(strstr(err, "cuda: cudaGetDeviceCount: ") || /* the runtime's text */
                strstr(err, "no CUDA-capable device is detected") ||
                strstr(err, "compute capability"));
  sut_info info;
  sut_describe(s, &info); /* NULL: zeroed, no crash */
  assert_false(info.accel.present);
  wl_close(m);
}

/* Bad options: EINVAL naming the option, even without a GPU (ENOTSUP without CUDA). */
static void expect_refused(const char *name, const char *key, const char *value,
                           const char *spec, int want, const char *words)
{
  sut *s;
  wl_model *m;
  char err[512];
  lg_settings server;
  lg_settings_default(&server, LG_SERVER);
  int rc = try_open(&s, &m, name, key, value, spec, &server, err, sizeof err);
  if (!built_with_cuda())
    want = SUT_ENOTSUP, words = "no CUDA support";
  if (rc != want || !strstr(err, words))
    fail_msg("%s on %s: got %s '%s', want %s with '%s'", spec, name, sut_strerror(rc), err,
             sut_strerror(want), words);
  assert_null(s);
  wl_close(m);
}

static void test_bad_options(void **state)
{
  (void)state;
  expect_refused("kws", NULL, NULL, "cuda:precision=fp8", SUT_EINVAL, "precision=fp8");
  expect_refused("kws", NULL, NULL, "cuda:max_batch=0", SUT_EINVAL, "max_batch=0");
  expect_refused("kws", NULL, NULL, "cuda:max_batch=5000", SUT_EINVAL, "1..4096");
  expect_refused("kws", NULL, NULL, "cuda:streams=17", SUT_EINVAL, "streams=17");
  expect_refused("kws", NULL, NULL, "cuda:max_delay_us=-1", SUT_EINVAL, "max_delay_us");
  expect_refused("kws", NULL, NULL, "cuda:0,colour=red", SUT_EINVAL, "unknown option 'colour'");
  expect_refused("kws", NULL, NULL, "cuda:0,1", SUT_EINVAL, "needs key=value");
  expect_refused("kws", NULL, NULL, "cuda:x", SUT_EINVAL, "device=x");
}

static void test_unsupported_workloads(void **state)
{
  (void)state;
  expect_refused("null", NULL, NULL, "cuda", SUT_ENOTSUP, "workload 'null' is not supported");
  expect_refused("delay", NULL, NULL, "cuda", SUT_ENOTSUP, "workload 'delay'");
  expect_refused("kws", "precision", "int8", "cuda", SUT_ENOTSUP, "precision=int8");
  expect_refused("ic", NULL, NULL, "cuda:precision=fp16", SUT_ENOTSUP, "gemm only");
  wl_model *m = NULL;
  char err[256];
  if (wl_open(&m, "decoder", NULL, err, sizeof err) == WL_OK) { /* once it exists */
    wl_close(m);
    expect_refused("decoder", NULL, NULL, "cuda", SUT_ENOTSUP, "not supported yet");
  }
}

static void test_tolerance(void **state)
{
  (void)state;
  wl_model *m;
  wl_params p;
  char err[256];
  wl_params_init(&p);
  wl_params_set(&p, "k", "400");
  assert_int_equal(wl_open(&m, "gemm", &p, err, sizeof err), WL_OK);
  assert_true(fabs((sut_cuda_tolerance(m, SUT_CUDA_FP32, 5.0)) - (1e-5 * 20.0)) < 1e-12);
  assert_true(fabs((sut_cuda_tolerance(m, SUT_CUDA_BF16, 5.0)) - (3e-2 * 20.0)) < 1e-12);
  wl_close(m);
  assert_int_equal(wl_open(&m, "kws", NULL, err, sizeof err), WL_OK);
  assert_true(fabs((sut_cuda_tolerance(m, SUT_CUDA_FP32, -3.0)) - (4e-5)) < 1e-12);
  wl_close(m);
}

/* cuBLAS, which gemm loads when it opens, is found where the build found CUDA. */
static void test_cublas_loads(void **state)
{
  (void)state;
  char err[512] = "";
  int rc = sut_cuda_blas_check(err, sizeof err);
  if (!built_with_cuda()) {
    assert_int_equal(rc, SUT_ENOTSUP);
    assert_non_null(strstr(err, "no CUDA support"));
    return;
  }
  if (rc != SUT_OK)
    fail_msg("cuBLAS: %s", err);
}

/* ---- with a GPU: loadgen runs ----------------------------------------------------- */
typedef struct run {
  wl_model *model;
  sut *sut;
  lg_test *test;
  sut_info info;
} run;

static void quick(lg_settings *s, lg_scenario scenario, lg_mode mode)
{
  lg_settings_default(s, scenario);
  s->mode = mode;
  s->min_duration_ms = 200;
  s->min_query_count = 64;
  s->drain_timeout_ms = 20000;
  s->server_target_qps = 2000;
  s->accuracy_sample_count_override = 96;
  s->performance_sample_count_override = 64; /* accuracy: two load/unload sets */
}

/* Open, run one test with settings s and describe the SUT; fails on any error. */
static const lg_result *gpu_run(run *r, const char *name, const char *key,
                                 const char *value, const char *spec, const lg_settings *s)
{
  char err[512];
  memset(r, 0, sizeof *r);
  int rc = try_open(&r->sut, &r->model, name, key, value, spec, s, err, sizeof err);
  if (rc != SUT_OK)
    fail_msg("sut_open(%s) on %s: %s: %s", spec, name, sut_strerror(rc), err);
  lg_sut_ops so;
  lg_qsl_ops qo;
  sut_lg_bind(r->sut, &so, &qo);
  lg_hooks h = {0};
  h.response_bytes_max = wl_tensor_bytes(&wl_model_info(r->model)->output);
  if (lg_test_init(&r->test, s, &so, r->sut, &qo, r->sut, &h) != LG_OK)
    fail_msg("lg_test_init: %s", lg_test_error(r->test));
  if (lg_test_run(r->test) != LG_OK)
    fail_msg("lg_test_run: %s", lg_test_error(r->test));
  sut_describe(r->sut, &r->info);
  return lg_test_result(r->test);
}

static void run_close(run *r)
{
  sut_close(r->sut);
  lg_test_destroy(r->test);
  wl_close(r->model);
}

/* Every response against the CPU fp32 reference of its sample, within tolerance;
 * returns the largest error seen. */
static double check_outputs(const run *r, sut_cuda_precision p)
{
  const wl_info *wi = wl_model_info(r->model);
  size_t outs = wl_tensor_elems(&wi->output), count = 0;
  float *in = malloc(wl_tensor_bytes(&wi->input)), *ref = malloc(outs * sizeof *ref);
  void *scratch = malloc(wl_scratch_bytes(r->model) + 1);
  assert_true(in && ref && scratch);
  wl_scratch_init(r->model, scratch, 0);
  const lg_record *rec = lg_test_records(r->test, &count);
  double worst = 0.0;
  for (size_t i = 0; i < count; i++) {
    size_t size = 0;
    const float *got = lg_test_response(r->test, i, &size);
    assert_non_null(got);
    assert_int_equal(size, outs * sizeof(float));
    wl_make_sample(r->model, rec[i].sample_index, in);
    wl_infer(r->model, in, ref, scratch);
    for (size_t e = 0; e < outs; e++) {
      double d = fabs((double)got[e] - ref[e]);
      worst = d > worst ? d : worst;
      if (!(d <= sut_cuda_tolerance(r->model, p, ref[e])))
        fail_msg("%s sample %u output %zu: gpu %.9g, reference %.9g", wi->name,
                 (unsigned)rec[i].sample_index, e, got[e], ref[e]);
    }
  }
  free(in);
  free(ref);
  free(scratch);
  return worst;
}

static void accuracy(const char *name, const char *key, const char *value,
                     const char *spec, sut_cuda_precision p, lg_scenario scenario)
{
  NEED_GPU();
  run r;
  lg_settings s;
  quick(&s, scenario, LG_MODE_ACCURACY);
  const lg_result *res = gpu_run(&r, name, key, value, spec, &s);
  assert_int_equal(res->samples_completed, 96);
  assert_int_equal(res->samples_lost, 0);
  double worst = check_outputs(&r, p);
  print_message("%s %s %s: 96 samples, max |gpu - reference| = %.3g\n", name, spec,
                lg_scenario_name(scenario), worst);
  assert_true(r.info.accel.present);
  assert_int_equal(r.info.accel.samples, 96);
  assert_int_equal(r.info.accel.samples_failed, 0);
  run_close(&r);
}

static void test_kws_every_scenario(void **state)
{
  (void)state;
  for (int sc = 0; sc < LG_SCENARIO_COUNT; sc++)
    accuracy("kws", NULL, NULL, "cuda", SUT_CUDA_FP32, (lg_scenario)sc);
}

static void test_models_offline(void **state)
{
  (void)state;
  accuracy("ic", NULL, NULL, "cuda", SUT_CUDA_FP32, LG_OFFLINE);
  accuracy("vww", NULL, NULL, "cuda", SUT_CUDA_FP32, LG_OFFLINE);
  accuracy("ad", NULL, NULL, "cuda", SUT_CUDA_FP32, LG_SERVER);
}

static void test_gemm_precisions(void **state)
{
  (void)state;
  static const char *const specs[] = {"cuda:precision=fp32", "cuda:precision=tf32",
                                      "cuda:precision=fp16", "cuda:precision=bf16"};
  for (int p = 0; p < SUT_CUDA_PRECISIONS; p++)
    accuracy("gemm", "k", "384", specs[p], (sut_cuda_precision)p, LG_OFFLINE);
  accuracy("gemm", "m", "33", "cuda:0,max_batch=5,streams=2", SUT_CUDA_FP32,
           LG_MULTI_STREAM);
}

/* Server: batches fill up to max_batch under load and never exceed it; with
 * max_delay_us=0 a lone sample is not held back. */
static void test_dynamic_batching(void **state)
{
  (void)state;
  NEED_GPU();
  run r;
  lg_settings s;
  quick(&s, LG_SERVER, LG_MODE_PERFORMANCE);
  s.server_target_qps = 20000;
  const lg_result *res = gpu_run(&r, "kws", NULL, NULL,
                                  "cuda:max_batch=16,max_delay_us=2000,streams=1", &s);
  assert_int_equal(res->samples_lost, 0);
  const sut_accel *a = &r.info.accel;
  double mean = (double)a->samples / (double)a->batches;
  print_message("Server 20000 qps, max_batch 16, 2 ms: %llu batches, %.2f samples each\n",
                (unsigned long long)a->batches, mean);
  assert_int_equal(a->max_batch, 16);
  assert_int_equal(a->max_delay_us, 2000);
  assert_true(mean > 2.0);   /* 2 ms at 20000 qps gathers about 40: full batches */
  assert_true(mean <= 16.0);
  run_close(&r);

  quick(&s, LG_SINGLE_STREAM, LG_MODE_PERFORMANCE);
  res = gpu_run(&r, "kws", NULL, NULL, "cuda:max_delay_us=0", &s);
  assert_int_equal(res->samples_lost, 0);
  assert_int_equal(r.info.accel.max_batch, 1); /* SingleStream default */
  assert_int_equal(r.info.accel.samples, r.info.accel.batches);
  run_close(&r);
}

/* The device description and the event timings. */
static void test_describe(void **state)
{
  (void)state;
  NEED_GPU();
  run r;
  lg_settings s;
  quick(&s, LG_OFFLINE, LG_MODE_PERFORMANCE);
  const lg_result *res = gpu_run(&r, "gemm", NULL, NULL, "cuda:precision=fp16", &s);
  const sut_accel *a = &r.info.accel;
  assert_int_equal(res->samples_lost, 0);
  assert_string_equal(r.info.name, "cuda");
  assert_string_equal(a->api, "CUDA");
  assert_string_equal(a->precision, "fp16");
  assert_true(a->sm_count > 0 && a->memory_bytes > 0 && a->name[0]);
  assert_true(strchr(a->compute_capability, '.') != NULL);
  assert_true(a->driver_version[0] && a->runtime_version[0]);
  assert_int_equal(a->max_batch, 256); /* Offline default */
  assert_int_equal(a->max_delay_us, 0);
  assert_true(a->batches > 0 && a->samples >= res->samples_completed);
  assert_true(a->device_batch_ns_mean > 0 && a->compute_ns_mean > 0);
  assert_true(a->device_batch_ns_min <= a->device_batch_ns_max);
  assert_true(a->host_batch_ns_mean >= a->device_batch_ns_mean * 0.5);
  assert_int_equal(r.info.threads, 4);
  for (int i = 0; i < r.info.threads; i++)
    assert_true(r.info.worker_tids[i] > 0);
  print_message("%s cc %s, %d SMs, %llu MiB; batch host %.0f ns, device %.0f ns\n",
                a->name, a->compute_capability, a->sm_count,
                (unsigned long long)(a->memory_bytes >> 20), a->host_batch_ns_mean,
                a->device_batch_ns_mean);
  run_close(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_listed),
      cmocka_unit_test(test_no_gpu_is_not_supported),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_unsupported_workloads),
      cmocka_unit_test(test_tolerance),
      cmocka_unit_test(test_cublas_loads),
      cmocka_unit_test(test_kws_every_scenario),
      cmocka_unit_test(test_models_offline),
      cmocka_unit_test(test_gemm_precisions),
      cmocka_unit_test(test_dynamic_batching),
      cmocka_unit_test(test_describe),
  };
  return cmocka_run_group_tests(tests, probe_gpu, NULL);
}
