/*
 * reports/summary.c - renders summary.txt (MLPerf-like, plus what MLPerf leaves out)
 * and the one-line-per-run table from an rpt_results.
 */
#include "reports/summary.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <string.h>

#include "reports/internal.h"

#define RULE "================================================"
#define WIDTH 36 /* label column of the aligned sections */

/* ---- formatting helpers --------------------------------------------------------------- */
static const char *or_unknown(const char *s) { return s ? s : "unavailable"; }


static void section(FILE *f, const char *title) {
  fprintf(f, "\n%s\n%s\n%s\n", RULE, title, RULE);
}

/* "label<pad>: value" with the label column WIDTH wide. */
static void aligned(FILE *f, const char *label, const char *fmt, ...) RPT__PRINTF(3, 4);

static void aligned(FILE *f, const char *label, const char *fmt, ...) {
  va_list ap;
  fprintf(f, "%-*s: ", WIDTH, label);
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
}

static void aligned_u64(FILE *f, const char *label, rpt_opt_u64 v) {
  if (v.set) aligned(f, label, "%" PRIu64, v.v);
}

static void aligned_f64(FILE *f, const char *label, rpt_opt_f64 v) {
  char b[48];
  if (v.set) aligned(f, label, "%s", rpt__num(b, sizeof b, v.v));
}

/* ---- the top block: identity, metric, validity --------------------------------------- */
static void write_metric(FILE *f, const rpt_metric *m) {
  char v[48], lo[48], hi[48];
  if (!m->value.set) return;
  fprintf(f, "%s : %s\n", m->name ? m->name : "Metric", rpt__num(v, sizeof v, m->value.v));
  if (m->ci_low.set && m->ci_high.set)
    fprintf(f, "  99%% confidence interval : [%s, %s] %s (%s)\n", rpt__num(lo, sizeof lo, m->ci_low.v),
            rpt__num(hi, sizeof hi, m->ci_high.v), m->unit ? m->unit : "",
            m->ci_method ? m->ci_method : "method not stated");
  else
    fprintf(f, "  99%% confidence interval : unavailable\n");
}

static void check_line(FILE *f, const char *label, rpt_opt_bool v) {
  if (v.set) fprintf(f, "  %s : %s\n", label, v.v ? "Yes" : "NO");
}

static void write_until_stable(FILE *f, const rpt_until_stable *u) {
  if (!u->target.set) return;
  check_line(f, "Metric stable (until_stable)", u->met);
  fprintf(f, "  99%% interval reaches (until_stable) : ");
  if (u->ci_relative.set) fprintf(f, "+-%.3g %%", u->ci_relative.v * 100);
  else fprintf(f, "unknown");
  fprintf(f, " of the metric (target %.3g %%, %" PRIu64 " checks)\n", u->target.v * 100,
          u->checks.set ? u->checks.v : 0);
}

/* Server token bounds (use_token_latencies), as MLPerf's constraint lines. */
static void write_token_checks(FILE *f, const rpt_tokens *k) {
  if (!k->present || !k->ttft_bound_met.set) return;
  check_line(f, "TTFT bound satisfied", k->ttft_bound_met);
  check_line(f, "TPOT bound satisfied", k->tpot_bound_met);
  if (k->percentile.set && k->ttft_at_percentile_ns.set && k->ttft_bound_ns.set)
    fprintf(f, "  TTFT at the %gth percentile (ns) : %" PRIu64 " (bound %" PRIu64 ")\n",
            k->percentile.v * 100, k->ttft_at_percentile_ns.v, k->ttft_bound_ns.v);
  if (k->percentile.set && k->tpot_at_percentile_ns.set && k->tpot_bound_ns.set)
    fprintf(f, "  TPOT at the %gth percentile (ns) : %" PRIu64 " (bound %" PRIu64 ")\n",
            k->percentile.v * 100, k->tpot_at_percentile_ns.v, k->tpot_bound_ns.v);
  if (k->ttft_overlatency_count.set && k->tpot_overlatency_count.set)
    fprintf(f, "  Samples over the TTFT / TPOT bound : %" PRIu64 " / %" PRIu64 "\n",
            k->ttft_overlatency_count.v, k->tpot_overlatency_count.v);
}

static void write_validity(FILE *f, const rpt_run_result *res) {
  const rpt_checks *c = &res->checks;
  if (!res->valid.set) {
    fprintf(f, "Result is : not judged (%s mode)\n", or_unknown(res->mode));
    return;
  }
  fprintf(f, "Result is : %s\n", res->valid.v ? "VALID" : "INVALID");
  check_line(f, "Min duration satisfied", c->min_duration_met);
  check_line(f, "Min queries satisfied", c->min_queries_met);
  check_line(f, "Min samples satisfied", c->min_samples_met);
  check_line(f, "Latency bound satisfied", c->latency_bound_met);
  check_line(f, "Early stopping satisfied", c->early_stopping_met);
  write_until_stable(f, &res->until_stable);
  if (c->percentile.set && c->latency_at_percentile_ns.set)
    fprintf(f, "  %s at the %gth percentile (ns) : %" PRIu64 "\n",
            res->scenario && !strcmp(res->scenario, "MultiStream") ? "Query latency (per query)"
                                                                    : "Latency",
            c->percentile.v * 100, c->latency_at_percentile_ns.v);
  write_token_checks(f, &res->tokens);
  if (res->reasons.count > 0) fprintf(f, "INVALID because:\n");
  for (size_t i = 0; i < res->reasons.count; i++) {
    const rpt_reason *why = &res->reasons.items[i];
    fprintf(f, "  * %s [%s]\n", why->text ? why->text : why->code, why->code);
  }
}

static void write_early_stopping(FILE *f, const rpt_run_result *res) {
  const rpt_early_stopping *es = &res->early_stopping;
  rpt_opt_bool met = res->checks.early_stopping_met;
  if (!es->overlatency_count.set && !es->min_queries.set && !es->estimate_ns.set && !met.set)
    return;
  fprintf(f, "Early Stopping Result:\n");
  if (met.set) fprintf(f, " * Run %s.\n", met.v ? "successful" : "unsuccessful");
  if (es->overlatency_count.set)
    fprintf(f, " * Queries over the latency bound : %" PRIu64 "\n", es->overlatency_count.v);
  if (es->min_queries.set)
    fprintf(f, " * Queries needed for the check to pass : %" PRIu64 " (issued %" PRIu64 ")\n",
            es->min_queries.v, res->counts.queries_issued);
  if (es->estimate_ns.set) {
    if (res->checks.percentile.set)
      fprintf(f, " * Early stopping %gth percentile estimate (ns) : %" PRIu64 "\n",
              res->checks.percentile.v * 100, es->estimate_ns.v);
    else
      fprintf(f, " * Early stopping percentile estimate (ns) : %" PRIu64 "\n", es->estimate_ns.v);
  }
}

static void write_top(FILE *f, const rpt_results *r) {
  fprintf(f, "%s\nmlsysbench Results Summary\n%s\n", RULE, RULE);
  fprintf(f, "SUT name : %s\n", or_unknown(r->sut.name));
  fprintf(f, "Workload : %s\n", or_unknown(r->workload.name));
  fprintf(f, "Scenario : %s\n", or_unknown(r->result.scenario));
  fprintf(f, "Mode     : %s\n", or_unknown(r->result.mode));
  write_metric(f, &r->result.metric);
  write_validity(f, &r->result);
  write_early_stopping(f, &r->result);
}

/* ---- additional stats -------------------------------------------------------------- */
static void write_counts(FILE *f, const rpt_run_result *res) {
  const rpt_counts *c = &res->counts;
  aligned_f64(f, "Completed samples per second", res->samples_per_s);
  aligned_f64(f, "Completed queries per second", res->queries_per_s);
  aligned(f, "Queries issued", "%" PRIu64, c->queries_issued);
  aligned(f, "Samples issued", "%" PRIu64, c->samples_issued);
  aligned(f, "Samples completed", "%" PRIu64, c->samples_completed);
  aligned(f, "Samples lost", "%" PRIu64, c->samples_lost);
  aligned(f, "Duplicate completions", "%" PRIu64, c->duplicate_completions);
  aligned(f, "Unknown completions", "%" PRIu64, c->unknown_completions);
  aligned(f, "Late completions", "%" PRIu64, c->late_completions);
  aligned(f, "Oversized responses", "%" PRIu64, c->oversized_responses);
  aligned_u64(f, "Duration (ns)", res->durations.duration_ns);
}

/* Min/max/mean and percentiles; `what` is "latency" or "query latency". */
static void write_latency(FILE *f, const char *what, const rpt_latency *l) {
  char label[64], b[48];
  static const double pct[] = {50, 90, 95, 97, 99, 99.9};
  const uint64_t val[] = {l->p50_ns, l->p90_ns, l->p95_ns, l->p97_ns, l->p99_ns, l->p999_ns};
  if (!l->present) return;
  fputc('\n', f);
  snprintf(label, sizeof label, "Min %s (ns)", what);
  aligned(f, label, "%" PRIu64, l->min_ns);
  snprintf(label, sizeof label, "Max %s (ns)", what);
  aligned(f, label, "%" PRIu64, l->max_ns);
  snprintf(label, sizeof label, "Mean %s (ns)", what);
  aligned(f, label, "%s", rpt__num(b, sizeof b, l->mean_ns));
  for (size_t i = 0; i < sizeof pct / sizeof pct[0]; i++) {
    snprintf(label, sizeof label, "%.2f percentile %s (ns)", pct[i], what);
    aligned(f, label, "%" PRIu64, val[i]);
  }
}

/* Server only: how late the load generator issued against the schedule. */
static void write_issue_delay(FILE *f, const rpt_run_result *res) {
  const rpt_latency *d = &res->issue_delay;
  if (res->scenario == NULL || strcmp(res->scenario, "Server") != 0) return;
  fputc('\n', f);
  if (!d->present) {
    aligned(f, "Issue delay (ns)", "unavailable");
    return;
  }
  aligned(f, "Issue delay p50 (ns)", "%" PRIu64, d->p50_ns);
  aligned(f, "Issue delay p99 (ns)", "%" PRIu64, d->p99_ns);
  aligned(f, "Issue delay max (ns)", "%" PRIu64, d->max_ns);
}

static void write_find_peak(FILE *f, const rpt_find_peak *p) {
  char b[48];
  if (!p->peak_qps.set && p->probes.count == 0) return;
  fputc('\n', f);
  aligned(f, "Peak QPS", "%s", p->peak_qps.set ? rpt__num(b, sizeof b, p->peak_qps.v) : "none found");
  fprintf(f, "%14s %-8s %16s %12s\n", "target_qps", "result", "p99_ns", "duration_ms");
  for (size_t i = 0; i < p->probes.count; i++) {
    const rpt_probe *q = &p->probes.items[i];
    fprintf(f, "%14s %-8s %16" PRIu64 " %12" PRIu64 "\n", rpt__num(b, sizeof b, q->target_qps),
            q->valid ? "VALID" : "INVALID", q->p99_ns, q->duration_ms);
  }
}

/* "label : v [lo, hi]" for a value at a percentile with its 99 % interval. */
static void write_at_percentile(FILE *f, const char *what, const rpt_tokens *k, rpt_opt_u64 v,
                                rpt_opt_u64 lo, rpt_opt_u64 hi) {
  char label[64];
  if (!v.set || !k->percentile.set) return;
  snprintf(label, sizeof label, "%gth percentile %s (ns)", k->percentile.v * 100, what);
  aligned(f, label, "%" PRIu64 " (99%% CI [%" PRIu64 ", %" PRIu64 "])", v.v, lo.v, hi.v);
}

/* Token latencies (MLPerf's "Completed tokens per second", first-token and per-output-
 * token lines) with their intervals. Offline has no first-token lines, as in MLPerf: its
 * one query makes every sample's "first token latency" a place in the queue. */
static void write_tokens(FILE *f, const rpt_tokens *k, bool offline) {
  char lo[48], hi[48];
  if (!k->present) return;
  fputc('\n', f);
  aligned_f64(f, "Completed tokens per second", k->tokens_per_s);
  if (k->tokens_per_s_ci_low.set && k->tokens_per_s_ci_high.set)
    aligned(f, "  99% confidence interval", "[%s, %s] tokens/s",
            rpt__num(lo, sizeof lo, k->tokens_per_s_ci_low.v),
            rpt__num(hi, sizeof hi, k->tokens_per_s_ci_high.v));
  aligned(f, "Tokens completed", "%" PRIu64, k->tokens);
  if (k->missing_first_token || k->missing_tokens || k->first_token_errors)
    aligned(f, "Token reporting errors", "%" PRIu64 " without first token, %" PRIu64
            " with < 2 tokens, %" PRIu64 " bad first tokens", k->missing_first_token,
            k->missing_tokens, k->first_token_errors);
  if (!offline)
    write_at_percentile(f, "first token latency", k, k->ttft_at_percentile_ns,
                        k->ttft_ci_low_ns, k->ttft_ci_high_ns);
  write_at_percentile(f, "time per output token", k, k->tpot_at_percentile_ns, k->tpot_ci_low_ns,
                      k->tpot_ci_high_ns);
  if (!offline) write_latency(f, "First Token latency", &k->ttft);
  write_latency(f, "Time to Output Token", &k->tpot);
}

static void write_stats(FILE *f, const rpt_run_result *res) {
  section(f, "Additional Stats");
  write_counts(f, res);
  write_latency(f, "latency", &res->latency);
  write_latency(f, "query latency", &res->query_latency);
  write_tokens(f, &res->tokens, res->scenario && strcmp(res->scenario, "Offline") == 0);
  write_issue_delay(f, res);
  write_find_peak(f, &res->find_peak);
}

static void write_accuracy(FILE *f, const rpt_accuracy *a) {
  if (!a->present) return;
  section(f, "Accuracy");
  aligned(f, "Samples checked", "%" PRIu64, a->samples);
  aligned_f64(f, "Top-1 agreement", a->top1_agreement);
  aligned_f64(f, "Token agreement", a->token_agreement);
  aligned_f64(f, "Max abs error", a->max_abs_error);
  aligned(f, "Missing outputs", "%" PRIu64, a->missing);
  if (a->dataset) aligned(f, "Dataset", "%s", a->dataset);
  aligned_f64(f, "Top-1 accuracy (labels)", a->top1_accuracy);
  aligned_f64(f, "AUC (labels)", a->auc);
}

/* ---- counters, energy, roofline ----------------------------------------------------- */
static void write_counters(FILE *f, const rpt_counters *c) {
  char label[96], b1[48], b2[48];
  if (!c->present) return;
  section(f, "Counters (timed region, summed over SUT workers)");
  for (size_t i = 0; i < c->items.count; i++) {
    const rpt_counter *k = &c->items.items[i];
    snprintf(label, sizeof label, "%s (%s)", k->name, or_unknown(k->source));
    if (k->available && k->total.set)
      aligned(f, label, "%s %s, %s per inference", rpt__num(b1, sizeof b1, k->total.v),
              or_unknown(k->unit), k->per_inference.set ? rpt__num(b2, sizeof b2, k->per_inference.v) : "unavailable");
    else
      aligned(f, label, "unavailable: %s", or_unknown(k->reason));
  }
  aligned_f64(f, "IPC", c->ipc);
}

static void write_energy(FILE *f, const rpt_energy *e) {
  if (!e->present) return;
  section(f, e->estimate.set && e->estimate.v ? "Energy (ESTIMATE)" : "Energy");
  if (!e->available) {
    aligned(f, "Energy", "unavailable: %s", or_unknown(e->reason));
    return;
  }
  aligned(f, "Source", "%s%s", or_unknown(e->source),
          e->estimate.set && e->estimate.v ? " (estimate, not a measurement)" : "");
  aligned(f, "Method", "%s", or_unknown(e->method));
  aligned_f64(f, "Joules", e->joules);
  aligned_f64(f, "Average watts", e->avg_watts);
  aligned_f64(f, "Joules per inference", e->joules_per_inference);
  aligned_f64(f, "Interval (s)", e->interval_s);
  aligned_f64(f, "Sampling interval (s)", e->sampling_interval_s);
  for (size_t i = 0; i < e->domains.count; i++) {
    char b[48];
    aligned(f, e->domains.items[i].name, "%s J", rpt__num(b, sizeof b, e->domains.items[i].joules));
  }
}

static void write_roofline(FILE *f, const rpt_roofline *r) {
  if (!r->present) return;
  section(f, "Roofline");
  aligned(f, "Hardware profile", "%s (%s)", or_unknown(r->profile), or_unknown(r->precision));
  if (r->reason) {
    aligned(f, "Placement", "unavailable: %s", r->reason);
    return;
  }
  aligned_f64(f, "Achieved FLOP/s", r->achieved_flops);
  aligned_f64(f, "Arithmetic intensity (FLOP/byte)", r->arithmetic_intensity);
  aligned_f64(f, "Peak FLOP/s", r->peak_flops);
  aligned_f64(f, "Memory bandwidth (bytes/s)", r->bandwidth_bytes_per_s);
  aligned_f64(f, "Attainable FLOP/s", r->attainable_flops);
  aligned_f64(f, "Fraction of attainable", r->fraction);
  aligned(f, "Bound", "%s", or_unknown(r->bound));
  if (r->peak_flops_cores_used.set && r->cores_used.set && r->peak_flops_per_core.set) {
    char all[48], one[48];
    aligned(f, "Peak FLOP/s of the cores used", "%s (%" PRIu64 " x %s per core)",
            rpt__num(all, sizeof all, r->peak_flops_cores_used.v), r->cores_used.v,
            rpt__num(one, sizeof one, r->peak_flops_per_core.v));
  }
  aligned_f64(f, "Fraction of peak of the cores used", r->fraction_of_peak_cores_used);
}

/* The device-timed figures of a SUT with its own clock (serial DUT). */
static void write_device(FILE *f, const rpt_device *d) {
  if (!d->present) return;
  section(f, "Device-timed (the DUT's own clock)");
  aligned(f, "DUT", "%s, model %s", or_unknown(d->name), or_unknown(d->model));
  aligned(f, "Timing", "%s", or_unknown(d->timing));
  write_latency(f, "DUT latency", &d->latency);
  for (size_t i = 0; i < d->windows.count; i++) {
    const rpt_device_window *w = &d->windows.items[i];
    char label[48], b[48];
    snprintf(label, sizeof label, "Window %zu (sample %" PRIu64 ")", i + 1, w->sample_index);
    aligned(f, label, "%" PRIu64 " inferences in %" PRIu64 " us: %s samples/s", w->inferences,
            w->dut_us, rpt__num(b, sizeof b, w->samples_per_s));
  }
  aligned_f64(f, "DUT samples/s (median of windows)", d->samples_per_s);
  aligned_u64(f, "Counter wraps", d->counter_wraps);
  aligned_u64(f, "Recovered faults", d->recoveries);
  aligned_u64(f, "Garbage lines", d->garbage_lines);
  if (d->last_fault) aligned(f, "Last fault", "%s", d->last_fault);
  if (d->failure) aligned(f, "Failure", "%s", d->failure);
}

/* ---- settings and identity ---------------------------------------------------------- */
static void write_seed(FILE *f, const rpt_results *r, const char *name, rpt_opt_u64 v) {
  if (v.set && rpt_results_find_setting(r, name) == NULL) /* not listed already */
    fprintf(f, "%s : %" PRIu64 "\n", name, v.v);
}

static void write_settings(FILE *f, const rpt_results *r) {
  section(f, "Test Parameters Used");
  for (size_t i = 0; i < r->settings.count; i++) {
    const rpt_setting *s = &r->settings.items[i];
    fprintf(f, "%s : %s  (%s)\n", s->key, or_unknown(s->value), s->source ? s->source : "?");
  }
  const rpt_seeds *sd = &r->seeds;
  write_seed(f, r, "qsl_rng_seed", sd->qsl_rng_seed);
  write_seed(f, r, "sample_index_rng_seed", sd->sample_index_rng_seed);
  write_seed(f, r, "schedule_rng_seed", sd->schedule_rng_seed);
  write_seed(f, r, "accuracy_log_rng_seed", sd->accuracy_log_rng_seed);
}

/* s as one shell word: as is when plain, else in single quotes. */
static void write_word(FILE *f, const char *s) {
  if (s[0] != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789@%+=:,./_-") == strlen(s)) {
    fputs(s, f);
    return;
  }
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'')
      fputs("'\\''", f);
    else
      fputc(*s, f);
  }
  fputc('\'', f);
}

/* A list as space-separated words (shell-quoted when `quote`). */
static void write_strlist(FILE *f, const char *label, const rpt_strlist *l, bool quote) {
  if (l->count == 0) return;
  fprintf(f, "%-*s: ", WIDTH, label);
  for (size_t i = 0; i < l->count; i++) {
    const char *s = l->items[i] ? l->items[i] : "";
    if (i) fputc(' ', f);
    if (quote)
      write_word(f, s);
    else
      fputs(s, f);
  }
  fputc('\n', f);
}

static void write_workload(FILE *f, const rpt_workload *w) {
  aligned(f, "Workload", "%s%s%s", or_unknown(w->name), w->description ? " - " : "",
          w->description ? w->description : "");
  if (w->input_shape) aligned(f, "Input", "%s", w->input_shape);
  if (w->output_shape) aligned(f, "Output", "%s", w->output_shape);
  for (size_t i = 0; i < w->params.count; i++)
    aligned(f, "Workload parameter", "%s = %s", w->params.items[i].key,
            or_unknown(w->params.items[i].value));
  aligned_u64(f, "MACs per inference", w->macs);
  aligned_u64(f, "FLOPs per inference", w->flops);
  aligned_u64(f, "Bytes moved per inference", w->bytes_moved);
  aligned_u64(f, "Prompt tokens", w->prompt_tokens);
  aligned_u64(f, "Output tokens", w->output_tokens);
  aligned_u64(f, "Context (KV-cache positions)", w->context_tokens);
  aligned_u64(f, "Prefill FLOPs", w->prefill_flops);
  aligned_u64(f, "Decode FLOPs", w->decode_flops);
  aligned_u64(f, "KV-cache bytes per worker", w->kv_cache_bytes);
  aligned_u64(f, "Weight seed", w->weight_seed);
}

static void write_accelerator(FILE *f, const rpt_accelerator *a) {
  char b[4][32];
  if (!a->present) return;
  aligned(f, "Accelerator", "%s %s (compute capability %s)", or_unknown(a->api),
          or_unknown(a->name), or_unknown(a->compute_capability));
  aligned_u64(f, "Accelerator SMs", a->sm_count);
  aligned_u64(f, "Accelerator memory (bytes)", a->memory_bytes);
  aligned_u64(f, "Accelerator SM clock (MHz)", a->sm_clock_mhz);
  aligned_u64(f, "Accelerator memory clock (MHz)", a->memory_clock_mhz);
  aligned(f, "Driver / runtime", "%s / %s", or_unknown(a->driver_version),
          or_unknown(a->runtime_version));
  if (a->precision) aligned(f, "Precision", "%s", a->precision);
  aligned_u64(f, "Streams", a->streams);
  aligned_u64(f, "Max batch", a->max_batch);
  aligned_u64(f, "Max queueing delay (us)", a->max_delay_us);
  aligned_u64(f, "Batches run", a->batches);
  aligned_f64(f, "Samples per batch (mean)", a->samples_per_batch_mean);
  if (a->device_batch_ns_mean.set && a->host_batch_ns_mean.set)
    aligned(f, "Batch time host / device (ns)", "%s / %s (overhead %s)",
            rpt__num(b[0], sizeof b[0], a->host_batch_ns_mean.v),
            rpt__num(b[1], sizeof b[1], a->device_batch_ns_mean.v),
            rpt__num(b[2], sizeof b[2], a->overhead_ns_mean.set ? a->overhead_ns_mean.v : 0));
  if (a->compute_ns_mean.set)
    aligned(f, "Device copy in / compute / out (ns)", "%s / %s / %s",
            rpt__num(b[0], sizeof b[0], a->copy_in_ns_mean.v),
            rpt__num(b[1], sizeof b[1], a->compute_ns_mean.v),
            rpt__num(b[3], sizeof b[3], a->copy_out_ns_mean.v));
  if (a->samples_failed.set && a->samples_failed.v)
    aligned(f, "Samples the device failed", "%" PRIu64, a->samples_failed.v);
  if (a->last_error) aligned(f, "Last device error", "%s", a->last_error);
}

static void write_sut(FILE *f, const rpt_sut *s) {
  aligned(f, "SUT", "%s on %s", or_unknown(s->name), or_unknown(s->device));
  aligned_u64(f, "SUT threads", s->threads);
  aligned_u64(f, "SUT batch", s->batch);
  if (s->inline_completion.set)
    aligned(f, "SUT completes inline", "%s", s->inline_completion.v ? "yes" : "no");
  if (s->pinning) aligned(f, "Pinning", "%s", s->pinning);
  write_strlist(f, "Worker cpus", &s->worker_cpus, false);
  if (s->loadgen_cpus) aligned(f, "Loadgen thread cpus", "%s", s->loadgen_cpus);
  write_accelerator(f, &s->accelerator);
}

static void write_host(FILE *f, const rpt_host *h) {
  const rpt_topology *t = &h->topology;
  aligned(f, "Host", "%s (%s %s)", or_unknown(h->hostname), or_unknown(h->os),
          h->kernel ? h->kernel : "");
  aligned(f, "CPU", "%s", or_unknown(h->cpu_model));
  aligned_u64(f, "Packages", t->packages);
  aligned_u64(f, "Cores", t->cores);
  aligned_u64(f, "PUs", t->pus);
  aligned_u64(f, "NUMA nodes", t->numa_nodes);
  aligned_u64(f, "L1d cache (bytes)", t->l1d_bytes);
  aligned_u64(f, "L2 cache (bytes)", t->l2_bytes);
  aligned_u64(f, "L3 cache (bytes)", t->l3_bytes);
  if (h->hardware_profile) aligned(f, "Hardware profile", "%s", h->hardware_profile);
}

static void write_identity(FILE *f, const rpt_results *r) {
  section(f, "Build, Workload, SUT and Host");
  aligned(f, "Build", "%s", or_unknown(r->build.git_describe));
  if (r->build.tool_version) aligned(f, "Tool version", "%s", r->build.tool_version);
  aligned(f, "Created (UTC)", "%s", or_unknown(r->build.created_utc));
  write_strlist(f, "Command", &r->build.command, true);
  write_workload(f, &r->workload);
  write_sut(f, &r->sut);
  write_host(f, &r->host);
}

/* ---- public ------------------------------------------------------------------------- */
int rpt_summary_write(FILE *f, const rpt_results *r) {
  if (f == NULL || r == NULL) return RPT_EINVAL;
  write_top(f, r);
  write_stats(f, &r->result);
  write_accuracy(f, &r->accuracy);
  write_counters(f, &r->counters);
  write_energy(f, &r->energy);
  write_roofline(f, &r->roofline);
  write_device(f, &r->device);
  write_settings(f, r);
  write_identity(f, r);
  return ferror(f) ? RPT_EIO : RPT_OK;
}

int rpt_summary_write_file(const char *path, const rpt_results *r, char *err,
                           size_t errlen) {
  if (path == NULL || r == NULL) return rpt__errf(err, errlen, RPT_EINVAL, "no path or results");
  FILE *f = rpt__fopen(path, "w", err, errlen);
  if (f == NULL) return RPT_EIO;
  return rpt__fclose(f, rpt_summary_write(f, r) == RPT_OK, path, err, errlen);
}

#define ROW_FMT "%-10s %-12s %-11s %-38s %20s %-8s %s\n"

int rpt_summary_row_header(FILE *f) {
  if (f == NULL) return RPT_EINVAL;
  fprintf(f, ROW_FMT, "workload", "scenario", "mode", "metric", "value", "validity", "run folder");
  return ferror(f) ? RPT_EIO : RPT_OK;
}

int rpt_summary_row(FILE *f, const rpt_results *r, const char *run_folder) {
  if (f == NULL || r == NULL) return RPT_EINVAL;
  const rpt_run_result *res = &r->result;
  const char *metric = res->metric.name ? res->metric.name : "-";
  char value[64] = "-", b[48];
  if (res->metric.value.set)
    snprintf(value, sizeof value, "%s %s", rpt__num(b, sizeof b, res->metric.value.v),
             res->metric.unit ? res->metric.unit : "");
  else if (r->accuracy.present && r->accuracy.top1_agreement.set) {
    metric = "top-1 agreement";
    snprintf(value, sizeof value, "%s", rpt__num(b, sizeof b, r->accuracy.top1_agreement.v));
  }
  const char *validity = !res->valid.set ? "-" : res->valid.v ? "VALID" : "INVALID";
  fprintf(f, ROW_FMT, or_unknown(r->workload.name), or_unknown(res->scenario),
          or_unknown(res->mode), metric, value, validity, run_folder ? run_folder : "-");
  return ferror(f) ? RPT_EIO : RPT_OK;
}
