/*
 * reports/accuracy.c - accuracy.json writer and the accuracy block computed from the
 * per-sample entries.
 */
#include "reports/accuracy.h"

#include <limits.h>
#include <math.h>

#include <json-c/json.h>

#include "reports/internal.h"

int rpt_accuracy_summarize(size_t n, rpt_accuracy_sample_fn get, void *ctx,
                           rpt_accuracy *out) {
  if (out == NULL || (get == NULL && n > 0)) return RPT_EINVAL;
  uint64_t agree = 0, missing = 0, tokens = 0, tokens_agree = 0;
  bool any_top1 = false;
  rpt_opt_f64 max_err = {0};
  for (size_t i = 0; i < n; i++) {
    rpt_accuracy_sample s;
    get(ctx, i, &s);
    if (s.missing) {
      missing++;
      continue;
    }
    any_top1 |= s.has_top1;
    agree += s.has_top1 && s.sut_top1 == s.ref_top1;
    tokens += s.tokens, tokens_agree += s.tokens_agree;
    if (!max_err.set || s.max_abs_error > max_err.v || isnan(s.max_abs_error))
      max_err = rpt_f64(s.max_abs_error);
  }
  *out = (rpt_accuracy){
      .present = true, .samples = n, .missing = missing, .max_abs_error = max_err};
  if (any_top1) out->top1_agreement = rpt_f64((double)agree / (double)n);
  if (tokens) out->token_agreement = rpt_f64((double)tokens_agree / (double)tokens);
  return RPT_OK;
}

static int add(json_object *o, const char *key, json_object *v, bool want) {
  if (want && v == NULL) return RPT_ENOMEM;
  if (json_object_object_add(o, key, v) != 0) {
    json_object_put(v);
    return RPT_ENOMEM;
  }
  return RPT_OK;
}

/* One entry as a JSON object, or NULL when out of memory. */
static json_object *sample_json(const rpt_accuracy_sample *s) {
  json_object *o = json_object_new_object();
  if (o == NULL) return NULL;
  bool out = !s->missing, top1 = out && s->has_top1;
  int rc = add(o, "sample_index", json_object_new_uint64(s->sample_index), true);
  if (!rc) rc = add(o, "sut_top1", top1 ? json_object_new_uint64(s->sut_top1) : NULL, top1);
  if (!rc) rc = add(o, "ref_top1", s->has_top1 ? json_object_new_uint64(s->ref_top1) : NULL,
                    s->has_top1);
  if (!rc) rc = add(o, "agree", top1 ? json_object_new_boolean(s->sut_top1 == s->ref_top1) : NULL,
                    top1);
  if (!rc) rc = add(o, "max_abs_error", out ? rpt__json_double(s->max_abs_error) : NULL, false);
  if (!rc) rc = add(o, "missing", json_object_new_boolean(s->missing), true);
  if (rc != RPT_OK) {
    json_object_put(o);
    return NULL;
  }
  return o;
}

/* The whole document, or NULL when out of memory. */
static json_object *accuracy_doc(const rpt_accuracy *block, size_t n,
                                 rpt_accuracy_sample_fn get, void *ctx) {
  json_object *doc = json_object_new_object(), *block_json = NULL;
  json_object *list = json_object_new_array_ext(n > 0 && n < INT_MAX ? (int)n : 1);
  int rc = doc && list ? RPT_OK : RPT_ENOMEM;
  if (!rc) rc = add(doc, "schema", json_object_new_string(RPT_ACCURACY_SCHEMA_NAME), true);
  if (!rc) rc = add(doc, "schema_version", json_object_new_int(RPT_ACCURACY_SCHEMA_VERSION), true);
  if (!rc) rc = rpt__accuracy_json(block, &block_json);
  if (!rc) rc = add(doc, "accuracy", block_json, false);
  for (size_t i = 0; !rc && i < n; i++) {
    rpt_accuracy_sample s;
    get(ctx, i, &s);
    json_object *e = sample_json(&s);
    rc = e && json_object_array_add(list, e) == 0 ? RPT_OK : RPT_ENOMEM;
    if (rc) json_object_put(e);
  }
  if (!rc) {
    rc = add(doc, "samples", list, true);
    list = NULL;
  }
  json_object_put(list);
  if (rc) {
    json_object_put(doc);
    return NULL;
  }
  return doc;
}

int rpt_accuracy_write(const char *path, const rpt_accuracy *block, size_t n,
                       rpt_accuracy_sample_fn get, void *ctx, char *err, size_t errlen) {
  if (path == NULL || block == NULL || (get == NULL && n > 0))
    return rpt__errf(err, errlen, RPT_EINVAL, "no path, block or entries");
  json_object *doc = accuracy_doc(block, n, get, ctx);
  if (doc == NULL) return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", path);
  int rc = rpt__json_write_file(path, doc, err, errlen);
  json_object_put(doc);
  return rc;
}
