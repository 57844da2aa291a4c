/*
 * harness/run.c - one run: flags + config files -> settings, open the workload and the
 * SUT, run libloadgen, write the run folder (atomically: a temporary name renamed at the
 * end), print the summary. Ctrl-C stops issuing; the run drains and is still written,
 * marked INVALID "interrupted".
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/collect.h"
#include "harness/harness.h"
#include "reports/accuracy.h"
#include "reports/detail.h"
#include "reports/runfolder.h"
#include "reports/samples.h"
#include "reports/summary.h"
#include "sut/sut.h"
#include "workloads/dataset.h"
#include "workloads/workload.h"

#define MB_MAX_NOTES 256

/* The test a signal handler may stop: the CLI runs one test at a time. */
static _Atomic(lg_test *) mb_current_test;

static void mb_on_signal(int sig) {
  lg_test *t = atomic_load(&mb_current_test);
  if (t) lg_test_request_stop(t);
  signal(sig, SIG_DFL); /* a second Ctrl-C ends the process at once */
}

typedef struct mb_note {
  char where[300], key[200], value[64];
  lg_key_use use;
} mb_note;

typedef struct mb_plan {
  lg_settings settings;
  wl_params params;
  mb_note notes[MB_MAX_NOTES];
  size_t n_notes;
  mb_setting_source src[MB_MAX_NOTES];
  size_t n_src;
  char err[1024];
} mb_plan;

/* Remember where a config key got its value (the last one wins). */
static void mb_source(mb_plan *p, const char *key, const char *where) {
  const char *name = strrchr(key, '.') ? strrchr(key, '.') + 1 : key;
  size_t i = 0;
  while (i < p->n_src && strcmp(p->src[i].key, name)) i++;
  if (i == MB_MAX_NOTES) return;
  if (i == p->n_src) p->n_src++;
  snprintf(p->src[i].key, sizeof p->src[i].key, "%s", name);
  snprintf(p->src[i].where, sizeof p->src[i].where, "%s", where);
}

static void mb_on_note(void *ctx, const char *where, const char *key, const char *value,
                       lg_key_use use) {
  mb_plan *p = ctx;
  if (p->n_notes < MB_MAX_NOTES) {
    mb_note *n = &p->notes[p->n_notes++];
    snprintf(n->where, sizeof n->where, "%s", where);
    snprintf(n->key, sizeof n->key, "%s", key);
    snprintf(n->value, sizeof n->value, "%s", value);
    n->use = use;
  }
  if (use == LG_KEY_APPLIED) mb_source(p, key, where);
}

/* --set: a loadgen key, else a workload parameter. */
static int mb_apply_set(mb_plan *p, const char *text, const char *model) {
  int rc = lg_config_apply_string(&p->settings, "--set", text, model, mb_on_note, p,
                                  p->err, sizeof p->err);
  if (rc == LG_OK || p->err[0]) return rc;
  const char *eq = strchr(text, '=');
  char key[64];
  snprintf(key, sizeof key, "%.*s", (int)(eq - text), text);
  if (wl_params_set(&p->params, key, eq + 1) != WL_OK) {
    snprintf(p->err, sizeof p->err, "--set '%s': too many workload parameters", text);
    return LG_ECONFIG;
  }
  return LG_OK;
}

/* Settings from defaults, config files, --set and flags, in that order. */
static int mb_plan_settings(const mb_run_opts *o, mb_plan *p) {
  const char *model = o->model ? o->model : o->workload;
  lg_settings *s = &p->settings;
  lg_settings_default(s, o->scenario);
  wl_params_init(&p->params);
  for (int i = 0; i < o->n_configs; i++)
    if (lg_config_apply_file(s, o->configs[i], model, mb_on_note, p, p->err, sizeof p->err))
      return MB_EXIT_USAGE;
  for (int i = 0; i < o->n_sets; i++)
    if (mb_apply_set(p, o->sets[i], model)) return MB_EXIT_USAGE;
  if (o->mode_set) s->mode = o->mode;
  if (o->target_qps > 0) {
    s->server_target_qps = s->offline_expected_qps = o->target_qps;
    mb_source(p, "target_qps", "--target-qps");
  }
  if (o->duration_ms) s->min_duration_ms = o->duration_ms, mb_source(p, "min_duration", "--duration-ms");
  if (o->min_queries) s->min_query_count = o->min_queries, mb_source(p, "min_query_count", "--min-queries");
  if (o->until_stable > 0) s->until_stable = o->until_stable, mb_source(p, "until_stable", "--until-stable");
  if (lg_settings_validate(s, p->err, sizeof p->err)) {
    char why[sizeof p->err];
    snprintf(why, sizeof why, "%s", p->err);
    snprintf(p->err, sizeof p->err, "the settings from defaults, --config, --set and flags "
             "do not fit together: %.900s", why);
    return MB_EXIT_USAGE;
  }
  return MB_EXIT_OK;
}

/* Everything one run holds open. */
typedef struct mb_run_state {
  const mb_run_opts *o;
  mb_plan *plan;
  wl_model *wl;
  sut *sut;
  lg_test *test;
  rpt_runfolder *rf;
  rpt_detail *detail;
  bool progress_shown;
  bool tty;
  char loadgen_cpus[128];
  mb_collect *collect;
  wl_dataset *dataset;
  sut_samples samples;           /* the dataset as the SUT's sample source */
} mb_run_state;

static void mb_on_log(void *ctx, const char *key, const char *message) {
  mb_run_state *st = ctx;
  rpt_detail_log(st->detail, key, message);
}

static void mb_on_progress(void *ctx, const lg_progress *p) {
  mb_run_state *st = ctx;
  mb_collect_progress(st->collect, p->samples_issued, p->samples_completed);
  if (!st->tty) return;
  st->progress_shown = true;
  mb_progress(NULL, p);
}

static void mb_on_timed(void *ctx, bool start) {
  mb_collect_timed(((mb_run_state *)ctx)->collect, start);
}

static int mb_dataset_sample(void *ctx, uint64_t index, void *input, char *err, size_t len) {
  return wl_dataset_load(ctx, (size_t)index, input, err, len);
}

/* --dataset: open it (every file checked now, before anything runs) and make it the
 * SUT's sample source. */
static int mb_open_dataset(mb_run_state *st) {
  const wl_info *info = wl_model_info(st->wl);
  char err[1024];
  if (wl_dataset_open(&st->dataset, st->o->dataset, wl_tensor_bytes(&info->input), err,
                      sizeof err)) {
    fprintf(stderr, "mlsysbench run: --dataset: %s\n", err);
    return MB_EXIT_USAGE;
  }
  int classes = wl_dataset_classes(st->dataset);
  size_t outs = wl_tensor_elems(&info->output);
  if (classes > 0 && !info->reconstruction && (size_t)classes != outs) {
    fprintf(stderr, "mlsysbench run: --dataset %s: labels have %d classes, workload %s "
            "outputs %zu\n", st->o->dataset, classes, info->name, outs);
    return MB_EXIT_USAGE;
  }
  st->samples = (sut_samples){wl_dataset_count(st->dataset), mb_dataset_sample, st->dataset};
  return MB_EXIT_OK;
}

/* An adapter that may go long without completing (serial Offline windows) needs a
 * drain_timeout above that gap, unless the user set one. */
static void mb_fit_drain_timeout(mb_run_state *st) {
  sut_info *si = calloc(1, sizeof *si);
  if (!si) return;
  sut_describe(st->sut, si);
  lg_settings *s = &st->plan->settings;
  bool user_set = false;
  for (size_t i = 0; i < st->plan->n_src; i++) user_set |= !strcmp(st->plan->src[i].key, "drain_timeout");
  if (!user_set && si->completion_gap_ms > s->drain_timeout_ms) {
    s->drain_timeout_ms = si->completion_gap_ms;
    mb_source(st->plan, "drain_timeout", "the SUT's longest gap between completions");
  }
  free(si);
}

static int mb_open_parts(mb_run_state *st) {
  const mb_run_opts *o = st->o;
  char err[1024] = "";
  int wrc = wl_open(&st->wl, o->workload, &st->plan->params, err, sizeof err);
  if (wrc != WL_OK) { /* a bad parameter came from --set, an unknown name from --workload */
    fprintf(stderr, "mlsysbench run: %s %s: %s\n", wrc == WL_EPARAM ? "--set for workload" : "--workload",
            o->workload, err);
    return MB_EXIT_USAGE;
  }
  if (o->dataset) {
    int drc = mb_open_dataset(st);
    if (drc) return drc;
  }
  sut_options so;
  sut_options_default(&so);
  so.spec = o->sut;
  so.samples = st->dataset ? &st->samples : NULL;
  so.threads = o->threads_set ? (o->threads == 0 ? -1 : o->threads) : 0;
  so.batch = o->batch;
  so.cpus = o->cpus;
  so.pin = o->pin;
  so.settings = &st->plan->settings;
  int rc = sut_open(&st->sut, &so, st->wl, err, sizeof err);
  if (rc != SUT_OK) {
    fprintf(stderr, "mlsysbench run: --sut %s: %s\n", o->sut, err[0] ? err : sut_strerror(rc));
    return rc == SUT_ENOTSUP ? MB_EXIT_NOTSUP : rc == SUT_EDEVICE ? MB_EXIT_ERROR : MB_EXIT_USAGE;
  }
  mb_fit_drain_timeout(st);
  rc = mb_collect_open(&st->collect, o, st->sut, wl_model_info(st->wl), err, sizeof err);
  if (rc) fprintf(stderr, "mlsysbench run: %s\n", err);
  return rc;
}

/* mkdir -p: the parent of the run folder may not exist yet. */
static int mb_mkdirs(const char *path, char *err, size_t errlen) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1;; p++) {
    if (*p && *p != '/') continue;
    char c = *p;
    *p = '\0';
    if (mkdir(buf, 0777) && errno != EEXIST) {
      snprintf(err, errlen, "%.900s: cannot create folder: %s", buf, strerror(errno));
      return -1;
    }
    if (!(*p = c)) return 0;
  }
}

static int mb_open_folder(mb_run_state *st) {
  char name[256], parent[1024], err[1024];
  const char *out = st->o->out;
  if (out) {
    const char *slash = strrchr(out, '/');
    snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - out) : 1, slash ? out : ".");
    if (slash == out) snprintf(parent, sizeof parent, "/");
    snprintf(name, sizeof name, "%s", slash ? slash + 1 : out);
  } else {
    snprintf(parent, sizeof parent, "mlsb-runs");
    rpt_runfolder_name(name, sizeof name, time(NULL), st->o->workload,
                       lg_scenario_name(st->plan->settings.scenario));
  }
  if (mb_mkdirs(parent, err, sizeof err) ||
      rpt_runfolder_begin(parent, name, &st->rf, err, sizeof err) ||
      rpt_runfolder_file(st->rf, "detail.log", name, sizeof name) ||
      rpt_detail_open(&st->detail, name, err, sizeof err)) {
    fprintf(stderr, "mlsysbench run: %s\n", err);
    return MB_EXIT_ERROR;
  }
  return MB_EXIT_OK;
}

static void mb_log_plan(mb_run_state *st) {
  const mb_plan *p = st->plan;
  rpt_detail_logf(st->detail, "build", "%s", MB_VERSION);
  for (size_t i = 0; i < p->n_notes; i++) {
    const mb_note *n = &p->notes[i];
    if (n->use == LG_KEY_APPLIED)
      rpt_detail_log_setting(st->detail, n->key, n->value, n->where);
    else
      rpt_detail_logf(st->detail, "config_ignored", "%s: %s = %s (accepted, not acted on)",
                      n->where, n->key, n->value);
  }
}

/* A token generator (decoder) measures token latencies unless a config file or --set
 * chose use_token_latencies (MLPerf's mlperf.conf turns it on for its LLMs). */
static void mb_token_default(mb_plan *p, const wl_info *info) {
  for (size_t i = 0; i < p->n_src; i++)
    if (!strcmp(p->src[i].key, "use_token_latencies")) return;
  if (info->output_tokens < 2) return;
  p->settings.use_token_latencies = true;
  mb_source(p, "use_token_latencies", "workload (generates tokens)");
}

/* --target-qps auto (Offline): untimed probe runs of a growing sample count until one
 * lasts MB_PROBE_MS, then expect 1.25 x the fastest rate of those that lasted 50 ms, so the timed query (1.1 x
 * min_duration x expected) outlasts min_duration even if the long run is a little
 * faster than the probe. Counters and energy see none of it (no hooks). */
#define MB_PROBE_MS 300
#define MB_PROBE_MIN_MS 50 /* shorter probes only size the next one */
static int mb_calibrate_offline(mb_run_state *st, const lg_sut_ops *so, const lg_qsl_ops *qo) {
  lg_settings probe = st->plan->settings;
  probe.mode = LG_MODE_PERFORMANCE;
  probe.min_duration_ms = 0, probe.max_duration_ms = 0, probe.until_stable = 0;
  probe.offline_expected_qps = 1;
  double rate = 0;
  uint64_t n = 64, elapsed_ns = 0;
  for (int i = 0; i < 6 && elapsed_ns < MB_PROBE_MS * 1000000ULL; i++) {
    lg_test *t;
    probe.min_query_count = n;
    int rc = lg_test_init(&t, &probe, so, st->sut, qo, st->sut, &(lg_hooks){0});
    if (!rc) rc = lg_test_run(t);
    const lg_result *r = rc ? NULL : lg_test_result(t); /* lives in t */
    bool done = r && r->samples_completed == n;
    if (done) {
      elapsed_ns = r->last_completion_ns;
      /* the fastest probe: other load on the machine only ever slows one down */
      if (elapsed_ns >= MB_PROBE_MIN_MS * 1000000ULL || rate == 0)
        rate = r->samples_per_s > rate ? r->samples_per_s : rate;
      rpt_detail_logf(st->detail, "offline_probe", "%llu samples in %.3f ms: %.1f samples/s",
                      (unsigned long long)n, elapsed_ns / 1e6, r->samples_per_s);
    }
    lg_test_destroy(t);
    if (!done) {
      fprintf(stderr, "mlsysbench run: --target-qps auto: the probe of %llu samples did not "
              "complete; give --target-qps a number\n", (unsigned long long)n);
      return MB_EXIT_ERROR;
    }
    double grow = elapsed_ns ? 1.2 * MB_PROBE_MS * 1e6 / (double)elapsed_ns : 16;
    n = (uint64_t)((double)n * (grow < 2 ? 2 : grow > 64 ? 64 : grow));
  }
  st->plan->settings.offline_expected_qps = 1.25 * rate;
  mb_source(st->plan, "target_qps", "--target-qps auto");
  rpt_detail_logf(st->detail, "offline_expected_qps", "auto: %.1f (1.25 x the probe's %.1f "
                  "samples/s)", 1.25 * rate, rate);
  return MB_EXIT_OK;
}

static int mb_run_test(mb_run_state *st) {
  lg_sut_ops so;
  lg_qsl_ops qo;
  sut_lg_bind(st->sut, &so, &qo);
  const wl_info *info = wl_model_info(st->wl);
  mb_token_default(st->plan, info);
  if (st->o->target_qps_auto && st->plan->settings.mode != LG_MODE_ACCURACY) {
    int rc = mb_calibrate_offline(st, &so, &qo);
    if (rc) return rc;
  }
  st->tty = isatty(STDERR_FILENO);
  lg_hooks hooks = {st, mb_on_progress, mb_on_log,
                    st->plan->settings.mode == LG_MODE_ACCURACY ? wl_tensor_bytes(&info->output) : 0,
                    mb_on_timed};
  int rc = lg_test_init(&st->test, &st->plan->settings, &so, st->sut, &qo, st->sut, &hooks);
  if (rc) {
    fprintf(stderr, "mlsysbench run: %s\n", lg_test_error(st->test));
    return MB_EXIT_USAGE;
  }
  /* keep this (the loadgen) thread off the SUT's cores when any are spare; restore
   * afterwards so the next run's workers do not inherit the binding */
  cpu_set_t saved;
  bool have_saved = sched_getaffinity(0, sizeof saved, &saved) == 0;
  sut_pin_caller_off(st->sut, st->loadgen_cpus, sizeof st->loadgen_cpus);
  rpt_detail_logf(st->detail, "loadgen_thread", "%s", st->loadgen_cpus);
  atomic_store(&mb_current_test, st->test);
  void (*old_int)(int) = signal(SIGINT, mb_on_signal);
  void (*old_term)(int) = signal(SIGTERM, mb_on_signal);
  rc = lg_test_run(st->test);
  signal(SIGINT, old_int);
  signal(SIGTERM, old_term);
  atomic_store(&mb_current_test, NULL);
  if (have_saved) sched_setaffinity(0, sizeof saved, &saved);
  if (st->progress_shown) fputc('\n', stderr);
  if (rc) {
    fprintf(stderr, "mlsysbench run: the test could not run: %s\n", lg_test_error(st->test));
    return MB_EXIT_ERROR;
  }
  return MB_EXIT_OK;
}

/* ---- run folder contents ---------------------------------------------------------- */
typedef struct mb_rows {
  const lg_record *rec;
  const lg_token_record *tok;    /* NULL without token latencies */
} mb_rows;

static void mb_sample_row(void *ctx, size_t i, rpt_sample *out) {
  const mb_rows *rows = ctx;
  const lg_record *rec = rows->rec;
  out->scheduled_ns = rec[i].scheduled_ns;
  out->issued_ns = rec[i].issued_ns;
  out->completed_ns = rec[i].completed_ns;
  out->sample_index = rec[i].sample_index;
  out->lost = lg_record_lost(&rec[i]);
  out->first_token_ns = rows->tok ? rows->tok[i].first_token_ns : 0;
  out->n_tokens = rows->tok ? rows->tok[i].n_tokens : 0;
}

typedef struct mb_acc_ctx {
  rpt_accuracy_sample *rows;
  double *scores;                /* reconstruction workloads: anomaly score per sample */
} mb_acc_ctx;

static void mb_acc_row(void *ctx, size_t i, rpt_accuracy_sample *out) {
  *out = ((mb_acc_ctx *)ctx)->rows[i];
}

/* Against the dataset's labels: top-1 accuracy (classifiers) or ROC AUC over files of
 * the anomaly scores (reconstruction workloads, as MLPerf Tiny scores ad01). */
static void mb_label_accuracy(mb_run_state *st, rpt_results *res, const mb_acc_ctx *ac,
                              const lg_record *rec, size_t n) {
  const wl_info *info = wl_model_info(st->wl);
  size_t classes = wl_tensor_elems(&info->output), files = wl_dataset_files(st->dataset);
  rpt_set_string(&res->accuracy.dataset, st->o->dataset);
  if (info->reconstruction) {
    double *fs = calloc(files ? files : 1, sizeof *fs);
    int *fl = calloc(files ? files : 1, sizeof *fl);
    double auc;
    if (fs && fl && wl_dataset_file_scores(st->dataset, ac->scores, fs, fl) == 0 &&
        wl_roc_auc(fs, fl, files, &auc) == 0)
      res->accuracy.auc = rpt_f64(auc);
    free(fs), free(fl);
    return;
  }
  const float **outs = calloc(n ? n : 1, sizeof *outs);
  int *labels = calloc(n ? n : 1, sizeof *labels);
  for (size_t i = 0; outs && labels && i < n; i++) {
    size_t size;
    outs[i] = lg_test_response(st->test, i, &size);
    if (!wl_dataset_label(st->dataset, rec[i].sample_index, &labels[i])) labels[i] = -1;
  }
  if (outs && labels) res->accuracy.top1_accuracy = rpt_f64(wl_top1_accuracy(outs, labels, n, classes, NULL));
  free(outs), free(labels);
}

/* Compare every response with the fp32 reference of the same sample. */
/* The fp32 reference of the run's workload: the workload itself, or for another
 * precision (--set precision=int8) the same workload and seeds at fp32 (*owned). */
static const wl_model *mb_reference_model(mb_run_state *st, wl_model **owned) {
  wl_params p = st->plan->params;
  char err[512];
  *owned = NULL;
  for (size_t i = 0; i < p.count; i++)
    if (!strcmp(p.items[i].key, "precision") && strcmp(p.items[i].value, "fp32")) {
      wl_params_set(&p, "precision", "fp32");
      if (wl_open(owned, st->o->workload, &p, err, sizeof err) == WL_OK) return *owned;
      fprintf(stderr, "mlsysbench run: fp32 reference: %s\n", err);
    }
  return st->wl;
}

static int mb_write_accuracy(mb_run_state *st, rpt_results *res) {
  const wl_info *info = wl_model_info(st->wl);
  wl_model *owned;
  const wl_model *refm = mb_reference_model(st, &owned);
  size_t n, in_b = wl_tensor_bytes(&info->input), out_b = wl_tensor_bytes(&info->output);
  const lg_record *rec = lg_test_records(st->test, &n);
  void *in = malloc(in_b), *ref = malloc(out_b), *scratch = malloc(wl_scratch_bytes(refm) + 1);
  uint64_t total = sut_samples_count(st->dataset ? &st->samples : NULL, st->wl);
  mb_acc_ctx ac = {calloc(n ? n : 1, sizeof *ac.rows), calloc(total, sizeof(double))};
  int rc = MB_EXIT_ERROR;
  if (!in || !ref || !scratch || !ac.rows || !ac.scores) goto out;
  wl_scratch_init(refm, scratch, 0);
  bool f32 = info->output.dtype == WL_F32;
  for (size_t i = 0; i < n; i++) {
    size_t size = 0;
    const void *got = lg_test_response(st->test, i, &size);
    rpt_accuracy_sample *row = &ac.rows[i];
    row->sample_index = rec[i].sample_index;
    row->missing = !got || size != out_b;
    if (row->missing) continue;
    char lerr[256];
    if (sut_samples_load(st->dataset ? &st->samples : NULL, st->wl, rec[i].sample_index, in,
                         lerr, sizeof lerr)) {
      fprintf(stderr, "mlsysbench run: %s\n", lerr);
      goto out;
    }
    wl_infer(refm, in, ref, scratch);
    if (info->reconstruction) ac.scores[rec[i].sample_index] = wl_anomaly_score(st->wl, in, got);
    wl_accuracy one;
    wl_accuracy_init(&one);
    wl_accuracy_add(st->wl, &one, got, ref);
    row->max_abs_error = one.max_abs_error;
    row->has_top1 = f32 && !info->reconstruction && wl_tensor_elems(&info->output) > 1;
    row->tokens = (uint32_t)one.tokens, row->tokens_agree = (uint32_t)one.tokens_agree;
    if (one.tokens) { /* token generators: top-1 is the first generated token */
      row->has_top1 = true;
      row->sut_top1 = (uint32_t)((const int32_t *)got)[0];
      row->ref_top1 = (uint32_t)((const int32_t *)ref)[0];
    }
    if (row->has_top1 && !one.tokens) {
      row->sut_top1 = (uint32_t)wl_argmax(got, wl_tensor_elems(&info->output));
      row->ref_top1 = (uint32_t)wl_argmax(ref, wl_tensor_elems(&info->output));
    }
  }
  char path[1200], err[1024];
  rpt_accuracy_summarize(n, mb_acc_row, &ac, &res->accuracy);
  if (st->dataset) mb_label_accuracy(st, res, &ac, rec, n);
  rpt_runfolder_file(st->rf, "accuracy.json", path, sizeof path);
  if (rpt_accuracy_write(path, &res->accuracy, n, mb_acc_row, &ac, err, sizeof err)) {
    fprintf(stderr, "mlsysbench run: %s\n", err);
    goto out;
  }
  rc = MB_EXIT_OK;
out:
  free(in), free(ref), free(scratch), free(ac.rows), free(ac.scores);
  wl_close(owned);
  return rc;
}

/* The device-timed block (serial DUT) and its faults in detail.log. */
static void mb_fill_device(mb_run_state *st, rpt_results *r, const sut_device_info *d) {
  if (!d->present) return;
  rpt_device *o = &r->device;
  o->present = true;
  rpt_set_string(&o->name, d->name);
  rpt_set_string(&o->model, d->model);
  rpt_set_string(&o->timing, d->timing);
  mb_copy_latency_stats(&o->latency, &d->latency);
  if (d->samples_per_s > 0) o->samples_per_s = rpt_f64(d->samples_per_s);
  for (size_t i = 0; i < d->windows; i++)
    rpt_results_add_device_window(r, &(rpt_device_window){d->window[i].sample_index,
        d->window[i].inferences, d->window[i].dut_us, d->window[i].samples_per_s});
  o->counter_wraps = rpt_u64(d->counter_wraps);
  o->recoveries = rpt_u64(d->recoveries);
  o->garbage_lines = rpt_u64(d->garbage_lines);
  if (d->last_fault[0]) rpt_set_string(&o->last_fault, d->last_fault);
  if (d->failure[0]) rpt_set_string(&o->failure, d->failure);
  if (d->last_fault[0])
    rpt_detail_logf(st->detail, "device_fault", "%s (recovered: %llu, failed: %s)", d->last_fault,
                    (unsigned long long)d->recoveries, d->failure[0] ? "yes" : "no");
  if (d->failure[0])
    fprintf(stderr, "mlsysbench run: %s; the samples measured so far are kept, the run is "
            "INVALID\n", d->failure);
  else if (d->recoveries)
    fprintf(stderr, "mlsysbench run: warning: %llu device fault(s) recovered by a re-sync and "
            "one retry; the last: %s\n", (unsigned long long)d->recoveries, d->last_fault);
}

/* sut.accelerator from an accelerator SUT's description (cuda); left unset otherwise. */
static void mb_describe_accel(rpt_accelerator *ra, const sut_accel *a) {
  if (!a->present) return;
  ra->present = true;
  rpt_set_string(&ra->api, a->api);
  rpt_set_string(&ra->name, a->name);
  rpt_set_string(&ra->pci_bus_id, a->pci_bus_id[0] ? a->pci_bus_id : NULL);
  rpt_set_string(&ra->compute_capability, a->compute_capability);
  ra->sm_count = rpt_u64((uint64_t)a->sm_count);
  ra->memory_bytes = rpt_u64(a->memory_bytes);
  if (a->sm_clock_mhz > 0) ra->sm_clock_mhz = rpt_u64((uint64_t)a->sm_clock_mhz);
  if (a->memory_clock_mhz > 0) ra->memory_clock_mhz = rpt_u64((uint64_t)a->memory_clock_mhz);
  rpt_set_string(&ra->driver_version, a->driver_version);
  rpt_set_string(&ra->runtime_version, a->runtime_version);
  rpt_set_string(&ra->precision, a->precision);
  ra->streams = rpt_u64((uint64_t)a->streams);
  ra->max_batch = rpt_u64((uint64_t)a->max_batch);
  ra->max_delay_us = rpt_u64(a->max_delay_us);
  ra->batches = rpt_u64(a->batches);
  ra->samples = rpt_u64(a->samples);
  ra->samples_failed = rpt_u64(a->samples_failed);
  rpt_set_string(&ra->last_error, a->last_error[0] ? a->last_error : NULL);
  if (!a->batches) return;
  ra->samples_per_batch_mean = rpt_f64((double)a->samples / (double)a->batches);
  ra->host_batch_ns_mean = rpt_f64(a->host_batch_ns_mean);
  ra->device_batch_ns_mean = rpt_f64(a->device_batch_ns_mean);
  ra->overhead_ns_mean = rpt_f64(a->host_batch_ns_mean - a->device_batch_ns_mean);
  ra->device_batch_ns_min = rpt_u64(a->device_batch_ns_min);
  ra->device_batch_ns_max = rpt_u64(a->device_batch_ns_max);
  ra->copy_in_ns_mean = rpt_f64(a->copy_in_ns_mean);
  ra->compute_ns_mean = rpt_f64(a->compute_ns_mean);
  ra->copy_out_ns_mean = rpt_f64(a->copy_out_ns_mean);
}

static void mb_describe_parts(mb_run_state *st, rpt_results *r) {
  const wl_info *w = wl_model_info(st->wl);
  char buf[128];
  rpt_set_string(&r->build.git_describe, MB_VERSION);
  rpt_set_string(&r->build.tool_version, MB_VERSION);
  rpt_results_set_created(r, time(NULL));
  rpt_results_set_command(r, st->o->argc, st->o->argv);
  rpt_set_string(&r->workload.name, w->name);
  rpt_set_string(&r->workload.description, w->description);
  rpt_set_string(&r->workload.input_shape, wl_tensor_format(&w->input, buf, sizeof buf));
  rpt_set_string(&r->workload.output_shape, wl_tensor_format(&w->output, buf, sizeof buf));
  for (size_t i = 0; i < st->plan->params.count; i++)
    rpt_results_add_param(r, st->plan->params.items[i].key, st->plan->params.items[i].value);
  r->workload.macs = rpt_u64(w->macs);
  r->workload.flops = rpt_u64(w->flops);
  r->workload.bytes_moved = rpt_u64(w->bytes_moved);
  r->workload.weight_seed = rpt_u64(w->weight_seed);
  if (w->output_tokens) {
    r->workload.prompt_tokens = rpt_u64(w->prompt_tokens);
    r->workload.output_tokens = rpt_u64(w->output_tokens);
    r->workload.context_tokens = rpt_u64(w->context_tokens);
    r->workload.prefill_flops = rpt_u64(w->prefill_flops);
    r->workload.decode_flops = rpt_u64(w->decode_flops);
    r->workload.kv_cache_bytes = rpt_u64(w->kv_cache_bytes);
  }
  sut_info *si = calloc(1, sizeof *si);
  if (si) {
    sut_describe(st->sut, si);
    rpt_set_string(&r->sut.name, si->name);
    rpt_set_string(&r->sut.device, si->device);
    r->sut.threads = rpt_u64((uint64_t)si->threads);
    r->sut.batch = rpt_u64((uint64_t)si->batch);
    r->sut.inline_completion = rpt_bool(si->inline_completion);
    rpt_set_string(&r->sut.pinning, si->pinning);
    rpt_set_string(&r->sut.loadgen_cpus, st->loadgen_cpus);
    for (int i = 0; i < si->threads && i < SUT_MAX_WORKERS; i++)
      rpt_results_add_worker_cpus(r, si->worker_cpus[i]);
    mb_fill_device(st, r, &si->device_timing);
    mb_describe_accel(&r->sut.accelerator, &si->accel);
    free(si);
  }
  mb_host_describe(&r->host);
}

static int mb_write_folder(mb_run_state *st, mb_run_outcome *out) {
  rpt_results *r = &out->results;
  char path[1200], err[1024];
  size_t n;
  mb_fill_result(r, st->test, st->plan->src, st->plan->n_src);
  mb_collect_fill(st->collect, r, lg_test_result(st->test), wl_model_info(st->wl));
  mb_rows rows = {lg_test_records(st->test, &n), lg_test_token_records(st->test, NULL)};
  if (st->plan->settings.mode == LG_MODE_ACCURACY && mb_write_accuracy(st, r)) return MB_EXIT_ERROR;
  int rc = rpt_runfolder_file(st->rf, "samples.csv", path, sizeof path);
  if (!rc)
    rc = (rows.tok ? rpt_samples_write_tokens : rpt_samples_write)(path, n, mb_sample_row, &rows,
                                                                    err, sizeof err);
  if (!rc) rc = rpt_runfolder_file(st->rf, "results.json", path, sizeof path);
  if (!rc) rc = rpt_results_write_json(path, r, err, sizeof err);
  if (!rc) rc = rpt_runfolder_file(st->rf, "summary.txt", path, sizeof path);
  if (!rc) rc = rpt_summary_write_file(path, r, err, sizeof err);
  if (!rc) rc = rpt_detail_close(st->detail);
  st->detail = NULL;
  if (!rc) rc = rpt_runfolder_commit(st->rf, err, sizeof err);
  if (rc) {
    fprintf(stderr, "mlsysbench run: writing the run folder: %s\n", err);
    return MB_EXIT_ERROR;
  }
  snprintf(out->folder, sizeof out->folder, "%s", rpt_runfolder_path(st->rf));
  const lg_result *lr = lg_test_result(st->test);
  bool ok = lr->valid || (lr->mode == LG_MODE_ACCURACY && !lr->samples_lost);
  return ok ? MB_EXIT_OK : MB_EXIT_INVALID;
}

static void mb_close_parts(mb_run_state *st) {
  sut_close(st->sut); /* joins the workers: nothing completes into the test after this */
  mb_collect_close(st->collect);
  wl_dataset_close(st->dataset);
  lg_test_destroy(st->test);
  wl_close(st->wl);
  rpt_detail_close(st->detail);
  if (st->rf) {
    rpt_runfolder_abort(st->rf, NULL, 0);
    rpt_runfolder_destroy(st->rf);
  }
}

int mb_run(const mb_run_opts *o, mb_run_outcome *out) {
  memset(out, 0, sizeof *out);
  rpt_results_init(&out->results);
  mb_plan *plan = calloc(1, sizeof *plan);
  mb_run_state st = {.o = o, .plan = plan};
  if (!plan) return out->exit_code = MB_EXIT_ERROR;
  int rc = mb_plan_settings(o, plan);
  if (rc) fprintf(stderr, "mlsysbench run: %s\n", plan->err);
  if (!rc) rc = mb_open_parts(&st);
  if (!rc) rc = mb_open_folder(&st);
  if (!rc) mb_log_plan(&st);
  if (!rc) rc = mb_run_test(&st);
  if (!rc) {
    mb_describe_parts(&st, &out->results);
    /* stop the SUT before reading records: no completion may race the report */
    sut_close(st.sut);
    st.sut = NULL;
    rc = mb_write_folder(&st, out);
  }
  mb_close_parts(&st);
  free(plan);
  return out->exit_code = rc;
}

void mb_outcome_destroy(mb_run_outcome *out) { rpt_results_destroy(&out->results); }

int mb_cmd_run(int argc, char **argv) {
  mb_run_opts o;
  bool help;
  mb_run_opts_default(&o);
  int rc = mb_parse_run(argc, argv, &o, &help);
  if (rc || help) return rc;
  if (o.repeat) return mb_run_repeat(&o);
  mb_run_outcome out;
  rc = mb_run(&o, &out);
  if (out.folder[0]) {
    if (!o.quiet) rpt_summary_write(stdout, &out.results);
    printf("run folder: %s\n", out.folder);
  }
  mb_outcome_destroy(&out);
  return rc;
}
