/*
 * harness/collect.c - the collectors around a run: the hardware profile, per-worker
 * counters (PAPI + perf software events), the harness's own counters published as PAPI
 * SDE counters, and energy. They start and stop with loadgen's timed region (the
 * lg_hooks.timed callback), so they measure the same window as the metric, and they
 * fill the counters, energy and roofline blocks of results.json. Whatever is
 * unavailable is reported with its reason, never as 0.
 */
#include "harness/collect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/counters.h"
#include "harness/energy.h"

struct mb_collect {
  hwp_profile profile;
  bool have_profile;
  char profile_reason[512];
  mb_counters *counters;
  mb_counters_sde *sde;
  mb_energy *energy;
  const char *counters_spec, *energy_spec;
  size_t in_bytes, out_bytes;
  unsigned cores_used;  /* SUT workers (one per core), 1 when it completes inline;
                           0 for an accelerator SUT (its host workers only feed it) */
  char gpu_bus_id[32];  /* an accelerator SUT's device: NVML measures that GPU only */
  char precision[8];    /* the roofline's precision: the accelerator's, else fp32 */
};

static int mb_collect_profile(mb_collect *c, const char *name, char *err, size_t errlen) {
  hwp_profile_init(&c->profile);
  int rc = hwp_find(name ? name : "auto", &c->profile, c->profile_reason,
                    sizeof c->profile_reason);
  c->have_profile = rc == HWP_OK;
  if (!c->have_profile && name && strcmp(name, "auto")) {
    snprintf(err, errlen, "--profile %s: %s", name, c->profile_reason);
    return MB_EXIT_USAGE;
  }
  return MB_EXIT_OK;
}

/* Counters on every SUT worker, or on this thread when the SUT completes inline. */
static int mb_collect_counters(mb_collect *c, const mb_run_opts *o, const sut *s, char *err,
                               size_t errlen) {
  sut_info *si = calloc(1, sizeof *si);
  if (!si) return MB_EXIT_ERROR;
  sut_describe(s, si);
  pid_t tids[SUT_MAX_WORKERS];
  size_t n = 0;
  for (int i = 0; i < si->threads && i < SUT_MAX_WORKERS; i++) tids[n++] = si->worker_tids[i];
  if (si->inline_completion || !n) tids[0] = gettid(), n = 1;
  c->cores_used = si->accel.present ? 0u : (unsigned)n;
  snprintf(c->gpu_bus_id, sizeof c->gpu_bus_id, "%s", si->accel.pci_bus_id);
  snprintf(c->precision, sizeof c->precision, "%s",
           si->accel.present && si->accel.precision[0] ? si->accel.precision : "fp32");
  free(si);
  int rc = mb_counters_open(&c->counters, o->counters, o->counters_required, err, errlen);
  if (rc == 0) rc = mb_counters_attach(c->counters, tids, n, err, errlen);
  return rc == 0 ? MB_EXIT_OK : MB_EXIT_USAGE;
}

/* CPU cores the SUT's workers use (1 when it completes inline); 0 when it is not the
 * CPU SUT (a GPU's or a board's TDP is not shared by host cores). */
static unsigned mb_sut_cpu_cores(const sut *s) {
  sut_info *info = calloc(1, sizeof *info);
  unsigned n = 0;
  if (info) {
    sut_describe(s, info);
    if (!strcmp(info->name, "cpu")) n = info->threads > 0 ? (unsigned)info->threads : 1;
    free(info);
  }
  return n;
}

/* TDP for the estimate: the profile's, scaled to the share of its cores the CPU SUT
 * used (a 2-worker run is not charged a 32-core package), said so in the source.
 * NVML measures the SUT's own GPU when the SUT names one (cuda: its PCI bus id). */
static int mb_collect_energy(mb_collect *c, const sut *s, const char *spec, char *err,
                             size_t errlen) {
  mb_energy_options eo;
  mb_energy_options_default(&eo);
  if (c->gpu_bus_id[0]) eo.nvml_pci_bus_id = c->gpu_bus_id;
  double tdp;
  char source[200];
  if (c->have_profile && hwp_tdp_watts(&c->profile, &tdp) == HWP_OK) {
    unsigned used = mb_sut_cpu_cores(s);
    const hwp_figure *cores = &c->profile.cores;
    eo.tdp_watts = tdp;
    eo.tdp_source = c->profile.name;
    if (used && cores->present && used < cores->value) {
      eo.tdp_watts = tdp * used / cores->value;
      snprintf(source, sizeof source, "%s, %g W scaled to the %u of its %g cores the SUT used",
               c->profile.name, tdp, used, cores->value);
      eo.tdp_source = source;
    }
  }
  return mb_energy_open(&c->energy, spec, &eo, err, errlen) == 0 ? MB_EXIT_OK : MB_EXIT_USAGE;
}

int mb_collect_open(mb_collect **out, const mb_run_opts *o, const sut *s, const wl_info *w,
                    char *err, size_t errlen) {
  mb_collect *c = calloc(1, sizeof *c);
  *out = c;
  if (!c) return MB_EXIT_ERROR;
  c->counters_spec = o->counters;
  c->energy_spec = o->energy;
  c->in_bytes = wl_tensor_bytes(&w->input);
  c->out_bytes = wl_tensor_bytes(&w->output);
  int rc = mb_collect_profile(c, o->profile, err, errlen);
  if (!rc) rc = mb_collect_counters(c, o, s, err, errlen);
  if (!rc && o->energy) rc = mb_collect_energy(c, s, o->energy, err, errlen);
  char sde_err[256];
  if (!rc && mb_counters_sde_open(&c->sde, sde_err, sizeof sde_err)) c->sde = NULL;
  return rc;
}

void mb_collect_timed(void *ctx, bool start) {
  mb_collect *c = ctx;
  if (!c) return;
  if (start) {
    if (c->energy) mb_energy_start(c->energy);
    if (c->counters) mb_counters_start(c->counters);
  } else {
    if (c->counters) mb_counters_stop(c->counters);
    if (c->energy) mb_energy_stop(c->energy);
  }
}

void mb_collect_progress(mb_collect *c, uint64_t issued, uint64_t completed) {
  if (c && c->sde)
    mb_counters_sde_update(c->sde, issued, completed, issued * c->in_bytes,
                           completed * c->out_bytes);
}

/* ---- results ---------------------------------------------------------------------- */
static void mb_add_counter(rpt_results *r, const mb_counter_value *v) {
  rpt_counter rc = {(char *)v->name, (char *)v->source, (char *)v->unit, v->available,
                    {0}, {0}, v->reason[0] ? (char *)v->reason : NULL};
  if (v->available && isfinite(v->total)) rc.total = rpt_f64(v->total);
  if (v->available && isfinite(v->per_inference)) rc.per_inference = rpt_f64(v->per_inference);
  rpt_results_add_counter(r, &rc);
}

static void mb_fill_counters(mb_collect *c, rpt_results *r, uint64_t inferences) {
  mb_counters_report rep;
  if (c->counters && mb_counters_result(c->counters, inferences, &rep) == 0) {
    for (size_t i = 0; i < rep.count; i++) mb_add_counter(r, &rep.counters[i]);
    if (rep.ipc_available) r->counters.ipc = rpt_f64(rep.ipc);
  }
  mb_counter_value sde[MB_COUNTERS_SDE_COUNT];
  size_t n = c->sde ? mb_counters_sde_values(c->sde, inferences, sde) : 0;
  for (size_t i = 0; i < n; i++) mb_add_counter(r, &sde[i]);
  rpt_set_string(&r->counters.requested, c->counters_spec ? c->counters_spec : "software");
}

static void mb_fill_energy(mb_collect *c, rpt_results *r, uint64_t inferences) {
  mb_energy_report e;
  if (!c->energy || mb_energy_result(c->energy, inferences, &e)) return;
  r->energy.present = true;
  r->energy.available = e.available;
  rpt_set_string(&r->energy.requested, c->energy_spec);
  rpt_set_string(&r->energy.source, e.source);
  if (e.reason[0]) rpt_set_string(&r->energy.reason, e.reason);
  if (!e.available) return;
  rpt_set_string(&r->energy.method, e.method);
  r->energy.estimate = rpt_bool(e.estimate);
  r->energy.joules = rpt_f64(e.joules);
  r->energy.avg_watts = rpt_f64(e.avg_watts);
  if (isfinite(e.joules_per_inference)) r->energy.joules_per_inference = rpt_f64(e.joules_per_inference);
  r->energy.interval_s = rpt_f64(e.interval_s);
  if (e.sampling_interval_s > 0) r->energy.sampling_interval_s = rpt_f64(e.sampling_interval_s);
  for (size_t i = 0; i < e.n_domains; i++)
    rpt_results_add_energy_domain(r, &(rpt_energy_domain){e.domains[i].name, e.domains[i].joules});
}

/* The peak of the cores the SUT ran on: the profile's per-core fp32 peak (else its
 * whole-device peak / its cores) x the SUT's workers, and achieved / that. */
static void mb_fill_core_peak(mb_collect *c, rpt_roofline *rl, double achieved) {
  const hwp_figure *core = &c->profile.peak_flops_per_core[HWP_FP32];
  const hwp_figure *all = &c->profile.peak_flops[HWP_FP32];
  double per_core = core->present                              ? core->value
                    : all->present && c->profile.cores.present ? all->value / c->profile.cores.value
                                                               : NAN;
  if (!isfinite(per_core) || per_core <= 0 || !c->cores_used) return;
  rl->peak_flops_per_core = rpt_f64(per_core);
  rl->cores_used = rpt_u64(c->cores_used);
  rl->peak_flops_cores_used = rpt_f64(per_core * c->cores_used);
  rl->fraction_of_peak_cores_used = rpt_f64(achieved / (per_core * c->cores_used));
}

static void mb_fill_roofline(mb_collect *c, rpt_results *r, const wl_info *w, double per_s) {
  rpt_roofline *rl = &r->roofline;
  rl->present = true;
  rpt_set_string(&rl->precision, c->precision);
  if (!c->have_profile) {
    rpt_set_string(&rl->reason, c->profile_reason);
    return;
  }
  rpt_set_string(&rl->profile, c->profile.name);
  rpt_set_string(&r->host.hardware_profile, c->profile.name);
  hwp_roofline_point pt;
  if (hwp_roofline(&c->profile, c->precision, (double)w->flops, (double)w->bytes_moved, per_s, &pt)) {
    rpt_set_string(&rl->reason, pt.error);
    return;
  }
  rl->achieved_flops = rpt_f64(pt.achieved_flops_per_s);
  rl->arithmetic_intensity = rpt_f64(pt.arithmetic_intensity);
  rl->peak_flops = rpt_f64(pt.peak_flops_per_s);
  rl->bandwidth_bytes_per_s = rpt_f64(pt.bandwidth_bytes_per_s);
  rl->attainable_flops = rpt_f64(pt.attainable_flops_per_s);
  rl->fraction = rpt_f64(pt.fraction_of_attainable);
  rpt_set_string(&rl->bound, hwp_bound_name(pt.bound));
  mb_fill_core_peak(c, rl, pt.achieved_flops_per_s);
}

void mb_collect_fill(mb_collect *c, rpt_results *r, const lg_result *lr, const wl_info *w) {
  if (!c) return;
  mb_collect_progress(c, lr->samples_issued, lr->samples_completed);
  mb_fill_counters(c, r, lr->samples_completed);
  /* a DUT that ran MLPerf Tiny windows did more inferences than loadgen completed */
  uint64_t inferences = lr->samples_completed, in_windows = 0;
  for (size_t i = 0; i < r->device.windows.count; i++) in_windows += r->device.windows.items[i].inferences;
  mb_fill_energy(c, r, in_windows ? in_windows : inferences);
  mb_fill_roofline(c, r, w, lr->samples_per_s);
}

void mb_collect_close(mb_collect *c) {
  if (!c) return;
  mb_counters_close(c->counters);
  mb_counters_sde_close(c->sde);
  mb_energy_close(c->energy);
  hwp_destroy(&c->profile);
  free(c);
}
