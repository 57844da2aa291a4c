/*
 * workloads/workload.c - the workload registry and everything shared by workloads:
 * wl_open/wl_close dispatch and parameter checks, wl_params, tensor helpers, status
 * text, the accuracy check (top-1 agreement and max abs error), and the glue that
 * turns a layer-list model (wl_net_spec, see wl_private.h) into a workload.
 */
#include "workloads/workload.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/rng.h"
#include "workloads/wl_private.h"

#define WL_DESC_(name) {#name, wl_##name##_description, wl_##name##_params},
static const wl_desc wl_descs[] = {WL_REGISTRY(WL_DESC_)};
#undef WL_DESC_

#define WL_OPS_(name) &wl_##name##_ops,
static const wl_ops *const wl_ops_table[] = {WL_REGISTRY(WL_OPS_)};
#undef WL_OPS_

#define WL_COUNT (sizeof wl_descs / sizeof wl_descs[0])

/* ---- status, dtypes, tensors ------------------------------------------------------ */

const char *wl_strerror(int status)
{
#define WL_STATUS_TEXT_(name, value, text) \
  if (status == (value))                   \
    return text;
  WL_STATUS_MAP(WL_STATUS_TEXT_)
#undef WL_STATUS_TEXT_
  return "unknown status";
}

const char *wl_dtype_name(wl_dtype t)
{
  switch (t) {
  case WL_F32: return "f32";
  case WL_I8: return "i8";
  case WL_U8: return "u8";
  case WL_I32: return "i32";
  }
  return "?";
}

size_t wl_dtype_size(wl_dtype t)
{
  return (t == WL_F32 || t == WL_I32) ? 4 : 1;
}

size_t wl_tensor_elems(const wl_tensor *t)
{
  size_t n = 1;
  for (int i = 0; i < t->rank; i++)
    n *= (size_t)t->dims[i];
  return n;
}

size_t wl_tensor_bytes(const wl_tensor *t)
{
  return wl_tensor_elems(t) * wl_dtype_size(t->dtype);
}

char *wl_tensor_format(const wl_tensor *t, char *buf, size_t len)
{
  size_t used = 0;
  if (len == 0)
    return buf;
  buf[0] = '\0';
  for (int i = 0; i < t->rank && used < len; i++) {
    int n = snprintf(buf + used, len - used, "%s%d", i ? "x" : "", t->dims[i]);
    used += n > 0 ? (size_t)n : 0;
  }
  if (used < len)
    snprintf(buf + used, len - used, "%s%s", t->rank ? " " : "", wl_dtype_name(t->dtype));
  return buf;
}

/* ---- parameters ------------------------------------------------------------------- */

void wl_params_init(wl_params *p)
{
  memset(p, 0, sizeof *p);
}

int wl_params_set(wl_params *p, const char *key, const char *value)
{
  if (!p || !key || !value || !*key || strlen(key) >= sizeof p->items[0].key ||
      strlen(value) >= sizeof p->items[0].value)
    return WL_EINVAL;
  size_t i = 0;
  while (i < p->count && strcmp(p->items[i].key, key) != 0)
    i++;
  if (i == WL_MAX_PARAMS)
    return WL_ENOMEM;
  strcpy(p->items[i].key, key);
  strcpy(p->items[i].value, value);
  if (i == p->count)
    p->count++;
  return WL_OK;
}

void wl_set_err(char *err, size_t errlen, const char *fmt, ...)
{
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static const wl_param_info *param_find(const wl_param_info *table, const char *key)
{
  for (; table && table->key; table++)
    if (strcmp(table->key, key) == 0)
      return table;
  return NULL;
}

const char *wl_param_value(const wl_param_ctx *ctx, const char *key)
{
  for (size_t i = 0; i < ctx->params->count; i++)
    if (strcmp(ctx->params->items[i].key, key) == 0)
      return ctx->params->items[i].value;
  const wl_param_info *info = param_find(ctx->table, key);
  return info ? info->default_value : NULL;
}

/* Report "workload 'w': key=value is not valid; accepted: <what>". */
static int param_error(const wl_param_ctx *ctx, const char *key, const char *value,
                       const char *accepted)
{
  const wl_param_info *info = param_find(ctx->table, key);
  wl_set_err(ctx->err, ctx->errlen,
             "workload '%s': %s=%s is not valid; accepted: %s (default %s)",
             ctx->workload, key, value ? value : "(missing)", accepted,
             info ? info->default_value : "none");
  return WL_EPARAM;
}

int wl_param_u64(const wl_param_ctx *ctx, const char *key, uint64_t *out)
{
  const char *v = wl_param_value(ctx, key);
  char *end = NULL;
  errno = 0;
  unsigned long long x = v && !strchr(v, '-') ? strtoull(v, &end, 0) : 0;
  if (!v || !end || end == v || *end || errno)
    return param_error(ctx, key, v, "an unsigned 64-bit integer, decimal or 0x hex");
  *out = (uint64_t)x;
  return WL_OK;
}

int wl_param_nonneg(const wl_param_ctx *ctx, const char *key, double *out)
{
  const char *v = wl_param_value(ctx, key);
  char *end = NULL;
  errno = 0;
  double x = v ? strtod(v, &end) : -1.0;
  if (!v || !end || end == v || *end || errno || !isfinite(x) || x < 0.0)
    return param_error(ctx, key, v, "a finite number >= 0");
  *out = x;
  return WL_OK;
}

int wl_param_choice(const wl_param_ctx *ctx, const char *key, const char *const *choices,
                    int *out)
{
  const char *v = wl_param_value(ctx, key);
  char list[256] = "";
  for (int i = 0; choices[i]; i++) {
    if (v && strcmp(v, choices[i]) == 0) {
      *out = i;
      return WL_OK;
    }
    size_t used = strlen(list);
    snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", choices[i]);
  }
  return param_error(ctx, key, v, list);
}

/* ---- registry, open/close ----------------------------------------------------------- */

const wl_desc *wl_list(size_t *count)
{
  if (count)
    *count = WL_COUNT;
  return wl_descs;
}

/* "a, b, c" from the names in the registry or the keys of a parameter table. */
static void join_names(char *buf, size_t len, const wl_param_info *table)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; table ? table[i].key != NULL : i < WL_COUNT; i++) {
    const char *name = table ? table[i].key : wl_descs[i].name;
    int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", name);
    if (n < 0 || (size_t)n >= len - used)
      break;
    used += (size_t)n;
  }
}

static int find_workload(const char *name)
{
  for (size_t i = 0; i < WL_COUNT; i++)
    if (strcmp(wl_descs[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* WL_EPARAM naming the first key the workload does not take, and the keys it does. */
static int check_keys(const wl_param_ctx *ctx)
{
  for (size_t i = 0; i < ctx->params->count; i++) {
    const char *key = ctx->params->items[i].key;
    if (param_find(ctx->table, key))
      continue;
    char keys[256];
    join_names(keys, sizeof keys, ctx->table);
    wl_set_err(ctx->err, ctx->errlen, "workload '%s' has no parameter '%s'; %s%s",
               ctx->workload, key, keys[0] ? "accepted keys: " : "it takes no parameters",
               keys);
    return WL_EPARAM;
  }
  return WL_OK;
}

int wl_open(wl_model **out, const char *name, const wl_params *params, char *err,
            size_t errlen)
{
  wl_params none;
  wl_set_err(err, errlen, "%s", "");
  if (!out || !name) {
    wl_set_err(err, errlen, "wl_open: no model pointer or workload name");
    return WL_EINVAL;
  }
  *out = NULL;
  int idx = find_workload(name);
  if (idx < 0) {
    char names[256];
    join_names(names, sizeof names, NULL);
    wl_set_err(err, errlen, "unknown workload '%s'; valid workloads: %s", name, names);
    return WL_EUNKNOWN;
  }
  if (!params) {
    wl_params_init(&none);
    params = &none;
  }
  wl_param_ctx ctx = {wl_descs[idx].name, params, wl_descs[idx].params, err, errlen};
  int rc = check_keys(&ctx);
  if (rc != WL_OK)
    return rc;
  wl_model *m = calloc(1, sizeof *m);
  if (!m) {
    wl_set_err(err, errlen, "workload '%s': out of memory", name);
    return WL_ENOMEM;
  }
  m->ops = wl_ops_table[idx];
  m->info.name = wl_descs[idx].name;
  m->info.description = wl_descs[idx].description;
  rc = m->ops->open(m, &ctx);
  if (rc != WL_OK) {
    free(m);
    return rc;
  }
  *out = m;
  return WL_OK;
}

void wl_close(wl_model *m)
{
  if (!m)
    return;
  m->ops->close(m);
  free(m);
}

const wl_info *wl_model_info(const wl_model *m)
{
  return &m->info;
}

size_t wl_scratch_bytes(const wl_model *m)
{
  return m->ops->scratch_bytes(m);
}

void wl_scratch_init(const wl_model *m, void *scratch, unsigned worker)
{
  m->ops->scratch_init(m, scratch, worker);
}

void wl_make_sample(const wl_model *m, uint64_t index, void *input)
{
  m->ops->make_sample(m, index, input);
}

void wl_infer(const wl_model *m, const void *input, void *output, void *scratch)
{
  m->ops->infer(m, input, output, scratch);
}

size_t wl_batch_scratch_bytes(const wl_model *m, size_t batch)
{
  size_t ref = m->ops->scratch_bytes(m);
  if (!m->ops->batch_scratch_bytes)
    return ref;
  size_t fast = m->ops->batch_scratch_bytes(m, batch < 1 ? 1 : batch);
  return fast > ref ? fast : ref;
}

void wl_infer_batch(const wl_model *m, const void *const *inputs, void *const *outputs,
                    size_t n, void *scratch)
{
  if (m->ops->infer_batch) {
    m->ops->infer_batch(m, inputs, outputs, n, scratch);
    return;
  }
  for (size_t i = 0; i < n; i++)
    m->ops->infer(m, inputs[i], outputs[i], scratch);
}

void wl_infer_tokens(const wl_model *m, const void *input, void *output, void *scratch,
                     wl_token_fn on_token, void *ctx)
{
  if (m->infer_tokens)
    m->infer_tokens(m, input, output, scratch, on_token, ctx);
  else
    m->ops->infer(m, input, output, scratch);
}

/* ---- layer-list model workloads ------------------------------------------------------ */

void wl_sample_offsets(uint64_t seed, uint64_t index, float *x, size_t n, int period,
                       float noise)
{
  float mean[256];
  wl_rng r;
  wl_rng_seed(&r, wl_rng_derive(seed, index));
  for (int c = 0; c < period; c++)
    mean[c] = wl_rng_f32(&r);
  for (size_t i = 0; i < n; i++)
    x[i] = mean[i % (size_t)period] + wl_rng_f32_scaled(&r, noise);
}

void wl_sample_image(uint64_t seed, uint64_t index, float *x, int h, int w, int c,
                     float noise)
{
  float mean[16], amp[16];
  wl_rng r;
  wl_rng_seed(&r, wl_rng_derive(seed, index));
  for (int ch = 0; ch < c; ch++)
    mean[ch] = wl_rng_f32_scaled(&r, 0.25f);
  for (int ch = 0; ch < c; ch++)
    amp[ch] = wl_rng_f32(&r);
  int px = 1 + (int)(wl_rng_next(&r) >> 61);
  int py = 1 + (int)(wl_rng_next(&r) >> 61);
  int ox = (int)(wl_rng_next(&r) >> 61);
  int oy = (int)(wl_rng_next(&r) >> 61);
  for (int y = 0; y < h; y++)
    for (int xx = 0; xx < w; xx++) {
      int odd = (((xx + ox) / px) + ((y + oy) / py)) & 1;
      for (int ch = 0; ch < c; ch++) {
        float v = odd ? amp[ch] : -amp[ch];
        *x++ = (mean[ch] + v) + wl_rng_f32_scaled(&r, noise);
      }
    }
}

/* The calibration inputs: samples 0 .. n-1 drawn with weight_seed (caller frees); NULL
 * when out of memory. */
static float *net_model_calib(const wl_net_model *nm, uint64_t weight_seed, int n)
{
  float *calib = malloc(sizeof(float) * (size_t)n * nm->net.in_elems);
  for (int i = 0; calib && i < n; i++)
    nm->spec->sample(weight_seed, (uint64_t)i, calib + (size_t)i * nm->net.in_elems);
  return calib;
}

/* Weights from weight_seed, then (if the spec asks) the prototype head and the logits
 * centred on the first spec->calib calibration samples, then (int8) the quantized model
 * calibrated on the first WL_INT8_CALIB. On error nothing is left to free. */
static int net_model_build(wl_net_model *nm, uint64_t weight_seed)
{
  const wl_net_spec *spec = nm->spec;
  wl_net *net = &nm->net;
  bool int8 = nm->precision == WL_PRECISION_INT8;
  int rc = wl_net_init(net, spec->in_h, spec->in_w, spec->in_c, spec->layers,
                       spec->n_layers, weight_seed);
  if (rc != WL_OK)
    return rc;
  if (!spec->prototype_head && !spec->center_logits && !int8)
    return wl_fast_net_init(&nm->fast, net);
  int n = int8 && WL_INT8_CALIB > spec->calib ? WL_INT8_CALIB : spec->calib;
  float *calib = net_model_calib(nm, weight_seed, n);
  rc = calib ? WL_OK : WL_ENOMEM;
  if (rc == WL_OK && spec->prototype_head)
    rc = wl_net_prototype_head(net, calib, spec->calib);
  if (rc == WL_OK && spec->center_logits)
    rc = wl_net_center_logits(net, calib, spec->calib);
  if (rc == WL_OK && int8)
    rc = wl_qnet_init(&nm->qnet, net, calib, WL_INT8_CALIB);
  free(calib);
  if (rc == WL_OK && !int8)
    rc = wl_fast_net_init(&nm->fast, net);
  if (rc != WL_OK)
    wl_net_destroy(net);
  return rc;
}

static void net_model_fill_info(wl_info *info, const wl_net_model *nm)
{
  const wl_net *net = &nm->net;
  info->input = nm->spec->input;
  info->output = nm->spec->output;
  info->params = net->total.params;
  info->macs = net->total.macs;
  info->flops = net->total.flops;
  info->bytes_moved = nm->precision == WL_PRECISION_INT8 ? nm->qnet.bytes : net->total.bytes;
  info->total_sample_count = nm->spec->total_samples;
  info->performance_sample_count = nm->spec->performance_samples;
  info->reconstruction = nm->spec->reconstruction;
}

static const char *const net_precisions[] = {"fp32", "int8", NULL};

int wl_net_model_open(wl_model *m, const wl_param_ctx *ctx, const wl_net_spec *spec)
{
  int precision = WL_PRECISION_FP32;
  int rc = wl_param_u64(ctx, "weight_seed", &m->info.weight_seed);
  if (rc == WL_OK)
    rc = wl_param_u64(ctx, "sample_seed", &m->info.sample_seed);
  if (rc == WL_OK)
    rc = wl_param_choice(ctx, "precision", net_precisions, &precision);
  if (rc != WL_OK)
    return rc;
  wl_net_model *nm = calloc(1, sizeof *nm);
  if (!nm)
    return WL_ENOMEM;
  nm->spec = spec;
  nm->precision = (wl_precision)precision;
  rc = net_model_build(nm, m->info.weight_seed);
  if (rc != WL_OK) {
    wl_set_err(ctx->err, ctx->errlen, "workload '%s': %s", ctx->workload, wl_strerror(rc));
    free(nm);
    return rc;
  }
  net_model_fill_info(&m->info, nm);
  m->impl = nm;
  return WL_OK;
}

void wl_net_model_close(wl_model *m)
{
  wl_net_model *nm = m->impl;
  wl_fast_net_destroy(&nm->fast);
  wl_qnet_destroy(&nm->qnet);
  wl_net_destroy(&nm->net);
  free(nm);
}

size_t wl_net_model_scratch_bytes(const wl_model *m)
{
  const wl_net_model *nm = m->impl;
  if (nm->precision == WL_PRECISION_INT8)
    return wl_qnet_scratch_bytes(&nm->qnet);
  return wl_net_scratch_bytes(&nm->net);
}

void wl_net_model_scratch_init(const wl_model *m, void *scratch, unsigned worker)
{
  /* nothing per thread: the activation slots are written before they are read */
}

void wl_net_model_make_sample(const wl_model *m, uint64_t index, void *input)
{
  const wl_net_model *nm = m->impl;
  nm->spec->sample(m->info.sample_seed, index, input);
}

void wl_net_model_infer(const wl_model *m, const void *input, void *output, void *scratch)
{
  const wl_net_model *nm = m->impl;
  if (nm->precision == WL_PRECISION_INT8)
    wl_qnet_run(&nm->qnet, input, output, scratch);
  else
    wl_net_run(&nm->net, input, output, scratch);
}

size_t wl_net_model_batch_scratch_bytes(const wl_model *m, size_t batch)
{
  const wl_net_model *nm = m->impl;
  if (nm->precision == WL_PRECISION_INT8)
    return wl_qnet_scratch_bytes(&nm->qnet);
  return wl_fast_net_scratch_bytes(&nm->fast, batch);
}

void wl_net_model_infer_batch(const wl_model *m, const void *const *inputs,
                              void *const *outputs, size_t n, void *scratch)
{
  const wl_net_model *nm = m->impl;
  if (nm->precision == WL_PRECISION_INT8) {
    for (size_t i = 0; i < n; i++)
      wl_qnet_run(&nm->qnet, inputs[i], outputs[i], scratch);
    return;
  }
  wl_fast_net_run(&nm->fast, (const float *const *)inputs, (float *const *)outputs, n,
                  n, scratch);
}

/* ---- accuracy ----------------------------------------------------------------------- */

void wl_accuracy_init(wl_accuracy *a)
{
  memset(a, 0, sizeof *a);
}

/* Index of the largest element; the first one on ties; NaN never wins. */
static size_t argmax_f32(const float *v, size_t n)
{
  size_t best = 0;
  for (size_t i = 1; i < n; i++)
    if (v[i] > v[best] || (isnan(v[best]) && !isnan(v[i])))
      best = i;
  return best;
}

static void accuracy_f32(wl_accuracy *a, const float *out, const float *ref, size_t n)
{
  double worst = a->max_abs_error;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)out[i] - (double)ref[i]);
    if (isnan(d))
      d = INFINITY; /* a NaN on either side must fail any tolerance */
    if (d > worst)
      worst = d;
  }
  a->max_abs_error = worst;
  if (argmax_f32(out, n) == argmax_f32(ref, n))
    a->top1_agree++;
}

static void accuracy_bytes(wl_accuracy *a, const uint8_t *out, const uint8_t *ref,
                           size_t n)
{
  bool same = true;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)out[i] - (double)ref[i]);
    same = same && d == 0.0;
    if (d > a->max_abs_error)
      a->max_abs_error = d;
  }
  if (same)
    a->top1_agree++;
}

/* Generated token ids: first-token agreement and the tokens before the divergence. */
static void accuracy_tokens(wl_accuracy *a, const int32_t *out, const int32_t *ref, size_t n)
{
  size_t same = 0;
  while (same < n && out[same] == ref[same])
    same++;
  a->tokens += n;
  a->tokens_agree += same;
  if (n && out[0] == ref[0])
    a->top1_agree++;
  if (same < n && a->max_abs_error < 1.0)
    a->max_abs_error = 1.0;
}

void wl_accuracy_add(const wl_model *m, wl_accuracy *a, const void *output,
                     const void *reference)
{
  const wl_tensor *t = &m->info.output;
  a->samples++;
  if (!output) {
    a->missing++;
    return;
  }
  if (m->info.output_tokens && t->dtype == WL_I32)
    accuracy_tokens(a, output, reference, wl_tensor_elems(t));
  else if (t->dtype == WL_F32)
    accuracy_f32(a, output, reference, wl_tensor_elems(t));
  else
    accuracy_bytes(a, output, reference, wl_tensor_bytes(t));
}

double wl_anomaly_score(const wl_model *m, const void *input, const void *output)
{
  if (!m->info.reconstruction)
    return NAN;
  const float *in = input, *out = output;
  size_t n = wl_tensor_elems(&m->info.output);
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)out[i] - (double)in[i];
    sum += d * d;
  }
  return sum / (double)n;
}
