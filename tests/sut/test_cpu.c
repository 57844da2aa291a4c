/*
 * tests/sut/test_cpu.c - the CPU SUT (sut/cpu) driven through real libloadgen tests:
 * every sample completed exactly once (inline and pooled, odd batch sizes), latency
 * of a known service time, outputs that agree with the workload's reference in
 * accuracy mode (the fast path, within its tolerance), workers pinned to distinct
 * cores (read back from inside each worker), inline completion before sut_issue
 * returns, queued samples dropped at unload and close, and the full-queue stall path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <hwloc.h>

#include "sut/cpu/pool.h"
#include "sut/sut.h"

/* ---- a SUT + workload + loadgen test, wired together ----------------------------- */
typedef struct rig {
  wl_model *model;
  sut *sut;
  lg_test *test;
  lg_sut_ops sut_ops;
  lg_qsl_ops qsl_ops;
  lg_hooks hooks;
  void (*issue_hook)(struct rig *r, lg_test *t, const lg_sample *s, size_t n);
  uint64_t issued;        /* counted by the issue hooks */
  uint64_t not_done;      /* inline hook: samples not done when sut_issue returned */
} rig;

/* Open workload `name` (with one key=value parameter when key is not NULL) and a CPU
 * SUT with the given spec, threads and batch. */
static void rig_open(rig *r, const char *name, const char *key, const char *value,
                     const char *spec, int threads, int batch)
{
  memset(r, 0, sizeof *r);
  char err[256] = "";
  wl_params p;
  wl_params_init(&p);
  if (key)
    assert_int_equal(wl_params_set(&p, key, value), WL_OK);
  if (wl_open(&r->model, name, &p, err, sizeof err) != WL_OK)
    fail_msg("wl_open(%s): %s", name, err);
  sut_options o;
  sut_options_default(&o);
  o.spec = spec;
  o.threads = threads;
  o.batch = batch;
  int rc = sut_open(&r->sut, &o, r->model, err, sizeof err);
  if (rc != SUT_OK)
    fail_msg("sut_open(%s): %s: %s", spec, sut_strerror(rc), err);
  sut_lg_bind(r->sut, &r->sut_ops, &r->qsl_ops);
}

static void hooked_issue(void *ctx, lg_test *t, const lg_sample *s, size_t n)
{
  rig *r = ctx;
  r->issue_hook(r, t, s, n);
}

static void hooked_flush(void *ctx)
{
  rig *r = ctx;
  sut_flush(r->sut);
}

/* Run a test with these settings; returns its result (the test stays for records). */
static const lg_result *rig_run(rig *r, const lg_settings *settings)
{
  void *sut_ctx = r->sut;
  if (r->issue_hook) {
    r->sut_ops.issue = hooked_issue;
    r->sut_ops.flush = hooked_flush;
    sut_ctx = r;
  }
  int rc = lg_test_init(&r->test, settings, &r->sut_ops, sut_ctx, &r->qsl_ops, r->sut,
                        &r->hooks);
  if (rc != LG_OK)
    fail_msg("lg_test_init: %s: %s", lg_strerror(rc),
             r->test ? lg_test_error(r->test) : "");
  rc = lg_test_run(r->test);
  if (rc != LG_OK)
    fail_msg("lg_test_run: %s: %s", lg_strerror(rc), lg_test_error(r->test));
  return lg_test_result(r->test);
}

static void rig_close(rig *r)
{
  lg_test_destroy(r->test);
  sut_close(r->sut);
  wl_close(r->model);
}

static void quick_settings(lg_settings *s, lg_scenario scenario)
{
  lg_settings_default(s, scenario);
  s->min_duration_ms = 200;
  s->min_query_count = 100;
  s->drain_timeout_ms = 10000;
}

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Every issued sample completed once, nothing unknown, late or lost. */
static void assert_each_once(const rig *r, const lg_result *res)
{
  assert_true(res->samples_issued > 0);
  assert_int_equal(res->samples_completed, res->samples_issued);
  assert_int_equal(res->samples_lost, 0);
  assert_int_equal(res->duplicate_completions, 0);
  assert_int_equal(res->unknown_completions, 0);
  assert_int_equal(res->late_completions, 0);
  size_t count = 0;
  const lg_record *rec = lg_test_records(r->test, &count);
  assert_int_equal(count, res->samples_issued);
  for (size_t i = 0; i < count; i++)
    assert_false(lg_record_lost(&rec[i]));
  sut_info info;
  sut_describe(r->sut, &info);
  assert_int_equal(info.samples_refused, 0);
  assert_int_equal(info.samples_not_loaded, 0);
  assert_int_equal(info.samples_discarded, 0);
}

/* ---- Offline with `null`: exactly once, inline and on workers ------------------- */
static void offline_null(const char *spec, int threads, int batch, bool want_inline)
{
  rig r;
  rig_open(&r, "null", NULL, NULL, spec, threads, batch);
  sut_info info;
  sut_describe(r.sut, &info);
  assert_int_equal(info.inline_completion, want_inline);
  lg_settings s;
  quick_settings(&s, LG_OFFLINE);
  s.offline_expected_qps = 100000; /* 22,000 samples */
  const lg_result *res = rig_run(&r, &s);
  assert_true(res->samples_issued >= 20000);
  assert_each_once(&r, res);
  rig_close(&r);
}

static void test_offline_null_inline(void **state)
{
  (void)state;
  offline_null("cpu", SUT_THREADS_AUTO, 0, true); /* compute-free: inline by default */
}

static void test_offline_null_workers(void **state)
{
  (void)state;
  offline_null("cpu", 0, 0, false); /* one worker per core, batch 1024 */
}

static void test_offline_null_odd_batch(void **state)
{
  (void)state;
  offline_null("cpu:spin_us=0", 3, 7, false); /* more workers than cores, batch 7 */
}

/* ---- timing: a known service time -------------------------------------------- */
static void test_single_stream_delay_median(void **state)
{
  (void)state;
  rig r;
  rig_open(&r, "delay", "delay_us", "200", "cpu", SUT_THREADS_AUTO, 0);
  sut_info info;
  sut_describe(r.sut, &info);
  assert_false(info.inline_completion);
  assert_int_equal(info.batch, 16);
  lg_settings s;
  quick_settings(&s, LG_SINGLE_STREAM);
  const lg_result *res = rig_run(&r, &s);
  assert_each_once(&r, res);
  assert_true(res->latency.count >= 100);
  if (res->latency.p50_ns < 200000)
    fail_msg("median latency %llu ns < the 200 us service time",
             (unsigned long long)res->latency.p50_ns);
  rig_close(&r);
}

/* MultiStream (8 samples a query, shared by the workers) and Server (one sample at a
 * time, workers asleep between arrivals: the futex wake-up path). */
static void test_multi_stream_and_server(void **state)
{
  (void)state;
  rig r;
  rig_open(&r, "delay", "delay_us", "100", "cpu", 0, 0);
  lg_settings s;
  quick_settings(&s, LG_MULTI_STREAM);
  s.min_query_count = 50;
  assert_each_once(&r, rig_run(&r, &s));
  lg_test_destroy(r.test);
  r.test = NULL;
  quick_settings(&s, LG_SERVER);
  s.server_target_qps = 500; /* 2 ms apart: longer than the 20 us spin */
  const lg_result *res = rig_run(&r, &s);
  assert_each_once(&r, res);
  assert_true(res->samples_issued >= 100);
  rig_close(&r);
}

/* ---- token generators: the first token is signalled from inside the inference ---- */
static void decoder_tokens(lg_scenario scenario, int threads)
{
  rig r;
  rig_open(&r, "decoder", "d_model", "16", "cpu", threads, 0);
  lg_settings s;
  quick_settings(&s, scenario);
  s.use_token_latencies = true;
  s.server_target_qps = 1000;
  const lg_result *res = rig_run(&r, &s);
  assert_each_once(&r, res);
  const lg_token_result *k = &res->tokens;
  assert_int_equal(k->tokens, 32 * res->samples_completed);
  assert_int_equal(k->ttft.count, res->samples_completed);
  assert_int_equal(k->tpot.count, res->samples_completed);
  assert_int_equal(k->missing_first_token + k->missing_tokens + k->first_token_errors, 0);
  size_t n, nt;
  const lg_record *rec = lg_test_records(r.test, &n);
  const lg_token_record *tok = lg_test_token_records(r.test, &nt);
  assert_int_equal(nt, n);
  for (size_t i = 0; i < n; i++) {
    assert_true(tok[i].first_token_ns >= rec[i].issued_ns);
    assert_true(tok[i].first_token_ns <= rec[i].completed_ns);
    assert_int_equal(tok[i].n_tokens, 32);
  }
  rig_close(&r);
}

static void test_decoder_first_token(void **state)
{
  decoder_tokens(LG_SINGLE_STREAM, 0);
  decoder_tokens(LG_OFFLINE, 0);
  decoder_tokens(LG_SERVER, SUT_THREADS_INLINE);
}

/* ---- accuracy: outputs agree with the reference ---------------------------------- */

/* The SUT runs the fast path (wl_infer_batch): f32 outputs within 1e-4 * (1 + max
 * |ref|) of wl_infer's, with the same argmax (workload.h); other outputs identical. */
static bool agrees(const wl_info *wi, const void *got, const void *ref, size_t bytes)
{
  if (wi->output.dtype != WL_F32)
    return memcmp(got, ref, bytes) == 0;
  const float *g = got, *f = ref;
  size_t n = wl_tensor_elems(&wi->output), gi = 0, fi = 0;
  double worst = 0.0, ref_max = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)g[i] - (double)f[i]);
    worst = !(d <= worst) ? d : worst;
    ref_max = fabs((double)f[i]) > ref_max ? fabs((double)f[i]) : ref_max;
    gi = g[i] > g[gi] ? i : gi;
    fi = f[i] > f[fi] ? i : fi;
  }
  return worst <= 1e-4 * (1.0 + ref_max) && gi == fi;
}

static void check_outputs(const rig *r, size_t expect)
{
  const wl_info *wi = wl_model_info(r->model);
  size_t in_bytes = wl_tensor_bytes(&wi->input), out_bytes = wl_tensor_bytes(&wi->output);
  void *input = malloc(in_bytes), *ref = malloc(out_bytes);
  void *scratch = malloc(wl_scratch_bytes(r->model) + 1);
  char *seen = calloc(expect, 1);
  assert_true(input && ref && scratch && seen);
  wl_scratch_init(r->model, scratch, 0);
  size_t count = 0;
  const lg_record *rec = lg_test_records(r->test, &count);
  assert_int_equal(count, expect);
  for (size_t i = 0; i < count; i++) {
    size_t size = 0;
    const void *got = lg_test_response(r->test, i, &size);
    assert_non_null(got);
    assert_int_equal(size, out_bytes);
    assert_true(rec[i].sample_index < expect);
    seen[rec[i].sample_index]++;
    wl_make_sample(r->model, rec[i].sample_index, input);
    wl_infer(r->model, input, ref, scratch);
    if (!agrees(wi, got, ref, out_bytes))
      fail_msg("record %zu (sample %u): output disagrees with wl_infer", i,
               rec[i].sample_index);
  }
  for (size_t i = 0; i < expect; i++)
    assert_int_equal(seen[i], 1);
  free(input);
  free(ref);
  free(scratch);
  free(seen);
}

static void accuracy_kws(lg_scenario scenario)
{
  rig r;
  rig_open(&r, "kws", NULL, NULL, "cpu", SUT_THREADS_AUTO, 0);
  r.hooks.response_bytes_max = wl_tensor_bytes(&wl_model_info(r.model)->output);
  lg_settings s;
  quick_settings(&s, scenario);
  s.mode = LG_MODE_ACCURACY;
  s.accuracy_sample_count_override = 80;
  s.performance_sample_count_override = 32; /* three load -> issue -> unload sets */
  const lg_result *res = rig_run(&r, &s);
  assert_int_equal(res->samples_completed, 80);
  assert_int_equal(res->samples_lost, 0);
  check_outputs(&r, 80);
  rig_close(&r);
}

static void test_accuracy_kws_offline(void **state)
{
  (void)state;
  accuracy_kws(LG_OFFLINE);
}

static void test_accuracy_kws_single_stream(void **state)
{
  (void)state;
  accuracy_kws(LG_SINGLE_STREAM);
}

/* ---- pinning ------------------------------------------------------------------ */
/* The core whose cpuset equals `list`, or -1. */
static int core_of(hwloc_topology_t topo, const char *list)
{
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  int found = -1;
  if (set && hwloc_bitmap_list_sscanf(set, list) == 0) {
    int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    for (int i = 0; i < cores && found < 0; i++)
      if (hwloc_bitmap_isequal(hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)i)->cpuset,
                               set))
        found = i;
  }
  hwloc_bitmap_free(set);
  return found;
}

static void test_workers_pinned_to_distinct_cores(void **state)
{
  (void)state;
  rig r;
  rig_open(&r, "delay", NULL, NULL, "cpu", 0, 0);
  sut_info info;
  sut_describe(r.sut, &info);
  if (strcmp(info.pinning, "core") != 0) {
    fprintf(stderr, "SKIP: workers not pinned here: %s\n", info.pinning);
    rig_close(&r);
    skip();
  }
  hwloc_topology_t topo;
  assert_int_equal(hwloc_topology_init(&topo), 0);
  assert_int_equal(hwloc_topology_load(topo), 0);
  int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  assert_int_equal(info.threads, cores);
  unsigned char used[SUT_MAX_WORKERS] = {0};
  for (int w = 0; w < info.threads; w++) {
    int c = core_of(topo, info.worker_cpus[w]);
    if (c < 0)
      fail_msg("worker %d runs on '%s', not exactly one core", w, info.worker_cpus[w]);
    assert_true(c < SUT_MAX_WORKERS);
    assert_int_equal(used[c]++, 0); /* distinct */
  }
  hwloc_topology_destroy(topo);
  rig_close(&r);
}

/* More workers than cores: round-robin, still one core each. */
static void test_threads_round_robin(void **state)
{
  (void)state;
  rig r;
  rig_open(&r, "delay", NULL, NULL, "cpu:spin_us=0", 5, 0);
  sut_info info;
  sut_describe(r.sut, &info);
  assert_int_equal(info.threads, 5);
  if (strcmp(info.pinning, "core") == 0) {
    hwloc_topology_t topo;
    assert_int_equal(hwloc_topology_init(&topo), 0);
    assert_int_equal(hwloc_topology_load(topo), 0);
    int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    for (int w = 0; w < 5; w++)
      assert_int_equal(core_of(topo, info.worker_cpus[w]), w % cores);
    hwloc_topology_destroy(topo);
  }
  rig_close(&r);
}

/* ---- inline: done before sut_issue returns ------------------------------------- */
/* Calls sut_issue, then looks at loadgen's live records on this same thread: in
 * inline mode each sample must already be done. */
static void inline_hook(rig *r, lg_test *t, const lg_sample *s, size_t n)
{
  sut_issue(r->sut, t, s, n);
  const lg_record *rec = lg_test_records(t, NULL);
  for (size_t i = 0; i < n; i++)
    if (lg_record_lost(&rec[s[i].id]))
      r->not_done++;
  r->issued += n;
}

static void test_inline_completes_before_issue_returns(void **state)
{
  (void)state;
  rig r;
  rig_open(&r, "delay", "delay_us", "20", "cpu", SUT_THREADS_INLINE, 0);
  r.issue_hook = inline_hook;
  sut_info info;
  sut_describe(r.sut, &info);
  assert_true(info.inline_completion);
  assert_int_equal(info.threads, 0);
  lg_settings s;
  quick_settings(&s, LG_SINGLE_STREAM);
  s.min_duration_ms = 50;
  assert_each_once(&r, rig_run(&r, &s));
  assert_true(r.issued >= 100);
  assert_int_equal(r.not_done, 0);
  rig_close(&r);
}

/* ---- queued samples: dropped at unload, at close ------------------------------- */
/* One worker, 50 samples of 60 ms each; loadgen gives up after 20 ms without a
 * completion, freezes, and unloads: the SUT must drop what is still queued and wait
 * only for the sample in flight. */
static void test_unload_drops_queued(void **state)
{
  (void)state;
  rig r;
  rig_open(&r, "delay", "delay_us", "60000", "cpu", 1, 1);
  lg_settings s;
  quick_settings(&s, LG_OFFLINE);
  s.min_duration_ms = 100;
  s.min_query_count = 50;
  s.drain_timeout_ms = 20;
  uint64_t start = now_ns();
  const lg_result *res = rig_run(&r, &s);
  uint64_t took_ms = (now_ns() - start) / 1000000u;
  sut_info info;
  sut_describe(r.sut, &info);
  assert_int_equal(res->samples_issued, 50);
  assert_true(res->samples_lost > 0);
  assert_true(info.samples_discarded > 0);
  /* the result is computed before unload, so the one sample in flight then (one
   * worker, batch 1) completes late without being counted in the result */
  uint64_t accounted = info.samples_discarded + res->samples_completed +
                       res->late_completions;
  assert_true(accounted <= res->samples_issued && accounted + 1 >= res->samples_issued);
  if (took_ms > 1000)
    fail_msg("unload waited %llu ms: queued samples were run, not dropped",
             (unsigned long long)took_ms);
  rig_close(&r);
}

/* A test created but not run: completions to it are counted as unknown ids, which is
 * all these tests need (a live target for lg_complete). */
static lg_test *idle_test(rig *r)
{
  lg_settings s;
  quick_settings(&s, LG_OFFLINE);
  lg_test *t = NULL;
  assert_int_equal(lg_test_init(&t, &s, &r->sut_ops, r->sut, &r->qsl_ops, r->sut, NULL),
                   LG_OK);
  return t;
}

static void test_close_drops_queued(void **state)
{
  (void)state;
  rig r;
  rig_open(&r, "delay", "delay_us", "5000", "cpu", 1, 1);
  lg_test *t = idle_test(&r);
  uint64_t idx[64];
  lg_sample smp[64];
  for (int i = 0; i < 64; i++) {
    idx[i] = (uint64_t)i;
    smp[i] = (lg_sample){(uint64_t)i + 1000000u, (uint64_t)i};
  }
  assert_int_equal(sut_load(r.sut, idx, 64), SUT_OK);
  sut_issue(r.sut, t, smp, 64); /* 320 ms of work */
  uint64_t start = now_ns();
  sut_close(r.sut);
  r.sut = NULL;
  uint64_t took_ms = (now_ns() - start) / 1000000u;
  if (took_ms > 150)
    fail_msg("close waited %llu ms for queued samples", (unsigned long long)took_ms);
  lg_test_destroy(t);
  rig_close(&r);
}

/* A sample whose index is not loaded is not completed, and counted. */
static void not_loaded(int threads)
{
  rig r;
  rig_open(&r, "null", NULL, NULL, "cpu", threads, 0);
  lg_test *t = idle_test(&r);
  uint64_t idx[1] = {3};
  lg_sample smp[2] = {{1000000u, 3}, {1000001u, 5}};
  assert_int_equal(sut_load(r.sut, idx, 1), SUT_OK);
  sut_issue(r.sut, t, smp, 2);
  /* a second load waits for the workers to finish (an unload would drop the queue) */
  assert_int_equal(sut_load(r.sut, idx, 1), SUT_OK);
  sut_info info;
  sut_describe(r.sut, &info);
  assert_int_equal(info.samples_not_loaded, 1);
  lg_test_destroy(t);
  rig_close(&r);
}

static void test_not_loaded_counted(void **state)
{
  (void)state;
  not_loaded(SUT_THREADS_INLINE);
  not_loaded(2);
}

/* ---- a full queue: issue waits, nothing is lost ------------------------------- */
/* Splits loadgen's Offline query into one sut_issue per sample, more than the ring
 * holds, against one 20 us worker. */
static void split_hook(rig *r, lg_test *t, const lg_sample *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    sut_issue(r->sut, t, &s[i], 1);
  r->issued += n;
}

static void test_full_queue_stalls_issue(void **state)
{
  (void)state;
  rig r;
  rig_open(&r, "delay", "delay_us", "20", "cpu:spin_us=0", 1, 1);
  r.issue_hook = split_hook;
  lg_settings s;
  quick_settings(&s, LG_OFFLINE);
  s.min_query_count = SUT_POOL_JOBS + 4000;
  assert_each_once(&r, rig_run(&r, &s));
  sut_info info;
  sut_describe(r.sut, &info);
  assert_true(info.issue_stalls > 0);
  rig_close(&r);
}

static void test_describe(void **state)
{
  (void)state;
  rig r;
  rig_open(&r, "kws", NULL, NULL, "cpu", SUT_THREADS_AUTO, 0);
  sut_info info;
  sut_describe(r.sut, &info);
  assert_string_equal(info.name, "cpu");
  assert_non_null(strstr(info.device, "core"));
  assert_true(info.threads >= 1);
  assert_int_equal(info.batch, 16);
  assert_false(info.inline_completion);
  for (int w = 0; w < info.threads; w++)
    assert_true(info.worker_cpus[w][0] != '\0' && info.worker_cpus[w][0] != '?');
  printf("# device %s, %d threads, pinning %s\n", info.device, info.threads,
         info.pinning);
  rig_close(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_describe),
      cmocka_unit_test(test_offline_null_inline),
      cmocka_unit_test(test_offline_null_workers),
      cmocka_unit_test(test_offline_null_odd_batch),
      cmocka_unit_test(test_single_stream_delay_median),
      cmocka_unit_test(test_multi_stream_and_server),
      cmocka_unit_test(test_decoder_first_token),
      cmocka_unit_test(test_accuracy_kws_offline),
      cmocka_unit_test(test_accuracy_kws_single_stream),
      cmocka_unit_test(test_workers_pinned_to_distinct_cores),
      cmocka_unit_test(test_threads_round_robin),
      cmocka_unit_test(test_inline_completes_before_issue_returns),
      cmocka_unit_test(test_unload_drops_queued),
      cmocka_unit_test(test_close_drops_queued),
      cmocka_unit_test(test_not_loaded_counted),
      cmocka_unit_test(test_full_queue_stalls_issue),
  };
  return cmocka_run_group_tests_name("sut/cpu", tests, NULL, NULL);
}
