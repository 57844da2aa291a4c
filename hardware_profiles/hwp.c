/*
 * hardware_profiles/hwp.c - the profile in memory: status and name tables, building a
 * profile, the rules every profile obeys (hwp_validate), and what the harness computes
 * from one (roofline placement, TDP for energy estimates). Reading and writing files is
 * in hwp_json.c, finding them in hwp_path.c.
 */
#include "hardware_profiles/internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *hwp_strerror(int status) {
  switch (status) {
#define HWP_STATUS_TEXT_(name, value, text) \
  case HWP_##name:                          \
    return text;
    HWP_STATUS_MAP(HWP_STATUS_TEXT_)
#undef HWP_STATUS_TEXT_
  }
  return "unknown status";
}

int hwp__errf(char *err, size_t errlen, int status, const char *fmt, ...) {
  if (err != NULL && errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return status;
}

/* ---- name tables ---------------------------------------------------------------- */

#define HWP_TEXT_(name, text) text,
static const char *const hwp_kind_names[] = {HWP_KIND_MAP(HWP_TEXT_)};
static const char *const hwp_precision_names[] = {HWP_PRECISION_MAP(HWP_TEXT_)};
static const char *const hwp_mem_level_names[] = {HWP_MEM_LEVEL_MAP(HWP_TEXT_)};
#undef HWP_TEXT_

static const char *hwp__name(const char *const *names, size_t n, int value) {
  return value >= 0 && (size_t)value < n ? names[value] : "?";
}

static int hwp__parse(const char *const *names, size_t n, const char *name, int *out) {
  for (size_t i = 0; name != NULL && i < n; i++)
    if (strcmp(names[i], name) == 0) {
      *out = (int)i;
      return HWP_OK;
    }
  return HWP_EINVAL;
}

#define HWP_NAMES_(fn, type, table, count)                                     \
  const char *hwp_##fn##_name(type v) { return hwp__name(table, count, (int)v); } \
  int hwp_##fn##_parse(const char *name, type *out) {                           \
    int v;                                                                      \
    if (hwp__parse(table, count, name, &v) != HWP_OK) return HWP_EINVAL;        \
    *out = (type)v;                                                             \
    return HWP_OK;                                                              \
  }
HWP_NAMES_(kind, hwp_kind, hwp_kind_names, HWP_KIND_COUNT)
HWP_NAMES_(precision, hwp_precision, hwp_precision_names, HWP_PRECISION_COUNT)
HWP_NAMES_(mem_level, hwp_mem_level, hwp_mem_level_names, HWP_MEM_LEVEL_COUNT)
#undef HWP_NAMES_

const char *hwp_bound_name(hwp_bound bound) {
  return bound == HWP_BOUND_COMPUTE ? "compute" : "memory";
}

/* ---- building a profile --------------------------------------------------------- */

void hwp_profile_init(hwp_profile *p) {
  memset(p, 0, sizeof *p);
  p->kind = HWP_KIND_CPU;
}

static void hwp__figure_clear(hwp_figure *f) {
  free(f->source);
  memset(f, 0, sizeof *f);
}

void hwp_destroy(hwp_profile *p) {
  if (p == NULL) return;
  for (int i = 0; i < HWP_PRECISION_COUNT; i++) {
    hwp__figure_clear(&p->peak_flops[i]);
    hwp__figure_clear(&p->peak_flops_per_core[i]);
  }
  for (size_t i = 0; i < p->n_memory; i++) {
    hwp__figure_clear(&p->memory[i].bandwidth_bytes_per_s);
    hwp__figure_clear(&p->memory[i].capacity_bytes);
  }
  hwp__figure_clear(&p->tdp_watts);
  hwp__figure_clear(&p->clock_hz);
  hwp__figure_clear(&p->cores);
  free(p->name);
  free(p->description);
  free(p->path);
  hwp_profile_init(p);
}

int hwp_set_text(char **field, const char *text) {
  char *copy = strdup(text != NULL ? text : "");
  if (copy == NULL) return HWP_ENOMEM;
  free(*field);
  *field = copy;
  return HWP_OK;
}

int hwp_set_figure(hwp_figure *f, double value, const char *source) {
  if (hwp_set_text(&f->source, source) != HWP_OK) return HWP_ENOMEM;
  f->present = true;
  f->value = value;
  return HWP_OK;
}

const hwp_memory *hwp_memory_find(const hwp_profile *p, hwp_mem_level level) {
  for (size_t i = 0; i < p->n_memory; i++)
    if (p->memory[i].level == level) return &p->memory[i];
  return NULL;
}

int hwp_add_memory(hwp_profile *p, hwp_mem_level level, hwp_memory **out) {
  if ((int)level < 0 || level >= HWP_MEM_LEVEL_COUNT || hwp_memory_find(p, level) != NULL ||
      p->n_memory >= HWP_MEM_LEVEL_COUNT)
    return HWP_EINVAL;
  hwp_memory *m = &p->memory[p->n_memory++];
  memset(m, 0, sizeof *m);
  m->level = level;
  *out = m;
  return HWP_OK;
}

/* ---- validation ----------------------------------------------------------------- */

bool hwp_name_valid(const char *name) {
  size_t n = name != NULL ? strlen(name) : 0;
  if (n == 0 || n > 63 || strchr("abcdefghijklmnopqrstuvwxyz0123456789", name[0]) == NULL)
    return false;
  return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int hwp__check_figure(const hwp_figure *f, const char *field, const char *origin,
                             char *err, size_t errlen) {
  if (!f->present) return HWP_OK;
  if (!isfinite(f->value) || f->value <= 0)
    return hwp__errf(err, errlen, HWP_EFORMAT,
                     "%s: field '%s.value': must be a positive number (got %g)", origin, field,
                     f->value);
  if (f->source == NULL || f->source[0] == '\0')
    return hwp__errf(err, errlen, HWP_EFORMAT,
                     "%s: field '%s.source': must say where the figure comes from (a "
                     "datasheet, \"measured by ...\", \"derived: ...\" or \"estimate: ...\")",
                     origin, field);
  return HWP_OK;
}

static int hwp__check_peaks(const hwp_profile *p, const char *origin, char *err, size_t errlen) {
  char field[96];
  int rc, any = 0;
  for (int i = 0; i < HWP_PRECISION_COUNT; i++) {
    const hwp_figure *all = &p->peak_flops[i], *one = &p->peak_flops_per_core[i];
    snprintf(field, sizeof field, "peak_flops.%s", hwp_precision_names[i]);
    if ((rc = hwp__check_figure(all, field, origin, err, errlen)) != HWP_OK) return rc;
    snprintf(field, sizeof field, "peak_flops_per_core.%s", hwp_precision_names[i]);
    if ((rc = hwp__check_figure(one, field, origin, err, errlen)) != HWP_OK) return rc;
    if (one->present && (!all->present || one->value > all->value))
      return hwp__errf(err, errlen, HWP_EFORMAT,
                       "%s: field '%s': needs peak_flops.%s, and cannot exceed it", origin,
                       field, hwp_precision_names[i]);
    any |= all->present;
  }
  if (!any)
    return hwp__errf(err, errlen, HWP_EFORMAT,
                     "%s: field 'peak_flops': needs at least one of fp32, fp16, bf16, int8",
                     origin);
  return HWP_OK;
}

static int hwp__check_memory(const hwp_profile *p, const char *origin, char *err,
                             size_t errlen) {
  char field[96];
  int rc;
  if (p->n_memory == 0 || p->n_memory > HWP_MEM_LEVEL_COUNT)
    return hwp__errf(err, errlen, HWP_EFORMAT,
                     "%s: field 'memory': needs one to %d levels (got %zu)", origin,
                     HWP_MEM_LEVEL_COUNT, p->n_memory);
  for (size_t i = 0; i < p->n_memory; i++) {
    const hwp_memory *m = &p->memory[i];
    if ((int)m->level < 0 || m->level >= HWP_MEM_LEVEL_COUNT || hwp_memory_find(p, m->level) != m)
      return hwp__errf(err, errlen, HWP_EFORMAT,
                       "%s: field 'memory[%zu].level': unknown or repeated level", origin, i);
    if (!m->bandwidth_bytes_per_s.present && !m->capacity_bytes.present)
      return hwp__errf(err, errlen, HWP_EFORMAT,
                       "%s: field 'memory[%zu]': needs bandwidth_bytes_per_s or "
                       "capacity_bytes", origin, i);
    snprintf(field, sizeof field, "memory[%zu].bandwidth_bytes_per_s", i);
    if ((rc = hwp__check_figure(&m->bandwidth_bytes_per_s, field, origin, err, errlen))) return rc;
    snprintf(field, sizeof field, "memory[%zu].capacity_bytes", i);
    if ((rc = hwp__check_figure(&m->capacity_bytes, field, origin, err, errlen))) return rc;
  }
  return HWP_OK;
}

static int hwp__check_scalars(const hwp_profile *p, const char *origin, char *err,
                              size_t errlen) {
  int rc;
  if ((rc = hwp__check_figure(&p->tdp_watts, "tdp_watts", origin, err, errlen))) return rc;
  if ((rc = hwp__check_figure(&p->clock_hz, "clock_hz", origin, err, errlen))) return rc;
  if ((rc = hwp__check_figure(&p->cores, "cores", origin, err, errlen))) return rc;
  if (p->cores.present && p->cores.value != floor(p->cores.value))
    return hwp__errf(err, errlen, HWP_EFORMAT,
                     "%s: field 'cores.value': must be a whole number (got %g)", origin,
                     p->cores.value);
  return HWP_OK;
}

int hwp__validate(const hwp_profile *p, const char *origin, char *err, size_t errlen) {
  int rc;
  if (!hwp_name_valid(p->name))
    return hwp__errf(err, errlen, HWP_EFORMAT,
                     "%s: field 'name': must be 1-63 characters of a-z 0-9 . _ - starting "
                     "with a letter or digit (got '%s')", origin, p->name ? p->name : "");
  if ((int)p->kind < 0 || p->kind >= HWP_KIND_COUNT)
    return hwp__errf(err, errlen, HWP_EFORMAT, "%s: field 'kind': must be cpu, gpu or mcu",
                     origin);
  if (p->description == NULL || p->description[0] == '\0')
    return hwp__errf(err, errlen, HWP_EFORMAT, "%s: field 'description': must not be empty",
                     origin);
  if ((rc = hwp__check_peaks(p, origin, err, errlen))) return rc;
  if ((rc = hwp__check_memory(p, origin, err, errlen))) return rc;
  return hwp__check_scalars(p, origin, err, errlen);
}

int hwp_validate(const hwp_profile *p, char *err, size_t errlen) {
  if (p == NULL) return hwp__errf(err, errlen, HWP_EINVAL, "no profile");
  const char *origin = p->path ? p->path : p->name ? p->name : "profile";
  return hwp__validate(p, origin, err, errlen);
}

/* ---- what the harness computes from a profile ----------------------------------- */

static int hwp__roofline_fail(hwp_roofline_point *o, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int hwp__roofline_fail(hwp_roofline_point *o, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->error, sizeof o->error, fmt, ap);
  va_end(ap);
  return status;
}

static void hwp__roofline_clear(hwp_roofline_point *o) {
  memset(o, 0, sizeof *o);
  o->achieved_flops_per_s = o->arithmetic_intensity = o->peak_flops_per_s = NAN;
  o->bandwidth_bytes_per_s = o->ridge_intensity = o->attainable_flops_per_s = NAN;
  o->fraction_of_attainable = NAN;
}

/* The memory roof: the first of DRAM, HBM, SRAM with a bandwidth. */
static const hwp_figure *hwp__main_bandwidth(const hwp_profile *p, hwp_mem_level *level) {
  static const hwp_mem_level order[] = {HWP_MEM_DRAM, HWP_MEM_HBM, HWP_MEM_SRAM};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    const hwp_memory *m = hwp_memory_find(p, order[i]);
    if (m != NULL && m->bandwidth_bytes_per_s.present) {
      *level = order[i];
      return &m->bandwidth_bytes_per_s;
    }
  }
  return NULL;
}

static int hwp__positive(double v) { return isfinite(v) && v > 0; }

int hwp_roofline(const hwp_profile *p, const char *precision, double flops_per_inference,
                 double bytes_per_inference, double inferences_per_s,
                 hwp_roofline_point *out) {
  if (out == NULL) return HWP_EINVAL;
  hwp__roofline_clear(out);
  if (p == NULL) return hwp__roofline_fail(out, HWP_EINVAL, "roofline: no hardware profile");
  const char *name = p->name ? p->name : "?";
  if (hwp_precision_parse(precision, &out->precision) != HWP_OK)
    return hwp__roofline_fail(out, HWP_EINVAL,
                              "roofline: unknown precision '%s' (fp32, fp16, bf16, int8)",
                              precision ? precision : "");
  if (!hwp__positive(flops_per_inference) || !hwp__positive(bytes_per_inference) ||
      !hwp__positive(inferences_per_s))
    return hwp__roofline_fail(out, HWP_EINVAL,
                              "roofline: needs FLOPs and bytes per inference and inferences/s "
                              "above 0 (got %g, %g, %g)",
                              flops_per_inference, bytes_per_inference, inferences_per_s);
  const hwp_figure *peak = &p->peak_flops[out->precision];
  if (!peak->present)
    return hwp__roofline_fail(out, HWP_EUNAVAILABLE,
                              "roofline: profile '%s' has no %s peak (the device does not "
                              "support it, or nobody entered it)", name, precision);
  const hwp_figure *bw = hwp__main_bandwidth(p, &out->memory_level);
  if (bw == NULL)
    return hwp__roofline_fail(out, HWP_EUNAVAILABLE,
                              "roofline: profile '%s' has no DRAM, HBM or SRAM bandwidth",
                              name);
  out->peak_flops_per_s = peak->value;
  out->bandwidth_bytes_per_s = bw->value;
  out->achieved_flops_per_s = flops_per_inference * inferences_per_s;
  out->arithmetic_intensity = flops_per_inference / bytes_per_inference;
  out->ridge_intensity = peak->value / bw->value;
  out->attainable_flops_per_s = fmin(peak->value, out->arithmetic_intensity * bw->value);
  out->fraction_of_attainable = out->achieved_flops_per_s / out->attainable_flops_per_s;
  out->bound = out->arithmetic_intensity >= out->ridge_intensity ? HWP_BOUND_COMPUTE
                                                                 : HWP_BOUND_MEMORY;
  return HWP_OK;
}

int hwp_tdp_watts(const hwp_profile *p, double *watts) {
  if (p == NULL || watts == NULL) return HWP_EINVAL;
  *watts = NAN;
  if (!p->tdp_watts.present) return HWP_EUNAVAILABLE;
  *watts = p->tdp_watts.value;
  return HWP_OK;
}
